/**
 * Writes a snapshot's items in transactions of up to 100 operations: the data items, one manifest
 * item listing exactly their keys, and the run's heartbeat (conditioned on the run still being
 * `writing`). Data and manifest commit together, so a crash never leaves an item that pruning
 * cannot find; a run declared stale and pruned by another run stops at its next commit.
 */
import { TransactionCanceledError, type Item, type Tables, type TransactOperation } from '../../ports/tables.ts';
import type { Clock } from '../../ports/clock.ts';
import { manifestPartition, runKey, sortKey } from './keys.ts';

/** Data items per transaction: 100 minus the manifest item and the heartbeat. */
export const ITEMS_PER_BATCH = 98;

/** Test hook, awaited before each commit; throwing there simulates a crash at that point. */
export type RankingsFaultInjector = (point: { phase: 'batch'; batch: number } | { phase: 'flip'; snapshotId: string }) => void | Promise<void>;

export class RunCancelledError extends Error {
  override readonly name = 'RunCancelledError';
}

export interface SnapshotWriterOptions {
  tables: Tables;
  table: string;
  snapshotId: string;
  clock: Clock;
  faultInjector?: RankingsFaultInjector;
  /** After each commit: data items written so far. */
  onCommit?: (items: number) => void;
  /** Data items per transaction, 1..ITEMS_PER_BATCH (default). */
  itemsPerBatch?: number;
}

export class SnapshotWriter {
  private pending: Item[] = [];
  private batch = 0;
  private written = 0;

  constructor(private readonly o: SnapshotWriterOptions) {}

  get items(): number {
    return this.written;
  }

  async add(item: Item): Promise<void> {
    this.pending.push(item);
    if (this.pending.length >= Math.min(ITEMS_PER_BATCH, Math.max(1, this.o.itemsPerBatch ?? ITEMS_PER_BATCH))) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const { tables, table, snapshotId, clock } = this.o;
    const items = this.pending;
    this.pending = [];
    const ops: TransactOperation[] = items.map((item) => ({ put: { table, item } }));
    ops.push({
      put: {
        table,
        item: { pk: manifestPartition(snapshotId), sk: sortKey(this.batch), keys: items.map((i) => [i.pk, i.sk]) },
      },
    });
    ops.push({
      update: {
        table,
        key: runKey(snapshotId),
        set: { heartbeatAt: clock.now(), batches: this.batch + 1 },
        condition: { attr: 'status', op: '=', value: 'writing' },
      },
    });
    await this.o.faultInjector?.({ phase: 'batch', batch: this.batch });
    try {
      await tables.transactWrite(ops);
    } catch (err) {
      if (err instanceof TransactionCanceledError && err.reasons[ops.length - 1] === 'ConditionalCheckFailed') {
        throw new RunCancelledError(`Rankings run ${snapshotId} was cancelled (pruned as stale by another run)`);
      }
      throw err;
    }
    this.batch++;
    this.written += items.length;
    this.o.onCommit?.(this.written);
  }
}
