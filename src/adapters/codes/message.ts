import type { CodeMessage } from '../../ports/code-sender.ts';

const WHAT: Record<CodeMessage['purpose'], string> = {
  sign_up: 'confirmation code',
  forgot_password: 'password reset code',
  verify_email: 'verification code',
  verify_phone_number: 'verification code',
  temporary_password: 'temporary password',
};

/** The plain-text body of a code e-mail (Cognito's default message, with the purpose named). */
export function codeText(message: CodeMessage): string {
  return `Your BiiLive ${WHAT[message.purpose]} is ${message.code}.\n\nIf you did not ask for it, ignore this message.\n`;
}
