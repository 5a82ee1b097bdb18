import { Redis } from 'ioredis';
import { BusClosedError, type Bus, type BusHandler } from '../../ports/bus.ts';
import type { Logger } from '../../ports/logger.ts';

export interface RedisBusOptions {
  /** redis://[user:pass@]host:port[/db] or rediss:// */
  url: string;
  /** Prepended to every channel (`<prefix>:<channel>`), so deployments and test runs sharing a Redis stay apart. */
  prefix: string;
  log: Logger;
}

/**
 * Redis pub/sub: one connection publishes, one (in subscriber mode) receives. ioredis reconnects
 * and re-subscribes by itself; messages published while a replica is disconnected are lost, as
 * the port allows. A publish waits at most a couple of reconnect attempts, then rejects.
 */
export class RedisBus implements Bus {
  private readonly handlers = new Map<string, Set<BusHandler>>();
  private closed = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
  ) {
    sub.on('message', (channel: string, message: string) => this.dispatch(channel, message));
  }

  /** Connects both connections; rejects (with Redis's error) if the server cannot be reached. */
  static async connect(options: RedisBusOptions): Promise<RedisBus> {
    const make = (role: string) => {
      const client = new Redis(options.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 2,
        connectionName: `biilive-bus-${role}`,
        retryStrategy: (times) => Math.min(times * 200, 2000),
      });
      let lastError = '';
      client.on('error', (err: Error) => {
        // Logged once per distinct error: a down Redis would otherwise log every retry.
        if (err.message === lastError) return;
        lastError = err.message;
        options.log.warn({ err, role }, 'redis bus connection error');
      });
      client.on('ready', () => (lastError = ''));
      return client;
    };
    const pub = make('pub');
    const sub = make('sub');
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw err;
    }
    return new RedisBus(pub, sub, options.prefix);
  }

  private full(channel: string): string {
    return `${this.prefix}:${channel}`;
  }

  private dispatch(fullChannel: string, message: string): void {
    const handlers = this.handlers.get(fullChannel);
    if (!handlers) return;
    for (const handler of handlers) {
      try {
        handler(message);
      } catch {
        // A failing handler must not stop the others (port contract).
      }
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.closed) throw new BusClosedError();
    await this.pub.publish(this.full(channel), message);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>> {
    if (this.closed) throw new BusClosedError();
    const name = this.full(channel);
    const wrapper: BusHandler = (m) => handler(m);
    let set = this.handlers.get(name);
    if (!set) {
      this.handlers.set(name, (set = new Set()));
      set.add(wrapper);
      try {
        await this.sub.subscribe(name);
      } catch (err) {
        set.delete(wrapper);
        if (set.size === 0) this.handlers.delete(name);
        throw err;
      }
    } else {
      set.add(wrapper);
    }
    return async () => {
      const current = this.handlers.get(name);
      if (!current?.delete(wrapper)) return;
      if (current.size === 0) {
        this.handlers.delete(name);
        if (!this.closed) await this.sub.unsubscribe(name).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await Promise.all(
      [this.pub, this.sub].map((c) =>
        c.quit().then(
          () => undefined,
          () => c.disconnect(),
        ),
      ),
    );
  }
}
