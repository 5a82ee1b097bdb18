/**
 * Code-delivery port: how a one-time code (sign-up confirmation, password reset, attribute
 * verification) reaches its user. Adapters: SMTP (nodemailer) and Amazon SES, chosen by
 * `codes.sender`; development without a sender relies on the outbox (`biilive users codes`).
 *
 * Contract:
 * - `send` resolves once the delivery service accepted the message, and rejects with
 *   CodeDeliveryError when it refused it, could not be reached, or did not answer in time;
 * - the code is in the message only: never in an error, never in a log line.
 */
export type CodeMedium = 'EMAIL' | 'SMS';

export interface CodeMessage {
  username: string;
  code: string;
  /** temporary_password: AdminCreateUser's invitation. */
  purpose: 'sign_up' | 'forgot_password' | 'verify_email' | 'verify_phone_number' | 'temporary_password';
  medium: CodeMedium;
  /** The unmasked e-mail address or phone number. */
  destination: string;
}

export interface CodeSender {
  send(message: CodeMessage): Promise<void>;
  /** Releases connections; idempotent. */
  close(): Promise<void>;
}

/** The message was not delivered; `message` says why (and never holds the code). */
export class CodeDeliveryError extends Error {
  override readonly name = 'CodeDeliveryError';
}

/** Development without a sender: codes wait in the outbox, which `biilive users codes` reads. */
export const outboxOnly: CodeSender = {
  send: async () => {},
  close: async () => {},
};
