import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { ConditionalCheckFailedError, type Item, type Tables } from '../../ports/tables.ts';
import type { TableNames } from '../tables.ts';
import { HEARTBEATS, REPLICAS, holderPartition } from './keys.ts';

/** A user's presence as clients see it (User.isOnline / User.lastSeen; the onPresenceChanged payload). */
export interface PresenceChange {
  userId: string;
  isOnline: boolean;
  lastSeen: string | null;
}

export interface PresenceDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'system'>;
  clock: Clock;
  log: Logger;
  /** Unique per process start: a restarted replica must not inherit its predecessor's leases. */
  replicaId: string;
  /** A replica silent this long is dead and its users are released (its lease is renewed every third of it). */
  ttlMs: number;
  /** How long a `heartbeat` mutation keeps its user online without a connection. */
  heartbeatTtlMs: number;
  /** Called after each change of a user's isOnline (at most once per transition). */
  onChange(change: PresenceChange): void;
}

/**
 * Presence: a user is online while some replica holds a connection of theirs, or a recent
 * heartbeat does. Durable state lives in the system table, so replicas agree and crashes heal:
 * - each replica renews one lease (`PRESENCE#REPLICA`/replicaId, expiresAt) every ttl/3;
 * - each user a replica holds has a holder item (`PRESENCE#HOLDER#<replicaId>`/userId), written
 *   before the user is marked online and deleted after they are marked offline;
 * - a heartbeat is an item with its own expiry (`PRESENCE#HEARTBEAT`/userId).
 * Every replica sweeps: an expired replica's holder items are settled (the user goes offline unless
 * held elsewhere) and then removed with the lease; expired heartbeats likewise. So a crashed
 * server's users go offline within about one ttl, never stay online forever.
 *
 * users.isOnline flips with conditional writes (false->true, true->false), so each transition is
 * published once even with several replicas racing. A replica releasing a user re-checks the other
 * holders after writing "offline" and restores "online" if one appeared meanwhile: writes are
 * ordered so a connection arriving anywhere always ends with the user online.
 * Operations on one user are serialized within a replica; the local connection count makes
 * reconnects (count 1 -> 0 -> 1) cost nothing when they cancel out before the queue runs.
 */
