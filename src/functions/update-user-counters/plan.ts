/**
 * UpdateUserCounters, the pure part: stream records of the follow graph -> net counter deltas per
 * user -> the users-table updates, split into transaction-sized parts.
 */
import type { Condition, Item, Tables, TransactOperation, UpdateRequest } from '../../ports/tables.ts';
import { parseEdge } from '../../domain/social/keys.ts';
import type { CounterDelta } from '../../domain/social/recount.ts';
import type { TableNames } from '../../domain/tables.ts';
import { unmarshallItem, type DynamoItem } from '../dynamodb-json.ts';
import type { DynamoDBStreamRecord } from '../stream-event.ts';

export type { CounterDelta } from '../../domain/social/recount.ts';

/**
 * One transaction holds 100 operations; two are kept: the ledger (checkpoint) advance and the
 * stream consumer's lease check. Part sizes must never change for a live deployment's
 * half-applied batches (see chunkUsers).
 */
export const MAX_UPDATES_PER_PART = 98;

const FIELDS = ['seguidores', 'siguiendo'] as const;
type Field = (typeof FIELDS)[number];

const image = (value: DynamoItem | undefined): Item | undefined => (value ? unmarshallItem(value) : undefined);

/**
 * Net change per user over the records, in order. Each record contributes (edge after) - (edge
 * before): INSERT +1, REMOVE -1, MODIFY of an edge 0 (its key, hence the edge, cannot change).
 * A missing image falls back to Keys, so KEYS_ONLY streams work too. Users whose changes cancel
 * out (follow then unfollow in one batch) are left out: no write at all.
 */
export function aggregateCounterDeltas(records: DynamoDBStreamRecord[]): Map<string, CounterDelta> {
  const deltas = new Map<string, CounterDelta>();
  const bump = (userId: string, field: Field, by: number) => {
    const d = deltas.get(userId) ?? { seguidores: 0, siguiendo: 0 };
    d[field] += by;
    deltas.set(userId, d);
  };
  for (const record of records) {
    const keys = image(record.dynamodb.Keys);
    const before = record.eventName === 'INSERT' ? undefined : parseEdge(image(record.dynamodb.OldImage) ?? keys);
    const after = record.eventName === 'REMOVE' ? undefined : parseEdge(image(record.dynamodb.NewImage) ?? keys);
    for (const [edge, by] of [
      [before, -1],
      [after, +1],
    ] as const) {
      if (!edge) continue;
      bump(edge.followedId, 'seguidores', by);
      bump(edge.followerId, 'siguiendo', by);
    }
  }
  for (const [userId, d] of deltas) if (d.seguidores === 0 && d.siguiendo === 0) deltas.delete(userId);
  return deltas;
}

/**
 * The batch's users in parts of <= MAX_UPDATES_PER_PART, sorted by id. Depends on the records
 * only (never on what is read from the users table), so re-planning a half-applied batch after a
 * restart yields the same parts and resumes exactly where it stopped.
 */
export function chunkUsers(deltas: Map<string, CounterDelta>): string[][] {
  const ids = [...deltas.keys()].sort();
  const parts: string[][] = [];
  for (let i = 0; i < ids.length; i += MAX_UPDATES_PER_PART) parts.push(ids.slice(i, i + MAX_UPDATES_PER_PART));
  return parts;
}

/**
 * One update per user carrying both deltas. Counters never go negative:
 * - normally `ADD field delta`, with `field >= -delta` as condition when delta < 0 (commutes with
 *   concurrent writers, needs no fresh read);
 * - if the stored value would go below 0 (drift: only possible if counters were already wrong),
 *   `SET field = max(0, stored + delta)` conditioned on the value read, so a concurrent change
 *   cancels the transaction and the batch is re-planned on a fresh read. `doctor counters` then
 *   repairs the drift from the graph.
 * The update also requires the user item to exist, so a deleted user is never resurrected as
 * a bare counter item (such a user is skipped when planning).
 */
export function counterUpdate(table: string, user: Item, delta: CounterDelta): UpdateRequest {
  const add: Record<string, number> = {};
  const set: Record<string, number> = {};
  const conditions: Condition[] = [{ exists: 'userId' }];
  for (const field of FIELDS) {
    const by = delta[field];
    if (by === 0) continue;
    const stored = user[field];
    const base = typeof stored === 'number' ? stored : 0;
    if ((stored === undefined || typeof stored === 'number') && base + by >= 0) {
      add[field] = by;
      if (by < 0) conditions.push({ attr: field, op: '>=', value: -by });
    } else {
      set[field] = Math.max(0, base + by);
      conditions.push(stored === undefined ? { notExists: field } : { attr: field, op: '=', value: stored });
    }
  }
  return {
    table,
    key: { userId: String(user.userId) },
    ...(Object.keys(add).length ? { add } : {}),
    ...(Object.keys(set).length ? { set } : {}),
    condition: { and: conditions },
  };
}

export interface CounterPlanDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users'>;
}

/** Reads the batch's users and returns the parts (users without a profile get no update). */
export async function planCounterUpdates(deps: CounterPlanDeps, records: DynamoDBStreamRecord[]): Promise<TransactOperation[][]> {
  const deltas = aggregateCounterDeltas(records);
  const parts = chunkUsers(deltas);
  const table = deps.tableNames.users;
  return Promise.all(
    parts.map(async (ids) => {
      const users = new Map<string, Item>();
      for (const item of await deps.tables.batchGet(table, ids.map((userId) => ({ userId })))) {
        users.set(String(item.userId), item);
      }
      return ids.flatMap((id): TransactOperation[] => {
        const user = users.get(id);
        return user ? [{ update: counterUpdate(table, user, deltas.get(id)!) }] : [];
      });
    }),
  );
}
