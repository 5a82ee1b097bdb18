/**
 * A real SMTP server on loopback for code-delivery tests (the `smtp-server` package): it accepts,
 * refuses (550 on RCPT TO) or is down (not listening), switchable at run time on one fixed port.
 */
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpPeer {
  url: string;
  port: number;
  received: ReceivedMail[];
  mode: 'accept' | 'refuse';
  /** Stops listening (connections refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolves with the next mail to `to`, or rejects after `timeoutMs`. */
  nextMailTo(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpPeer(): Promise<SmtpPeer> {
  const waiters: Array<{ to: string; resolve: (m: ReceivedMail) => void }> = [];
  const peer = {} as SmtpPeer;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (peer.mode === 'refuse') {
        return callback(Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString('utf8')));
      stream.on('end', () => {
        const mail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        };
        peer.received.push(mail);
        for (const w of [...waiters]) {
          if (mail.to.includes(w.to)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  const listen = (port: number) => new Promise<number>((ok) => server.listen(port, '127.0.0.1', () => ok((server.server.address() as { port: number }).port)));
  const port = await listen(0);
  Object.assign(peer, {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received: [] as ReceivedMail[],
    mode: 'accept' as const,
    // server.close() waits for open connections; the client's pooled ones are dropped at once.
    down: () =>
      new Promise<void>((ok) => {
        server.server.close(() => ok());
        for (const c of (server as unknown as { connections: Set<{ close(): void }> }).connections) c.close();
      }),
    up: async () => void (await listen(port)),
    nextMailTo: (to: string, timeoutMs = 10_000) =>
      new Promise<ReceivedMail>((resolve, reject) => {
        const found = peer.received.find((m) => m.to.includes(to) && !seen.has(m));
        if (found) {
          seen.add(found);
          return resolve(found);
        }
        const timer = setTimeout(() => reject(new Error(`no mail to ${to} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          to,
          resolve: (m) => {
            clearTimeout(timer);
            seen.add(m);
            resolve(m);
          },
        });
      }),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  });
  const seen = new Set<ReceivedMail>();
  return peer;
}

/** The 6-digit code in a code e-mail. */
export function codeIn(mail: ReceivedMail): string {
  const m = /\b(\d{6})\b/.exec(mail.raw.split(/\r?\n\r?\n/).slice(1).join('\n'));
  if (!m) throw new Error(`no code in the mail:\n${mail.raw}`);
  return m[1];
}
