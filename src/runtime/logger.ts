import { pino } from 'pino';
import type { Logger } from '../ports/logger.ts';

/** JSON logs on stderr, so stdout stays for what a command prints (URLs, JSON). */
export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: ['*.password', '*.Password', '*.code', '*.token'], remove: true } }, pino.destination(2)) as unknown as Logger;
}
