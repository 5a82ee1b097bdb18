/**
 * The embedded event source mapping: feeds a stream function from a table's change log, the way
 * Lambda feeds it from DynamoDB Streams, but with exactly-once effect instead of at-least-once.
 * The same code runs on the SQLite change log (one shard, `shard-0000`, never closed) and on
 * DynamoDB Streams (many shards, closed and split over time), from one or several replicas.
 *
 * Per shard, a checkpoint item in the system table (pk `CHECKPOINT#<function>`, sk shardId; see
 * batch-ledger.ts for its attributes, plus `ended` once a closed shard is drained) says how far
 * the function's effect is applied. A poll reads the next records after it, converts them to the
 * Streams event shape, asks the function for its writes and commits them together with the
 * checkpoint advance AND a check that this consumer still holds the shard's lease (shard-leases.ts),
 * in one transaction. No progress lives in memory: killing the process at any point and starting
 * again (or running two consumers) neither loses nor repeats an effect.
 *
 * Shard order: a child shard (found by its parentShardId) is only read once its parent's
 * checkpoint is `ended`, whoever drained it, so one item's changes apply in stream order
 * across splits. A parent no longer listed (trimmed after 24 h) does not hold its children back.
 */
import { silentLogger, type Logger } from '../ports/logger.ts';
import { TransactionCanceledError, type ChangeRecord, type Shard, type Tables, type TransactOperation } from '../ports/tables.ts';
import { applyBatch, atLedger, readLedger, type FaultInjector, type LedgerRef } from './batch-ledger.ts';
import { DEFAULT_LEASE_MS, DEFAULT_RENEW_MS, PROCESS_OWNER, ShardLeases } from './shard-leases.ts';
import { compareSequence, toStreamEvent, type DynamoDBStreamEvent } from './stream-event.ts';

export { PROCESS_OWNER, leaseKey } from './shard-leases.ts';

export interface StreamFunction {
  /** Stable name: checkpoints and leases are keyed by it. */
  name: string;
  /** The batch's writes in transaction-sized parts (<= 98 operations each), deterministic per batch. */
  plan(event: DynamoDBStreamEvent): Promise<TransactOperation[][]>;
}

/** One batch handed to the function (an invocation on Lambda), or a poll that found nothing (`records: 0`). */
export interface BatchObservation {
  records: number;
  /** Time to plan and commit the batch. */
  seconds: number;
  /** Age of the batch's last record when it was read (Lambda's IteratorAge); 0 when caught up. */
  iteratorAgeSeconds: number;
  error?: unknown;
}

export interface StreamConsumerOptions {
  tables: Tables;
  /** Physical name of the stream-enabled table. */
  table: string;
  /** Physical name of the system table (checkpoints, leases). */
  systemTable: string;
  fn: StreamFunction;
  /** Records per batch (Lambda's default for DynamoDB streams: 100). */
  batchSize?: number;
  /** Pause when a poll found nothing; a poll that found records is followed immediately. */
  idleMs?: number;
  /** Pause after a failed poll before retrying it. */
  errorBackoffMs?: number;
  /** This consumer's lease holder id; default one per process (PROCESS_OWNER). */
  owner?: string;
  /** A lease not renewed for this long may be taken over (default 10 s). */
  leaseMs?: number;
  /** Held leases are renewed this often (default 3 s; must be < leaseMs). */
  renewMs?: number;
  /** How long the shard list is reused before DescribeStream is asked again (default 2 s). */
  shardRefreshMs?: number;
  /** Wall clock for leases (epoch ms); default Date.now. */
  now?: () => number;
  region?: string;
  log?: Logger;
  /** Test hook, called before and after each commit; throwing simulates a crash there. */
  faultInjector?: FaultInjector;
  /** Sees every batch and every empty poll (metrics). */
  observe?: (batch: BatchObservation) => void;
}

type Settings = Required<Omit<StreamConsumerOptions, 'faultInjector' | 'region' | 'owner' | 'observe'>> &
  Pick<StreamConsumerOptions, 'faultInjector' | 'region' | 'observe'>;

export const checkpointKey = (fnName: string, shardId: string) => ({ pk: `CHECKPOINT#${fnName}`, sk: shardId });

export class StreamConsumer {
  private readonly o: Settings;
  private readonly leases: ShardLeases;
  private chain: Promise<unknown> = Promise.resolve();
  private loop?: Promise<void>;
  private heartbeat?: ReturnType<typeof setInterval>;
  private stopped = true;
  private wake?: () => void;
  private shardList?: { shards: Shard[]; at: number };
  /** Shards whose checkpoint says `ended` (permanent). */
  private readonly ended = new Set<string>();

