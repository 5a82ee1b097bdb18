/**
 * The recount: counters are a cache, the follow graph is the truth. Recomputes every user's
 * `seguidores` / `siguiendo` from the edges, reports drift and optionally repairs it. Backs
 * `biilive doctor counters [--fix]` and the counter property tests.
 *
 * Changes already in the graph but not yet applied by UpdateUserCounters are not drift: the
 * expected counter is (edges now) - (pending deltas), read from a CounterBacklog. A user's
 * measure counts only if nothing touching that user moved while it was taken (no new edge
 * record, no consumer progress over the user's records); otherwise it is re-measured, and after
 * `maxAttempts` reported as unstable and left alone. A repair is a conditional write ("the
 * counter still holds the value I read"), so a concurrent counter update is never clobbered:
 * the repair re-measures and retries instead.
 * Exact on the SQLite store (the change log commits with the write). On DynamoDB, GSI and stream
 * lag make it best effort: run it again (or after the consumer caught up) before trusting a drift.
 */
import { ConditionalCheckFailedError, type AttributeValue, type Condition, type Tables } from '../../ports/tables.ts';
import type { TableNames } from '../tables.ts';
import { FOLLOWER_PREFIX, FOLLOWERS_INDEX, FOLLOWING_PREFIX } from './keys.ts';

export interface CounterDelta {
  seguidores: number;
  siguiendo: number;
}

export type CounterField = keyof CounterDelta;
const FIELDS: CounterField[] = ['seguidores', 'siguiendo'];

export interface Drift {
  userId: string;
  field: CounterField;
  /** What the users table holds (a missing attribute reads 0). */
  stored: number;
  /** What it should hold: the graph's count minus changes the counters consumer has not applied yet. */
  actual: number;
}

export interface BacklogSnapshot {
  /** Net counter changes in the graph not yet applied to the users table. */
  pending: Map<string, CounterDelta>;
  /** Only when taken `since` an earlier snapshot: users whose edges or counters may have changed in between. */
  changed?: Set<string> | 'all';
  /** The implementation's own bookmark (stream positions), opaque here. */
  position?: unknown;
}

/** What the counters consumer has not applied yet (implemented next to it, in functions/). */
export interface CounterBacklog {
  snapshot(since?: BacklogSnapshot): Promise<BacklogSnapshot>;
}

export interface RecountDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'social'>;
  /** Omitted: the counters consumer is assumed caught up and idle. */
  backlog?: CounterBacklog;
}

export interface RecountOptions {
  fix?: boolean;
  /** Only these users (default: every user, by a scan of the users table). */
  userIds?: string[];
  pageSize?: number;
  maxAttempts?: number;
  /** Users measured at once. */
  concurrency?: number;
  /** After each page of users: how many were judged so far, and the drift found so far. */
  onProgress?: (progress: { users: number; drift: number }) => void;
}

export interface RecountResult {
  users: number;
  drift: Drift[];
  /** Drift entries repaired (with fix). */
  fixed: number;
  /** Users whose graph kept changing during every attempt: neither judged nor repaired. */
  unstable: string[];
}

interface Measure {
  userId: string;
  stored: Record<CounterField, AttributeValue | undefined>;
  expected: CounterDelta;
}

export async function recount(deps: RecountDeps, options: RecountOptions = {}): Promise<RecountResult> {
  const result: RecountResult = { users: 0, drift: [], fixed: 0, unstable: [] };
  const pageSize = options.pageSize ?? 100;
  const maxAttempts = options.maxAttempts ?? 10;
  for await (const ids of userPages(deps, options.userIds, pageSize)) {
    const { measures, unstable } = await measureStable(deps, ids, maxAttempts, options.concurrency ?? 8);
    result.unstable.push(...unstable);
    result.users += measures.length + unstable.length;
    for (const m of measures) {
      const drift = driftOf(m);
      if (drift.length === 0) continue;
      result.drift.push(...drift);
      if (options.fix) result.fixed += await repair(deps, m, maxAttempts);
    }
    options.onProgress?.({ users: result.users, drift: result.drift.length });
  }
  return result;
}

function driftOf(m: Measure): Drift[] {
  return FIELDS.flatMap((field) => {
    const stored = m.stored[field];
    const actual = m.expected[field];
    const ok = typeof stored === 'number' ? stored === actual : stored === undefined && actual === 0;
    return ok ? [] : [{ userId: m.userId, field, stored: typeof stored === 'number' ? stored : 0, actual }];
  });
}

