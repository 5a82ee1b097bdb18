/**
 * UpdateUserCounters: keeps `seguidores` / `siguiendo` of BIILIVEDB-USERS equal to the follow
 * graph of BIIHLIVE-SOCIAL-V2, from the table's stream (DynamoDB Streams event shape).
 *
 * Two runtimes, one plan:
 * - In process (one server or several replicas), the stream consumer (../stream-consumer.ts)
 *   reads the change log (SQLite's, or DynamoDB Streams) from a per-shard checkpoint (system
 *   table, pk `CHECKPOINT#UpdateUserCounters`, sk shardId) and commits `plan(event)`'s parts with
 *   the checkpoint advance and its shard-lease check in the same transactions.
 * - On AWS, `handler(event)` is the Lambda. A Lambda event names no shard, so the ledger is keyed
 *   by the batch's first record instead: pk `LEDGER#UpdateUserCounters`, sk = its eventID
 *   (globally unique). Lambda retries a failed batch from the same first record (required
 *   mapping settings: BisectBatchOnFunctionError false, ParallelizationFactor 1,
 *   ReportBatchItemFailures on), and this handler only ever reports a failure at the first record
 *   of a sub-batch it has not finished, so every redelivery starts at a ledgered record: a batch
 *   already applied is skipped, a half-applied one resumes at its next part. Ledger items carry
 *   `expiresAt` (DynamoDB TTL) 48 h ahead: longer than the stream's 24 h retention.
 */
import type { Tables } from '../../ports/tables.ts';
import type { TableNames } from '../../domain/tables.ts';
import { applyBatch, readLedger, type FaultInjector } from '../batch-ledger.ts';
import { compareSequence, type DynamoDBStreamEvent, type StreamBatchResponse } from '../stream-event.ts';
import { planCounterUpdates } from './plan.ts';

export { aggregateCounterDeltas, chunkUsers, counterUpdate, planCounterUpdates, MAX_UPDATES_PER_PART } from './plan.ts';

export const UPDATE_USER_COUNTERS = 'UpdateUserCounters';
const LEDGER_TTL_SECONDS = 48 * 3600;

export interface UpdateUserCountersDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'system'>;
  /** Epoch ms, for the ledger TTL. */
  now?: () => number;
  faultInjector?: FaultInjector;
}

export interface UpdateUserCounters {
  /** The counter updates for a batch, in parts of <= MAX_UPDATES_PER_PART (see plan.ts); writes nothing. */
  plan(event: DynamoDBStreamEvent): ReturnType<typeof planCounterUpdates>;
  /** The Lambda entry point: applies the batch exactly once using the per-batch ledger. */
  handler(event: DynamoDBStreamEvent): Promise<StreamBatchResponse>;
}

export function createUpdateUserCounters(deps: UpdateUserCountersDeps): UpdateUserCounters {
  const plan = (event: DynamoDBStreamEvent) => planCounterUpdates(deps, event.Records);

  async function handler(event: DynamoDBStreamEvent): Promise<StreamBatchResponse> {
    let rest = event.Records;
    while (rest.length > 0) {
      const first = rest[0];
      const ledger = { table: deps.tableNames.system, key: { pk: `LEDGER#${UPDATE_USER_COUNTERS}`, sk: first.eventID } };
      try {
        const state = readLedger(await deps.tables.get(ledger.table, ledger.key, { consistent: true }));
        if (state.sequenceNumber !== undefined) {
          // Applied before (a redelivery): skip what it covered, the rest is a new sub-batch.
          const done = state.sequenceNumber;
          rest = rest.filter((r) => compareSequence(r.dynamodb.SequenceNumber, done) > 0);
          continue;
        }
        const pendingEnd = state.pendingEnd;
        const batch =
          pendingEnd === undefined ? rest : rest.filter((r) => compareSequence(r.dynamodb.SequenceNumber, pendingEnd) <= 0);
        const end = batch[batch.length - 1].dynamodb.SequenceNumber;
        if (pendingEnd !== undefined && end !== pendingEnd) {
          throw new Error(`Redelivered batch does not reach the half-applied batch's end ${pendingEnd}`);
        }
        const expiresAt = Math.floor((deps.now?.() ?? Date.now()) / 1000) + LEDGER_TTL_SECONDS;
        const outcome = await applyBatch({
          tables: deps.tables,
          ledger,
          state,
          end,
          plan: () => planCounterUpdates(deps, batch),
          ledgerAttributes: { expiresAt },
          faultInjector: deps.faultInjector,
        });
        // Superseded: a concurrent invocation moved the ledger; re-read it and go on from there.
        if (outcome === 'applied') rest = rest.filter((r) => compareSequence(r.dynamodb.SequenceNumber, end) > 0);
      } catch (err) {
        // Everything before `first` is applied; Lambda retries from it.
        if (rest === event.Records) throw err;
        return { batchItemFailures: [{ itemIdentifier: first.dynamodb.SequenceNumber }] };
      }
    }
    return { batchItemFailures: [] };
  }

  return { plan, handler };
}

