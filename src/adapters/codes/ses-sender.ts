import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { CodeDeliveryError, type CodeMessage, type CodeSender } from '../../ports/code-sender.ts';
import { codeText } from './message.ts';

export interface SesSenderOptions {
  region: string;
  /** Endpoint override; undefined = AWS (or AWS_ENDPOINT_URL_SESV2). */
  endpoint?: string;
  from: string;
  subject: string;
  /** Bound on one SendEmail call (connection and answer). */
  timeoutMs: number;
  /** A client to use instead of building one (tests). */
  client?: SESv2Client;
}

/**
 * Code e-mails through Amazon SES (API v2 SendEmail, simple content), with the AWS SDK's standard
 * credential chain. Any SES error (MessageRejected, a sandboxed account's unverified recipient,
 * throttling, no network) is a CodeDeliveryError naming SES's error.
 */
export function createSesSender(options: SesSenderOptions): CodeSender {
  const client =
    options.client ??
    new SESv2Client({
      region: options.region,
      endpoint: options.endpoint,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
    });
  return {
    async send(message: CodeMessage) {
      if (message.medium !== 'EMAIL') throw new CodeDeliveryError('SMS delivery is not configured (codes.sender ses sends e-mail only)');
      try {
        await client.send(
          new SendEmailCommand({
            FromEmailAddress: options.from,
            Destination: { ToAddresses: [message.destination] },
            Content: {
              Simple: {
                Subject: { Data: options.subject, Charset: 'UTF-8' },
                Body: { Text: { Data: codeText(message), Charset: 'UTF-8' } },
              },
            },
          }),
        );
      } catch (err) {
        const e = err as { name?: string; message?: string };
        throw new CodeDeliveryError(`SES SendEmail failed (${e.name ?? 'Error'}): ${(e.message ?? '').slice(0, 200)}`);
      }
    },
    async close() {
      if (!options.client) client.destroy();
    },
  };
}