/** Sets the drifting fields, conditioned on them being unchanged; re-measures on a race. Returns fields fixed. */
async function repair(deps: RecountDeps, first: Measure, maxAttempts: number): Promise<number> {
  let m: Measure | undefined = first;
  for (let attempt = 0; attempt < maxAttempts && m; attempt++) {
    const drift = driftOf(m);
    if (drift.length === 0) return 0;
    const set: Record<string, number> = {};
    const conditions: Condition[] = [{ exists: 'userId' }];
    for (const d of drift) {
      set[d.field] = d.actual;
      const stored = m.stored[d.field];
      conditions.push(stored === undefined ? { notExists: d.field } : { attr: d.field, op: '=', value: stored });
    }
    try {
      await deps.tables.update({ table: deps.tableNames.users, key: { userId: m.userId }, set, condition: { and: conditions } });
      return drift.length;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
    }
    m = (await measureStable(deps, [m.userId], maxAttempts, 1)).measures[0];
  }
  return 0;
}

async function measureStable(
  deps: RecountDeps,
  ids: string[],
  maxAttempts: number,
  concurrency: number,
): Promise<{ measures: Measure[]; unstable: string[] }> {
  const measures: Measure[] = [];
  let remaining = ids;
  for (let attempt = 0; attempt < maxAttempts && remaining.length > 0; attempt++) {
    const before = await deps.backlog?.snapshot();
    const taken = (await mapLimit(remaining, concurrency, (id) => measureOne(deps, id))).filter((m): m is Measure => m !== undefined);
    const after = before && (await deps.backlog!.snapshot(before));
    const changed = after?.changed;
    remaining = [];
    for (const m of taken) {
      if (changed === 'all' || changed?.has(m.userId)) {
        remaining.push(m.userId);
        continue;
      }
      const pending = before?.pending.get(m.userId);
      if (pending) for (const f of FIELDS) m.expected[f] -= pending[f];
      measures.push(m);
    }
  }
  return { measures, unstable: remaining };
}

async function measureOne(deps: RecountDeps, userId: string): Promise<Measure | undefined> {
  const { tables, tableNames } = deps;
  const user = await tables.get(tableNames.users, { userId }, { consistent: true });
  if (!user) return undefined;
  const [siguiendo, seguidores] = await Promise.all([
    countEdges(tables, { table: tableNames.social, partition: userId, prefix: FOLLOWING_PREFIX, self: `${FOLLOWING_PREFIX}${userId}`, sk: 'SK' }),
    countEdges(tables, {
      table: tableNames.social,
      index: FOLLOWERS_INDEX,
      partition: userId,
      prefix: FOLLOWER_PREFIX,
      self: `${FOLLOWER_PREFIX}${userId}`,
      sk: 'GSI1SK',
    }),
  ]);
  return { userId, stored: { seguidores: user.seguidores, siguiendo: user.siguiendo }, expected: { seguidores, siguiendo } };
}

async function countEdges(
  tables: Tables,
  q: { table: string; index?: string; partition: string; prefix: string; self: string; sk: string },
): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await tables.query({
      table: q.table,
      index: q.index,
      partition: q.partition,
      sort: { op: 'beginsWith', value: q.prefix },
      limit: 1000,
      cursor,
      consistent: q.index === undefined,
    });
    // Self-edges are never counted (the counters function ignores them too).
    count += page.items.filter((item) => item[q.sk] !== q.self).length;
    cursor = page.cursor;
  } while (cursor);
  return count;
}

async function* userPages(deps: RecountDeps, userIds: string[] | undefined, pageSize: number): AsyncGenerator<string[]> {
  if (userIds) {
    for (let i = 0; i < userIds.length; i += pageSize) yield userIds.slice(i, i + pageSize);
    return;
  }
  let cursor: string | undefined;
  do {
    const page = await deps.tables.scan({ table: deps.tableNames.users, limit: pageSize, cursor });
    const ids = page.items.map((item) => item.userId).filter((id): id is string => typeof id === 'string');
    if (ids.length > 0) yield ids;
    cursor = page.cursor;
  } while (cursor);
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
