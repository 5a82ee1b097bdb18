/**
 * UpdateUserCounters: keeps `seguidores` / `siguiendo` of BIILIVEDB-USERS equal to the follow
 * graph of BIIHLIVE-SOCIAL-V2, from the table's stream (DynamoDB Streams event shape).
 *
 * Two runtimes, one set of rules (plan.ts):
 * - In process (one server or several replicas), the stream consumer (../stream-consumer.ts)
 *   reads the change log (SQLite's, or DynamoDB Streams) from a per-shard checkpoint (system
 *   table, pk `CHECKPOINT#UpdateUserCounters`, sk shardId) and commits `plan(event)`'s parts with
 *   the checkpoint advance and its shard-lease check in the same transactions.
 * - On AWS, `handler(event)` is the Lambda. Lambda may hand it any slice of a shard again: the
 *   same batch after a timeout, the rest of a batch after a reported failure, either half of a
 *   batch it bisected after an error. So the exactly-once record is per stream record: each
 *   record's applied-marker (pk `APPLIED#UpdateUserCounters`, sk = its eventID, globally unique)
 *   is written, conditioned on not existing, in the same transaction as the counter updates of
 *   the records it groups with. A record already marked is skipped; a transaction that finds a
 *   marker written meanwhile is cancelled whole and the rest re-planned. Markers carry
 *   `expiresAt` (DynamoDB TTL) 48 h ahead: longer than the stream's 24 h retention.
 *   Mapping settings this supports: ReportBatchItemFailures, BisectBatchOnFunctionError,
 *   any batch size, ParallelizationFactor 1 (per-shard order keeps a counter from dipping on an
 *   unfollow applied before its follow).
 */
import { TransactionCanceledError, type Item, type Tables, type TransactOperation } from '../../ports/tables.ts';
import type { TableNames } from '../../domain/tables.ts';
import { parseEdge } from '../../domain/social/keys.ts';
import { MAX_TRANSACTION_OPERATIONS } from '../batch-ledger.ts';
import { unmarshallItem } from '../dynamodb-json.ts';
import type { DynamoDBStreamEvent, DynamoDBStreamRecord, StreamBatchResponse } from '../stream-event.ts';
import { aggregateCounterDeltas, counterUpdate, planCounterUpdates } from './plan.ts';

export { aggregateCounterDeltas, chunkUsers, counterUpdate, planCounterUpdates, MAX_UPDATES_PER_PART } from './plan.ts';

export const UPDATE_USER_COUNTERS = 'UpdateUserCounters';
/** Partition of the Lambda's per-record applied-markers in the system table. */
export const APPLIED_MARKERS_PK = `APPLIED#${UPDATE_USER_COUNTERS}`;
const MARKER_TTL_SECONDS = 48 * 3600;
/** Re-plans of one batch after races (a marker or a counter written meanwhile) before giving up. */
const MAX_REPLANS = 20;
const READ_CHUNK = 100;

/** Test hook: throwing here "kills" the function before or just after a group's commit. */
export type CountersFaultInjector = (point: { phase: 'beforeCommit' | 'afterCommit'; group: number; records: number }) => void | Promise<void>;

export interface UpdateUserCountersDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'system'>;
  /** Epoch ms, for the marker TTL. */
  now?: () => number;
  faultInjector?: CountersFaultInjector;
}

export interface UpdateUserCounters {
  /** The counter updates for a batch, in parts of <= MAX_UPDATES_PER_PART (see plan.ts); writes nothing. */
  plan(event: DynamoDBStreamEvent): ReturnType<typeof planCounterUpdates>;
  /**
   * The Lambda entry point: applies every record of the batch not applied before, exactly once.
   * A failure at the batch's first record throws (Lambda retries, or bisects); a later one is
   * reported as a partial batch failure from that record on.
   */
  handler(event: DynamoDBStreamEvent): Promise<StreamBatchResponse>;
}

