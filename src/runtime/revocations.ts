import type { Bus } from '../ports/bus.ts';
import type { Logger } from '../ports/logger.ts';

const CHANNEL = 'identity-revocations';

/** Revocations of a user's tokens, told to this replica at once and to the others through the bus. */
export interface Revocations {
  /** Announces that some of `sub`'s tokens are no longer honoured. */
  publish(sub: string): void;
  /** `handler` hears every revocation, this replica's and the others'. Resolves once the bus listens. */
  subscribe(handler: (sub: string) => void): Promise<() => Promise<void>>;
}

/**
 * Local listeners are called directly (a revocation must reach this replica's sockets even when
 * the bus is down); the bus carries it to the other replicas, whose own copy coming back is
 * skipped by origin. Delivery over the bus is at most once: a replica that misses one still
 * re-checks credentials on every new subscription and drops them at expiry.
 */
export function createRevocations(bus: Bus, origin: string, log: Logger): Revocations {
  const handlers = new Set<(sub: string) => void>();
  let offBus: Promise<() => Promise<void>> | undefined;
  const notify = (sub: string) => {
    for (const h of handlers) {
      try {
        h(sub);
      } catch (err) {
        log.warn({ err }, 'revocation handler failed');
      }
    }
  };
  const fromBus = (message: string) => {
    let m: { o?: unknown; sub?: unknown };
    try {
      m = JSON.parse(message) as { o?: unknown; sub?: unknown };
    } catch {
      return;
    }
    if (m && m.o !== origin && typeof m.sub === 'string') notify(m.sub);
  };
  return {
    publish(sub) {
      notify(sub);
      bus.publish(CHANNEL, JSON.stringify({ o: origin, sub })).catch((err: unknown) => {
        log.warn({ err }, 'revocation not sent to the other replicas');
      });
    },
    async subscribe(handler) {
      handlers.add(handler);
      offBus ??= bus.subscribe(CHANNEL, fromBus);
      await offBus;
      return async () => {
        handlers.delete(handler);
        if (handlers.size > 0 || !offBus) return;
        const off = offBus;
        offBus = undefined;
        await (await off)();
      };
    },
  };
}
