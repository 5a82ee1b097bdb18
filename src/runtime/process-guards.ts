import type { Logger } from '../ports/logger.ts';

let installed = false;

/**
 * A process-wide last resort: an unhandled promise rejection is logged with its reason and stack
 * instead of killing a server that is otherwise fine. Every promise is meant to be handled where
 * it is created: a line from here is a bug to fix (the outage tests assert there is none), and no
 * code path may count on this to keep going.
 */
export function installProcessGuards(log: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection (a bug: nothing handled this promise)');
  });
}
