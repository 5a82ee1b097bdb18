/**
 * Bus port: fire-and-forget publish/subscribe between the replicas of one deployment (realtime
 * events, presence). Every adapter (memory, Redis) passes test/adapters/bus.conformance.ts.
 *
 * Contract:
 * - a message published on a channel reaches every handler subscribed to that channel on every
 *   bus of the deployment, including the publisher's own bus, once;
 * - messages from one publisher on one channel arrive in publish order;
 * - delivery is at most once and not durable: a subscriber that is down misses messages;
 * - handlers run asynchronously to `publish` (never inside the publisher's call stack) and a
 *   throwing handler affects no other handler.
 */
export type BusHandler = (message: string) => void;

export interface Bus {
  /** Resolves once the message is handed to the transport; rejects if the bus is closed. */
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once messages on `channel` are being received; returns the function that undoes it. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  /** Stops delivery and releases connections; idempotent. */
  close(): Promise<void>;
}

export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
  constructor() {
    super('The bus is closed');
  }
}
