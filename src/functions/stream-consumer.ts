/**
 * The embedded event source mapping: feeds a stream function from a table's change log, the way
 * Lambda feeds it from DynamoDB Streams, but with exactly-once effect instead of at-least-once.
 *
 * Per shard, a checkpoint item in the system table (pk `CHECKPOINT#<function>`, sk shardId; see
 * batch-ledger.ts for its attributes) says how far the function's effect is applied. A poll reads
 * the next records after it, converts them to the Streams event shape, asks the function for its
 * writes and commits them together with the checkpoint advance. No progress lives in memory:
 * killing the process at any point and starting again (or running two consumers) neither loses
 * nor repeats an effect. Children of a split shard start once their parent is drained.
 */
import { silentLogger, type Logger } from '../ports/logger.ts';
import type { ChangeRecord, Shard, Tables, TransactOperation } from '../ports/tables.ts';
import { applyBatch, readLedger, type FaultInjector, type LedgerRef } from './batch-ledger.ts';
import { compareSequence, toStreamEvent, type DynamoDBStreamEvent } from './stream-event.ts';

export interface StreamFunction {
  /** Stable name: the checkpoint is keyed by it. */
  name: string;
  /** The batch's writes in transaction-sized parts (<= 99 operations each), deterministic per batch. */
  plan(event: DynamoDBStreamEvent): Promise<TransactOperation[][]>;
}

export interface StreamConsumerOptions {
  tables: Tables;
  /** Physical name of the stream-enabled table. */
  table: string;
  /** Physical name of the system table (checkpoints). */
  systemTable: string;
  fn: StreamFunction;
  /** Records per batch (Lambda's default for DynamoDB streams: 100). */
  batchSize?: number;
  /** Pause when a poll found nothing; a poll that found records is followed immediately. */
  idleMs?: number;
  /** Pause after a failed poll before retrying it. */
  errorBackoffMs?: number;
  region?: string;
  log?: Logger;
  /** Test hook, called before and after each commit; throwing simulates a crash there. */
  faultInjector?: FaultInjector;
}

export const checkpointKey = (fnName: string, shardId: string) => ({ pk: `CHECKPOINT#${fnName}`, sk: shardId });

export class StreamConsumer {
  private readonly o: Required<Omit<StreamConsumerOptions, 'faultInjector' | 'region'>> &
    Pick<StreamConsumerOptions, 'faultInjector' | 'region'>;
  private chain: Promise<unknown> = Promise.resolve();
  private loop?: Promise<void>;
  private stopped = true;
  private wake?: () => void;

  constructor(options: StreamConsumerOptions) {
    this.o = { batchSize: 100, idleMs: 50, errorBackoffMs: 500, log: silentLogger, ...options };
  }

  /** Polls in the background until stop(). Errors are logged and the poll retried. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        let pause = this.o.idleMs;
        try {
          if ((await this.exclusive(() => this.pollOnce())) > 0) pause = 0;
        } catch (err) {
          this.o.log.warn({ err, fn: this.o.fn.name }, 'stream consumer poll failed; retrying');
          pause = this.o.errorBackoffMs;
        }
        if (pause > 0 && !this.stopped) await this.sleep(pause);
      }
    })();
  }

  /** Stops polling; resolves once the poll in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.chain;
  }

  /** Processes until caught up with every shard (tests, `doctor`). Errors propagate. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.exclusive(() => this.pollOnce());
      if (n === 0) return total;
      total += n;
    }
  }

  /** One batch per shard; returns how many records were handled. */
  async pollOnce(): Promise<number> {
    const shards = await this.o.tables.changes.listShards(this.o.table);
    const ids = new Set(shards.map((s) => s.shardId));
    const ended = new Set<string>();
    let handled = 0;
    for (const shard of parentsFirst(shards)) {
      if (shard.parentShardId && ids.has(shard.parentShardId) && !ended.has(shard.parentShardId)) continue;
      const result = await this.pollShard(shard);
      if (result === 'ended') ended.add(shard.shardId);
      else handled += result;
    }
    return handled;
  }

  private async pollShard(shard: Shard): Promise<number | 'ended'> {
    const { tables, table, fn } = this.o;
    const ledger: LedgerRef = { table: this.o.systemTable, key: checkpointKey(fn.name, shard.shardId) };
    const item = await tables.get(ledger.table, ledger.key, { consistent: true });
    if (item?.ended === true) return 'ended';
    const state = readLedger(item);
    const { records, endOfShard } = await this.nextRecords(shard.shardId, state.sequenceNumber, state.pendingEnd);
    if (records.length === 0) {
      if (!endOfShard || !shard.closed) return 0;
      await tables.update({ table: ledger.table, key: ledger.key, set: { ended: true } });
      return 'ended';
    }
    const event = toStreamEvent(records, { table, shardId: shard.shardId, region: this.o.region });
    const end = records[records.length - 1].sequenceNumber;
    await applyBatch({ tables, ledger, state, end, plan: () => fn.plan(event), faultInjector: this.o.faultInjector });
    return records.length;
  }

  /** The next batch, or exactly the half-applied batch (up to pendingEnd) when there is one. */
  private async nextRecords(shardId: string, after: string | undefined, pendingEnd: string | undefined) {
    const { tables, table, batchSize } = this.o;
    if (pendingEnd === undefined) return tables.changes.read({ table, shardId, after, limit: batchSize });
    const records: ChangeRecord[] = [];
    let from = after;
    for (;;) {
      const page = await tables.changes.read({ table, shardId, after: from, limit: Math.max(batchSize, 100) });
      for (const r of page.records) {
        if (compareSequence(r.sequenceNumber, pendingEnd) > 0) break;
        records.push(r);
      }
      const last = records[records.length - 1]?.sequenceNumber;
      if (last === pendingEnd) return { records, endOfShard: false };
      if (page.records.length === 0 || compareSequence(page.records[page.records.length - 1].sequenceNumber, pendingEnd) > 0) {
        throw new Error(`Change log of ${table}/${shardId} no longer holds the half-applied batch ending at ${pendingEnd}`);
      }
      from = page.records[page.records.length - 1].sequenceNumber;
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function parentsFirst(shards: Shard[]): Shard[] {
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  const depth = (s: Shard): number => {
    let d = 0;
    for (let p = s.parentShardId; p && byId.has(p) && d < shards.length; p = byId.get(p)!.parentShardId) d++;
    return d;
  };
  return [...shards].sort((a, b) => depth(a) - depth(b));
}
