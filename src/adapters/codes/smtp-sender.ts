import { createTransport, type Transporter } from 'nodemailer';
import { CodeDeliveryError, type CodeMessage, type CodeSender } from '../../ports/code-sender.ts';
import { codeText } from './message.ts';

export interface SmtpSenderOptions {
  /** smtp://[user:pass@]host:port or smtps://... */
  url: string;
  from: string;
  subject: string;
  /** Bound on one delivery: connection, greeting and each socket wait. */
  timeoutMs: number;
}

/**
 * Code e-mails through any SMTP server (nodemailer, pooled connections). A refused recipient or
 * message, an unreachable server or one that does not answer within `timeoutMs` is a
 * CodeDeliveryError carrying SMTP's reason (never the message text).
 */
export function createSmtpSender(options: SmtpSenderOptions): CodeSender {
  const transport: Transporter = createTransport({
    url: options.url,
    pool: true,
    maxConnections: 2,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // Nothing of the exchange (it holds the code) goes to nodemailer's own logger.
    logger: false,
    debug: false,
  });
  return {
    async send(message: CodeMessage) {
      if (message.medium !== 'EMAIL') throw new CodeDeliveryError('SMS delivery is not configured (codes.sender smtp sends e-mail only)');
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          transport.sendMail({ from: options.from, to: message.destination, subject: options.subject, text: codeText(message) }),
          new Promise<never>((_, fail) => {
            timer = setTimeout(() => fail(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' })), options.timeoutMs);
          }),
        ]);
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; message?: string };
        const why = e.responseCode ? `SMTP ${e.responseCode}` : (e.code ?? 'error');
        throw new CodeDeliveryError(`SMTP delivery failed (${why}): ${firstLine(e.message)}`);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      transport.close();
    },
  };
}

const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0].slice(0, 200);