  constructor(options: StreamConsumerOptions) {
    this.o = {
      batchSize: 100,
      idleMs: 50,
      errorBackoffMs: 500,
      leaseMs: DEFAULT_LEASE_MS,
      renewMs: DEFAULT_RENEW_MS,
      shardRefreshMs: 2_000,
      now: Date.now,
      log: silentLogger,
      // An option passed as undefined keeps its default.
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as StreamConsumerOptions),
    };
    this.leases = new ShardLeases({
      tables: this.o.tables,
      systemTable: this.o.systemTable,
      consumer: this.o.fn.name,
      owner: options.owner ?? PROCESS_OWNER,
      leaseMs: this.o.leaseMs,
      renewMs: this.o.renewMs,
      now: this.o.now,
      log: this.o.log,
    });
  }

  /** This consumer's lease holder id. */
  get owner(): string {
    return this.leases.owner;
  }

  /** Shards whose lease this consumer holds (as far as it knows). */
  heldShards(): string[] {
    return this.leases.heldShards();
  }

  /** Polls in the background until stop(). Errors are logged and the poll retried. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // Renewal runs beside the polls, so a slow batch does not let the lease lapse.
    this.heartbeat = setInterval(() => void this.leases.renewAll(), this.o.renewMs);
    this.heartbeat.unref?.();
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

  /**
   * Stops polling; resolves once the poll in progress (if any) has finished. Leases are given up
   * so another replica continues at once; `release: false` leaves them to expire, as a crash does.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.wake?.();
    await this.loop;
    await this.chain.catch(() => undefined);
    if (options.release !== false) await this.leases.releaseAll();
  }

  /**
   * Processes until caught up with every shard it can lease (tests, maintenance). Errors propagate
   * (and leave the leases to expire, as a crash would); on success a consumer that is not
   * running in the background gives its leases up.
   */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.exclusive(() => this.pollOnce());
      if (n === 0) break;
      total += n;
    }
    if (this.stopped) await this.leases.releaseAll();
    return total;
  }

  /**
   * One batch per leased shard (parents before children); returns how many records were handled.
   * A failing shard does not hold the others back: its error is thrown after the pass.
   */
  async pollOnce(): Promise<number> {
    let handled = 0;
    const failures: unknown[] = [];
    // A shard that ended lets its children start: look at the (refreshed) list again right away.
    for (let pass = 0; pass < 100; pass++) {
      const shards = await this.shards();
      const listed = new Set(shards.map((s) => s.shardId));
      let ended = false;
      for (const shard of parentsFirst(shards)) {
        try {
          const result = await this.pollLeased(shard, listed);
          if (result === 'ended') ended = true;
          else handled += result;
        } catch (err) {
          failures.push(err);
        }
      }
      if (!ended || failures.length > 0) break;
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} shards of ${this.o.table} failed`);
    return handled;
  }

  /** Polls a shard if it may start (its parent ended) and its lease is ours. */
  private async pollLeased(shard: Shard, listed: Set<string>): Promise<number | 'ended'> {
    if (this.ended.has(shard.shardId)) return 0;
    if (shard.parentShardId && listed.has(shard.parentShardId) && !(await this.isEnded(shard.parentShardId))) return 0;
    if (!(await this.leases.hold(shard.shardId))) return 0;
    const result = await this.pollShard(shard);
    if (result === 'fenced') {
      this.leases.forget(shard.shardId);
      return 0;
    }
    if (result === 'ended') {
      this.ended.add(shard.shardId);
      await this.leases.release(shard.shardId);
      this.shardList = undefined;
    }
    return result;
  }

  private async shards(): Promise<Shard[]> {
    const now = this.o.now();
    if (!this.shardList || now - this.shardList.at >= this.o.shardRefreshMs) {
      this.shardList = { shards: await this.o.tables.changes.listShards(this.o.table), at: now };
    }
    return this.shardList.shards;
  }

  private async isEnded(shardId: string): Promise<boolean> {
    if (this.ended.has(shardId)) return true;
    const item = await this.o.tables.get(this.o.systemTable, checkpointKey(this.o.fn.name, shardId), { consistent: true });
    if (item?.ended !== true) return false;
    this.ended.add(shardId);
    return true;
  }

  private async pollShard(shard: Shard): Promise<number | 'ended' | 'fenced'> {
    const { tables, table, fn } = this.o;
    const ledger: LedgerRef = { table: this.o.systemTable, key: checkpointKey(fn.name, shard.shardId) };
    const guard = this.leases.guard(shard.shardId);
    const item = await tables.get(ledger.table, ledger.key, { consistent: true });
    if (item?.ended === true) return 'ended';
    const state = readLedger(item);
    const { records, endOfShard } = await this.nextRecords(shard.shardId, state.sequenceNumber, state.pendingEnd);
    if (records.length === 0) {
      this.o.observe?.({ records: 0, seconds: 0, iteratorAgeSeconds: 0 });
      if (!endOfShard) return 0;
      // Closed and fully applied: mark it, so children may start (here or on another replica).
      try {
        await tables.transactWrite([guard, { update: { table: ledger.table, key: ledger.key, set: { ended: true }, condition: atLedger(state) } }]);
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
        return err.reasons[0] === 'ConditionalCheckFailed' ? 'fenced' : 0;
      }
      return 'ended';
    }
    const event = toStreamEvent(records, { table, shardId: shard.shardId, region: this.o.region });
    const last = records[records.length - 1];
    const seen = { records: records.length, iteratorAgeSeconds: Math.max(0, Date.now() / 1000 - last.approximateCreationDateTime) };
    const started = performance.now();
    let outcome: Awaited<ReturnType<typeof applyBatch>>;
    try {
      outcome = await applyBatch({
        tables,
        ledger,
        state,
        end: last.sequenceNumber,
        plan: () => fn.plan(event),
        guard: [guard],
        faultInjector: this.o.faultInjector,
      });
    } catch (error) {
      this.o.observe?.({ ...seen, seconds: (performance.now() - started) / 1000, error: error ?? new Error('undefined thrown') });
      throw error;
    }
    if (outcome !== 'fenced') this.o.observe?.({ ...seen, seconds: (performance.now() - started) / 1000 });
    return outcome === 'fenced' ? 'fenced' : records.length;
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
