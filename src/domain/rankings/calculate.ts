/**
 * CalculateRankings' work: scan every user (pages of `scanPageSize`), rank in memory
 * (population.ts), write the dated snapshot in transactions (snapshot-writer.ts), flip the
 * current-snapshot pointer LAST, then prune old snapshots (runs.ts).
 *
 * A crash (or an injected fault) anywhere before the flip leaves the previous pointer, hence the
 * previous snapshot, untouched and complete; the crashed run's items carry their own snapshot id
 * and are deleted by a later prune once stale. The next run starts afresh and completes.
 */
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Tables } from '../../ports/tables.ts';
import { badRequest } from '../errors.ts';
import type { LevelThresholds } from '../points/levels.ts';
import type { TableNames } from '../tables.ts';
import { CHUNK_SIZE, newSnapshotId, runKey, USERS_PER_BUCKET } from './keys.ts';
import { Population, type Ranked } from './population.ts';
import { snapshotItems } from './snapshot-items.ts';
import { completeRun, prune, startRun, type Pointer } from './runs.ts';
import { RunCancelledError, SnapshotWriter, type RankingsFaultInjector } from './snapshot-writer.ts';

export interface CalculateRankingsDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'rankings'>;
  clock: Clock;
  levels: LevelThresholds;
  rankings: Pick<Config['rankings'], 'retentionDays' | 'scanPageSize'>;
  faultInjector?: RankingsFaultInjector;
  /** Snapshot items per write transaction (default and maximum 98). */
  itemsPerBatch?: number;
}

export interface RankingsProgress {
  phase: 'scan' | 'rank' | 'write' | 'prune';
  /** scan: users read; write: snapshot items written; prune: items deleted. */
  done: number;
  total?: number;
}

export interface RankingsSummary {
  snapshotId: string;
  /** The snapshot date (UTC, YYYY-MM-DD). */
  date: string;
  /** False when a snapshot of a later date was already current (this one completed but is not served). */
  current: boolean;
  users: number;
  countries: number;
  cities: number;
  /** Snapshot items written: ranking chunks and rank-lookup buckets (manifest items not counted). */
  items: number;
  /** Snapshot ids deleted by the prune. */
  pruned: string[];
  durationMs: number;
  phasesMs: { scan: number; rank: number; write: number; prune: number };
}

export interface CalculateOptions {
  /** Snapshot date, YYYY-MM-DD (the scheduled event's UTC date). */
  date: string;
  onProgress?: (progress: RankingsProgress) => void;
}

// During a long scan (DynamoDB), the run record's heartbeat is refreshed at this pace.
const SCAN_HEARTBEAT_MS = 60_000;

export async function calculateRankings(deps: CalculateRankingsDeps, options: CalculateOptions): Promise<RankingsSummary> {
  const { date, onProgress } = options;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw badRequest('date must be YYYY-MM-DD');
  const runs = { tables: deps.tables, table: deps.tableNames.rankings, clock: deps.clock };
  const snapshotId = newSnapshotId(date);
  await startRun(runs, snapshotId);

  const phasesMs = { scan: 0, rank: 0, write: 0, prune: 0 };
  const timed = async <T>(phase: keyof typeof phasesMs, work: () => T | Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      phasesMs[phase] = Math.round(performance.now() - start);
    }
  };
  // The ranking lives only inside this block: it is garbage before the prune.
  const { pointer, current, items } = await (async () => {
    const population = await timed('scan', () => scanUsers(deps, snapshotId, onProgress));
    onProgress?.({ phase: 'rank', done: population.size, total: population.size });
    const ranked = await timed('rank', () => population.rank());
    return timed('write', () => writeSnapshot(deps, ranked, snapshotId, date, onProgress));
  })();

  let deleted = 0;
  const pruned = await timed('prune', () =>
    prune(runs, date, deps.rankings.retentionDays, (n) => onProgress?.({ phase: 'prune', done: (deleted += n) })),
  );
  return {
    snapshotId,
    date,
    current,
    users: pointer.users,
    countries: pointer.countries,
    cities: pointer.cities,
    items,
    pruned,
    durationMs: phasesMs.scan + phasesMs.rank + phasesMs.write + phasesMs.prune,
    phasesMs,
  };
}

async function scanUsers(deps: CalculateRankingsDeps, snapshotId: string, onProgress: CalculateOptions['onProgress']): Promise<Population> {
  const { tables, clock } = deps;
  const population = new Population();
  let lastBeat = clock.now();
  let cursor: string | undefined;
  do {
    const page = await tables.scan({ table: deps.tableNames.users, limit: deps.rankings.scanPageSize, cursor });
    for (const item of page.items) population.add(item);
    cursor = page.cursor;
    onProgress?.({ phase: 'scan', done: population.size });
    if (clock.now() - lastBeat >= SCAN_HEARTBEAT_MS) {
      lastBeat = clock.now();
      await heartbeat(tables, deps.tableNames.rankings, snapshotId, lastBeat);
    }
  } while (cursor);
  return population;
}

/** Writes every item of the snapshot, then flips the pointer to it (last). */
async function writeSnapshot(deps: CalculateRankingsDeps, ranked: Ranked, snapshotId: string, date: string, onProgress: CalculateOptions['onProgress']) {
  const { tables, clock } = deps;
  const table = deps.tableNames.rankings;
  const buckets = Math.max(1, Math.ceil(ranked.size / USERS_PER_BUCKET));
  const total = countItems(ranked, buckets);
  const writer = new SnapshotWriter({
    tables,
    table,
    snapshotId,
    clock,
    faultInjector: deps.faultInjector,
    itemsPerBatch: deps.itemsPerBatch,
    onCommit: (done) => onProgress?.({ phase: 'write', done, total }),
  });
  for (const item of snapshotItems(ranked, snapshotId, deps.levels, buckets)) await writer.add(item);
  await writer.flush();

  const pointer: Pointer = {
    snapshotId,
    date,
    completedAt: new Date(clock.now()).toISOString(),
    chunkSize: CHUNK_SIZE,
    buckets,
    users: ranked.size,
    countries: ranked.countries.length,
    cities: ranked.cities.length,
  };
  await deps.faultInjector?.({ phase: 'flip', snapshotId });
  const current = await completeRun({ tables, table, clock }, pointer);
  return { pointer, current, items: writer.items };
}

async function heartbeat(tables: Tables, table: string, snapshotId: string, now: number): Promise<void> {
  try {
    await tables.update({ table, key: runKey(snapshotId), set: { heartbeatAt: now }, condition: { attr: 'status', op: '=', value: 'writing' } });
  } catch (err) {
    if (err instanceof ConditionalCheckFailedError) throw new RunCancelledError(`Rankings run ${snapshotId} was cancelled`);
    throw err;
  }
}

function countItems(ranked: Ranked, buckets: number): number {
  const chunks = (n: number) => Math.ceil(n / CHUNK_SIZE);
  let total = chunks(ranked.size) + buckets;
  for (const g of ranked.countries) total += chunks(g.members.length);
  for (const g of ranked.cities) total += chunks(g.members.length);
  return total;
}