export class PresenceService {
  private readonly counts = new Map<string, number>();
  private readonly queues = new Map<string, Promise<void>>();
  /** Users whose release failed (store error): retried each round, or they would stay online. */
  private readonly retry = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: PresenceDeps) {}

  /** Writes this replica's lease and starts renewing it and sweeping; call before accepting connections. */
  async start(): Promise<void> {
    await this.renew();
    const every = Math.max(10, Math.floor(this.deps.ttlMs / 3));
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, every);
    this.timer.unref();
  }

  /** Releases every local user (a clean shutdown publishes their offline state) and the lease. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    const releases = [...this.counts.keys()].map((userId) => {
      this.counts.delete(userId);
      return this.enqueue(userId, () => this.release(userId)).catch(() => undefined);
    });
    await Promise.all(releases);
    await this.idle();
    await this.deps.tables.delete({ table: this.system, key: { pk: REPLICAS, sk: this.deps.replicaId } }).catch(() => undefined);
  }

  /** A connection of `userId` opened on this replica. */
  connected(userId: string): void {
    if (this.stopped) return;
    const n = (this.counts.get(userId) ?? 0) + 1;
    this.counts.set(userId, n);
    if (n === 1) void this.enqueue(userId, () => this.acquire(userId)).catch(() => undefined);
  }

  /** A connection of `userId` closed (or timed out) on this replica. */
  disconnected(userId: string): void {
    const n = (this.counts.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.counts.set(userId, n);
      return;
    }
    if (!this.counts.delete(userId)) return;
    this.releaseLater(userId);
  }

  private releaseLater(userId: string): void {
    this.retry.delete(userId);
    void this.enqueue(userId, () => this.release(userId)).catch(() => this.retry.add(userId));
  }

  /** The `heartbeat` mutation: keeps the user online for heartbeatTtlMs without a connection. */
  async heartbeat(userId: string): Promise<PresenceChange> {
    const now = this.deps.clock.now();
    await this.deps.tables.put({ table: this.system, item: { pk: HEARTBEATS, sk: userId, expiresAt: now + this.deps.heartbeatTtlMs, at: now } });
    let state: PresenceChange | undefined;
    // Not reported through onChange: the heartbeat mutation's result is itself published (@aws_subscribe).
    await this.enqueue(userId, async () => {
      state = await this.markOnline(userId, false);
    });
    if (state) return state;
    const user = await this.deps.tables.get(this.deps.tableNames.users, { userId });
    return { userId, isOnline: true, lastSeen: typeof user?.lastSeen === 'string' ? user.lastSeen : null };
  }

  /** Resolves when every queued presence write has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  /** One renewal + sweep round (the timer's work; exposed for tests). */
  async tick(): Promise<void> {
    try {
      for (const userId of this.retry) if (!this.counts.has(userId)) this.releaseLater(userId);
      await this.renew();
      await this.sweep();
    } catch (err) {
      this.deps.log.warn({ err }, 'presence maintenance failed; retrying next round');
    }
  }

  private get system(): string {
    return this.deps.tableNames.system;
  }

  /** Runs `op` after the user's earlier operations; the returned promise rejects if `op` fails (the queue goes on). */
  private enqueue(userId: string, op: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(userId) ?? Promise.resolve();
    const run = previous.then(op);
    const next = run
      .catch((err: unknown) => this.deps.log.warn({ err, userId }, 'presence update failed'))
      .finally(() => {
        if (this.queues.get(userId) === next) this.queues.delete(userId);
      });
    this.queues.set(userId, next);
    return run;
  }

  private async acquire(userId: string): Promise<void> {
    if (!this.counts.has(userId)) return; // closed again before we got here
    await this.deps.tables.put({
      table: this.system,
      item: { pk: holderPartition(this.deps.replicaId), sk: userId, since: this.deps.clock.now() },
    });
    await this.markOnline(userId);
  }

  private async release(userId: string): Promise<void> {
    if (this.counts.has(userId)) return; // reconnected meanwhile: still held here
    await this.settle(userId, this.deps.replicaId);
    await this.deps.tables.delete({ table: this.system, key: { pk: holderPartition(this.deps.replicaId), sk: userId } });
  }

  /**
   * Offline unless someone other than `excluded` still holds the user; re-checked after writing.
   * `lastSeenAt`: when the user was last known present (a dead replica's last renewal), default now.
   */
  private async settle(userId: string, excluded: string | undefined, lastSeenAt?: number): Promise<void> {
    if (await this.heldElsewhere(userId, excluded)) return;
    const went = await this.markOffline(userId, lastSeenAt);
    if (went && (await this.heldElsewhere(userId, excluded))) await this.markOnline(userId);
  }

  private async heldElsewhere(userId: string, excluded: string | undefined): Promise<boolean> {
    const now = this.deps.clock.now();
    if (excluded !== this.deps.replicaId && this.counts.has(userId)) return true;
    const beat = await this.deps.tables.get(this.system, { pk: HEARTBEATS, sk: userId }, { consistent: true });
    if (beat && Number(beat.expiresAt) > now) return true;
    for (const replica of await this.replicas()) {
      if (replica.sk === excluded || Number(replica.expiresAt) <= now) continue;
      const held = await this.deps.tables.get(this.system, { pk: holderPartition(String(replica.sk)), sk: userId }, { consistent: true });
      if (held) return true;
    }
    return false;
  }

  private async replicas(): Promise<Item[]> {
    const out: Item[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.tables.query({ table: this.system, partition: REPLICAS, cursor, consistent: true });
      out.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  /** Returns the new state if this call flipped the user online, undefined if they already were (or have no profile). */
  private async markOnline(userId: string, notify = true): Promise<PresenceChange | undefined> {
    try {
      const item = await this.deps.tables.update({
        table: this.deps.tableNames.users,
        key: { userId },
        set: { isOnline: true },
        condition: { and: [{ exists: 'userId' }, { or: [{ notExists: 'isOnline' }, { attr: 'isOnline', op: '=', value: false }] }] },
      });
      const change = { userId, isOnline: true, lastSeen: typeof item.lastSeen === 'string' ? item.lastSeen : null };
      if (notify) this.deps.onChange(change);
      return change;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedError) return undefined;
      throw err;
    }
  }

  private async markOffline(userId: string, at = this.deps.clock.now()): Promise<boolean> {
    const lastSeen = new Date(at).toISOString();
    try {
      await this.deps.tables.update({
        table: this.deps.tableNames.users,
        key: { userId },
        set: { isOnline: false, lastSeen },
        condition: { and: [{ exists: 'userId' }, { attr: 'isOnline', op: '=', value: true }] },
      });
    } catch (err) {
      if (err instanceof ConditionalCheckFailedError) return false;
      throw err;
    }
    this.deps.onChange({ userId, isOnline: false, lastSeen });
    return true;
  }

  /**
   * Renews this replica's lease. If another replica already declared it dead (we were stalled
   * past the ttl) the lease is gone and so are our holder items: take every local user again.
   */
  private async renew(): Promise<void> {
    if (this.stopped) return;
    const renewedAt = this.deps.clock.now();
    const expiresAt = renewedAt + this.deps.ttlMs;
    const key = { pk: REPLICAS, sk: this.deps.replicaId };
    try {
      await this.deps.tables.update({ table: this.system, key, set: { expiresAt, renewedAt }, condition: { exists: 'pk' } });
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
      await this.deps.tables.put({ table: this.system, item: { ...key, expiresAt, renewedAt } });
      for (const userId of this.counts.keys()) void this.enqueue(userId, () => this.acquire(userId)).catch(() => undefined);
    }
  }

  /** Releases the users of dead replicas and of expired heartbeats. */
  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    for (const replica of await this.replicas()) {
      const id = String(replica.sk);
      if (id === this.deps.replicaId || Number(replica.expiresAt) > now) continue;
      let cursor: string | undefined;
      do {
        const page = await this.deps.tables.query({ table: this.system, partition: holderPartition(id), cursor, limit: 100 });
        for (const held of page.items) {
          const userId = String(held.sk);
          // Last known present: the dead replica's last renewal.
          await this.enqueue(userId, () => this.settle(userId, id, Number(replica.renewedAt) || undefined));
          await this.deps.tables.delete({ table: this.system, key: { pk: holderPartition(id), sk: userId } });
        }
        cursor = page.cursor;
      } while (cursor);
      // Only now, so a sweeper dying half-way leaves the rest for the next one.
      await this.deps.tables
        .delete({ table: this.system, key: { pk: REPLICAS, sk: id }, condition: { attr: 'expiresAt', op: '=', value: replica.expiresAt } })
        .catch((err: unknown) => {
          if (!(err instanceof ConditionalCheckFailedError)) throw err;
        });
    }
    let cursor: string | undefined;
    do {
      const page = await this.deps.tables.query({
        table: this.system,
        partition: HEARTBEATS,
        cursor,
        limit: 100,
        filter: { attr: 'expiresAt', op: '<=', value: now },
      });
      for (const beat of page.items) {
        const userId = String(beat.sk);
        try {
          await this.deps.tables.delete({
            table: this.system,
            key: { pk: HEARTBEATS, sk: userId },
            condition: { attr: 'expiresAt', op: '=', value: beat.expiresAt },
          });
        } catch (err) {
          if (err instanceof ConditionalCheckFailedError) continue; // renewed meanwhile
          throw err;
        }
        await this.enqueue(userId, () => this.settle(userId, undefined, Number(beat.at) || undefined));
      }
      cursor = page.cursor;
    } while (cursor);
  }
}
