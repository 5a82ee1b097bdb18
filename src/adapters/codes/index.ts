import type { Config } from '../../config/schema.ts';
import { outboxOnly, type CodeSender } from '../../ports/code-sender.ts';
import { createSesSender } from './ses-sender.ts';
import { createSmtpSender } from './smtp-sender.ts';

/** The configured code sender (config validation guarantees `from` and `smtpUrl` where needed). */
export function openCodeSender(config: Pick<Config, 'codes' | 'region'>): CodeSender {
  const c = config.codes;
  switch (c.sender) {
    case 'smtp':
      return createSmtpSender({ url: c.smtpUrl!, from: c.from!, subject: c.subject, timeoutMs: c.timeoutMs });
    case 'ses':
      return createSesSender({ region: c.sesRegion ?? config.region, endpoint: c.sesEndpoint, from: c.from!, subject: c.subject, timeoutMs: c.timeoutMs });
    default:
      return outboxOnly;
  }
}

export { createSmtpSender } from './smtp-sender.ts';
export { createSesSender } from './ses-sender.ts';