export function createUpdateUserCounters(deps: UpdateUserCountersDeps): UpdateUserCounters {
  const plan = (event: DynamoDBStreamEvent) => planCounterUpdates(deps, event.Records);
  const { tables, tableNames } = deps;
  const markerKey = (r: DynamoDBStreamRecord) => ({ pk: APPLIED_MARKERS_PK, sk: r.eventID });

  /** The records (in order) that have no applied-marker. Consistent reads after a race. */
  async function unapplied(records: DynamoDBStreamRecord[], consistent: boolean): Promise<DynamoDBStreamRecord[]> {
    const applied = new Set<string>();
    for (let i = 0; i < records.length; i += READ_CHUNK) {
      const chunk = records.slice(i, i + READ_CHUNK);
      const found = consistent
        ? await Promise.all(chunk.map((r) => tables.get(tableNames.system, markerKey(r), { consistent: true })))
        : await tables.batchGet(tableNames.system, chunk.map(markerKey));
      for (const item of found) if (item) applied.add(String(item.sk));
    }
    return records.filter((r) => !applied.has(r.eventID));
  }

  /** The longest prefix whose markers and user updates fit one transaction. */
  function nextGroup(pending: DynamoDBStreamRecord[]): DynamoDBStreamRecord[] {
    const users = new Set<string>();
    let count = 0;
    for (const record of pending) {
      const touched = usersOf(record).filter((u) => !users.has(u));
      if (count > 0 && count + 1 + users.size + touched.length > MAX_TRANSACTION_OPERATIONS) break;
      for (const u of touched) users.add(u);
      count++;
    }
    return pending.slice(0, count);
  }

  /** 'raced': cancelled because a marker or a counter changed meanwhile; nothing was written. */
  async function applyGroup(group: DynamoDBStreamRecord[], index: number): Promise<'applied' | 'raced'> {
    const deltas = aggregateCounterDeltas(group);
    const ids = [...deltas.keys()];
    const users = new Map<string, Item>();
    if (ids.length > 0) for (const item of await tables.batchGet(tableNames.users, ids.map((userId) => ({ userId })))) users.set(String(item.userId), item);
    const expiresAt = Math.floor((deps.now?.() ?? Date.now()) / 1000) + MARKER_TTL_SECONDS;
    const operations: TransactOperation[] = [
      // Users without a profile get no update (never resurrected as bare counter items).
      ...ids.flatMap((id): TransactOperation[] => (users.has(id) ? [{ update: counterUpdate(tableNames.users, users.get(id)!, deltas.get(id)!) }] : [])),
      ...group.map((r): TransactOperation => ({
        put: {
          table: tableNames.system,
          item: { ...markerKey(r), sequenceNumber: r.dynamodb.SequenceNumber, expiresAt },
          condition: { notExists: 'pk' },
        },
      })),
    ];
    const point = { group: index, records: group.length };
    await deps.faultInjector?.({ ...point, phase: 'beforeCommit' });
    try {
      await tables.transactWrite(operations);
    } catch (err) {
      if (err instanceof TransactionCanceledError) return 'raced';
      throw err;
    }
    await deps.faultInjector?.({ ...point, phase: 'afterCommit' });
    return 'applied';
  }

  async function handler(event: DynamoDBStreamEvent): Promise<StreamBatchResponse> {
    const records = event?.Records ?? [];
    let pending: DynamoDBStreamRecord[] = [];
    let group: DynamoDBStreamRecord[] = [];
    try {
      pending = await unapplied(records, false);
      for (let index = 0, replans = 0; pending.length > 0; index++) {
        group = nextGroup(pending);
        if ((await applyGroup(group, index)) === 'applied') {
          pending = pending.slice(group.length);
        } else {
          if (++replans > MAX_REPLANS) throw new Error(`UpdateUserCounters: ${MAX_REPLANS} re-plans of one batch; giving up this attempt`);
          pending = await unapplied(pending, true);
        }
      }
      return { batchItemFailures: [] };
    } catch (err) {
      // Everything before the first pending record is applied; Lambda retries from it.
      const first = pending[0] ?? records[0];
      if (!first || first === records[0]) throw err;
      return { batchItemFailures: [{ itemIdentifier: first.dynamodb.SequenceNumber }] };
    }
  }

  return { plan, handler };
}


/** The users a record's counters touch (follower and followed, before and after). */
function usersOf(record: DynamoDBStreamRecord): string[] {
  const image = (v: DynamoDBStreamRecord['dynamodb']['Keys'] | undefined) => (v ? unmarshallItem(v) : undefined);
  const keys = image(record.dynamodb.Keys);
  const edges = [parseEdge(image(record.dynamodb.OldImage) ?? keys), parseEdge(image(record.dynamodb.NewImage) ?? keys)];
  return [...new Set(edges.flatMap((e) => (e ? [e.followerId, e.followedId] : [])))];
}
