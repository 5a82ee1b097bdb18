/**
 * Shard leases: at most one consumer works on a stream shard at a time, across processes
 * (replicas), the way the Kinesis Client Library shares a stream between workers.
 *
 * One lease item per (consumer, shard) in the system table: pk `LEASE#<consumer>`, sk shardId,
 * `owner` (the holder's id), `expiresAt` (epoch ms by the holder's clock). Acquiring is a
 * conditional write that succeeds when the item is missing, expired, or already ours; holders
 * renew well before expiry and delete the item on a clean stop. A crashed holder simply stops
 * renewing: its shards are taken over once `expiresAt` has passed, so leases must outlast the
 * clock skew between replicas.
 *
 * A lease only shares the work. Exactly-once rests on the checkpoint condition, and every
 * commit also carries `guard(shardId)` (owner = me), so a holder that was paused past its
 * lease (GC, network) and lost it cannot commit even before its successor moved the checkpoint.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../ports/logger.ts';
import { ConditionalCheckFailedError, type Condition, type Tables, type TransactOperation } from '../ports/tables.ts';

/** Default holder id: one per process, so a consumer restarted in the same process resumes its own leases at once. */
export const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export const DEFAULT_LEASE_MS = 10_000;
export const DEFAULT_RENEW_MS = 3_000;

export const leaseKey = (consumer: string, shardId: string) => ({ pk: `LEASE#${consumer}`, sk: shardId });

export interface ShardLeasesOptions {
  tables: Tables;
  /** Physical name of the system table. */
  systemTable: string;
  /** The consumer's (function's) name. */
  consumer: string;
  owner: string;
  leaseMs: number;
  renewMs: number;
  now: () => number;
  log: Logger;
}

export class ShardLeases {
  /** Shards we hold, with the time of the last successful write of their lease. */
  private readonly held = new Map<string, number>();
  /** Shards someone else holds: not asked again before this time. */
  private readonly busyUntil = new Map<string, number>();

  constructor(private readonly o: ShardLeasesOptions) {
    if (!(o.renewMs > 0 && o.leaseMs > o.renewMs)) throw new Error('leaseMs must be greater than renewMs > 0');
  }

  get owner(): string {
    return this.o.owner;
  }

  /** Shards currently believed held (tests, logs). */
  heldShards(): string[] {
    return [...this.held.keys()];
  }

  /** True when we hold the shard's lease: acquires it if free or expired, renews it if due. */
  async hold(shardId: string): Promise<boolean> {
    const now = this.o.now();
    const renewedAt = this.held.get(shardId);
    if (renewedAt !== undefined && now - renewedAt < this.o.renewMs) return true;
    if (renewedAt === undefined && (this.busyUntil.get(shardId) ?? 0) > now) return false;
    const mine: Condition = { attr: 'owner', op: '=', value: this.o.owner };
    const free: Condition = { or: [{ notExists: 'pk' }, { attr: 'expiresAt', op: '<', value: now }, mine] };
    try {
      await this.write(shardId, now, renewedAt === undefined ? free : mine);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
      if (renewedAt !== undefined) this.o.log.warn({ shardId, owner: this.o.owner }, 'shard lease lost to another consumer');
      this.held.delete(shardId);
      this.busyUntil.set(shardId, now + this.o.renewMs);
      return false;
    }
    if (renewedAt === undefined) this.o.log.info({ shardId, owner: this.o.owner }, 'shard lease acquired');
    this.busyUntil.delete(shardId);
    this.held.set(shardId, now);
    return true;
  }

  /** Renews every held lease (the background heartbeat). Failures other than losing the lease are retried next time. */
  async renewAll(): Promise<void> {
    const mine: Condition = { attr: 'owner', op: '=', value: this.o.owner };
    await Promise.all(
      [...this.held.keys()].map(async (shardId) => {
        const now = this.o.now();
        try {
          await this.write(shardId, now, mine);
          if (this.held.has(shardId)) this.held.set(shardId, now);
        } catch (err) {
          if (err instanceof ConditionalCheckFailedError) this.forget(shardId);
          else this.o.log.debug({ err, shardId }, 'shard lease renewal failed; retrying');
        }
      }),
    );
  }

  /** The check committed with every batch of the shard: the lease is still ours. */
  guard(shardId: string): TransactOperation {
    return {
      conditionCheck: {
        table: this.o.systemTable,
        key: leaseKey(this.o.consumer, shardId),
        condition: { attr: 'owner', op: '=', value: this.o.owner },
      },
    };
  }

  /** After a fenced commit: someone else holds the lease now. */
  forget(shardId: string): void {
    if (this.held.delete(shardId)) this.o.log.warn({ shardId, owner: this.o.owner }, 'shard lease lost to another consumer');
    this.busyUntil.set(shardId, this.o.now() + this.o.renewMs);
  }

  /** Gives the lease up (clean stop, shard finished): the next consumer need not wait for expiry. */
  async release(shardId: string): Promise<void> {
    if (!this.held.delete(shardId)) return;
    try {
      await this.o.tables.delete({
        table: this.o.systemTable,
        key: leaseKey(this.o.consumer, shardId),
        condition: { attr: 'owner', op: '=', value: this.o.owner },
      });
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedError)) this.o.log.warn({ err, shardId }, 'shard lease release failed; it will expire');
    }
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((shardId) => this.release(shardId)));
  }

  private write(shardId: string, now: number, condition: Condition): Promise<unknown> {
    return this.o.tables.update({
      table: this.o.systemTable,
      key: leaseKey(this.o.consumer, shardId),
      set: { owner: this.o.owner, expiresAt: now + this.o.leaseMs },
      condition,
    });
  }
}
