import { BusClosedError, type Bus, type BusHandler } from '../../ports/bus.ts';

/**
 * In-process bus for the embedded server (one replica). Buses created from the same
 * `MemoryBusNetwork` see each other's messages, which lets tests run several replicas in one
 * process. Handlers run on a later microtask, in publish order.
 */
export class MemoryBusNetwork {
  private readonly channels = new Map<string, Set<BusHandler>>();

  /** @internal */
  deliver(channel: string, message: string): void {
    const handlers = this.channels.get(channel);
    if (!handlers || handlers.size === 0) return;
    // Snapshot: a handler (un)subscribing during delivery affects the next message only.
    const targets = handlers.size === 1 ? handlers : [...handlers];
    queueMicrotask(() => {
      for (const handler of targets) {
        try {
          handler(message);
        } catch {
          // A failing handler must not stop the others (port contract).
        }
      }
    });
  }

  /** @internal */
  add(channel: string, handler: BusHandler): void {
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(handler);
  }

  /** @internal */
  remove(channel: string, handler: BusHandler): void {
    const set = this.channels.get(channel);
    if (!set) return;
    set.delete(handler);
    if (set.size === 0) this.channels.delete(channel);
  }
}

export class MemoryBus implements Bus {
  private closed = false;
  private readonly mine = new Set<{ channel: string; handler: BusHandler }>();

  constructor(private readonly network: MemoryBusNetwork = new MemoryBusNetwork()) {}

  async publish(channel: string, message: string): Promise<void> {
    if (this.closed) throw new BusClosedError();
    this.network.deliver(channel, message);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new BusClosedError();
    // A distinct wrapper per subscription, so subscribing one function twice delivers twice.
    const entry = { channel, handler: (m: string) => handler(m) };
    this.mine.add(entry);
    this.network.add(channel, entry.handler);
    return async () => {
      if (!this.mine.delete(entry)) return;
      this.network.remove(channel, entry.handler);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { channel, handler } of this.mine) this.network.remove(channel, handler);
    this.mine.clear();
  }
}
