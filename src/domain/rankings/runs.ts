/**
 * Snapshot lifecycle in the rankings table: a run record per snapshot, the current-snapshot
 * pointer, and pruning.
 *
 * - start: run record `writing` (startedAt, heartbeatAt).
 * - complete: ONE transaction puts the pointer and marks the run `complete`. The pointer only moves
 *   forward in date (a late run of an older date completes but does not become current).
 * - prune (after each run): deletes, never touching the current snapshot,
 *   - complete snapshots older than `retentionDays` (date <= today - retentionDays),
 *   - complete snapshots superseded by a later complete snapshot of the same date, once that one
 *     completed STALE_RUN_MS ago (readers paging through the older one can finish),
 *   - runs whose heartbeat is older than STALE_RUN_MS (crashed half-way): first marked `pruning`
 *     with a condition on the heartbeat read, so a run that is in fact alive is cancelled at its
 *     next commit instead of being deleted under its feet.
 *   A snapshot's items are found through its manifest and deleted manifest item by manifest item,
 *   then the run record; a crash while pruning is finished by the next prune.
 */
import { ConditionalCheckFailedError, TransactionCanceledError, type Item, type Tables } from '../../ports/tables.ts';
import type { Clock } from '../../ports/clock.ts';
import { dateOfSnapshot, manifestPartition, POINTER_KEY, runKey, RUNS_PK } from './keys.ts';
import { RunCancelledError } from './snapshot-writer.ts';

/** A run without a heartbeat for this long is considered crashed. */
export const STALE_RUN_MS = 15 * 60 * 1000;

export interface Pointer {
  snapshotId: string;
  date: string;
  completedAt: string;
  chunkSize: number;
  buckets: number;
  users: number;
  countries: number;
  cities: number;
}

export interface RunRecord {
  snapshotId: string;
  date: string;
  status: 'writing' | 'complete' | 'pruning';
  startedAt: number;
  heartbeatAt: number;
  completedAt?: string;
}

export interface RunsDeps {
  tables: Tables;
  table: string;
  clock: Clock;
}

export function readPointer(item: Item | undefined): Pointer | undefined {
  if (!item || typeof item.snapshotId !== 'string') return undefined;
  return item as unknown as Pointer;
}

export async function currentPointer(deps: RunsDeps, consistent = false): Promise<Pointer | undefined> {
  return readPointer(await deps.tables.get(deps.table, POINTER_KEY, { consistent }));
}

export async function startRun(deps: RunsDeps, snapshotId: string): Promise<void> {
  const now = deps.clock.now();
  await deps.tables.put({
    table: deps.table,
    item: { ...runKey(snapshotId), snapshotId, date: dateOfSnapshot(snapshotId), status: 'writing', startedAt: now, heartbeatAt: now, batches: 0 },
    condition: { notExists: 'pk' },
  });
}

/** Flips the pointer to a fully written snapshot. Returns false if a newer-dated snapshot is current. */
export async function completeRun(deps: RunsDeps, pointer: Pointer): Promise<boolean> {
  const complete = {
    update: {
      table: deps.table,
      key: runKey(pointer.snapshotId),
      set: { status: 'complete', completedAt: pointer.completedAt },
      condition: { attr: 'status', op: '=' as const, value: 'writing' },
    },
  };
  try {
    await deps.tables.transactWrite([
      {
        put: {
          table: deps.table,
          item: { ...POINTER_KEY, ...pointer },
          condition: { or: [{ notExists: 'pk' }, { attr: 'date', op: '<=', value: pointer.date }] },
        },
      },
      complete,
    ]);
    return true;
  } catch (err) {
    if (!(err instanceof TransactionCanceledError)) throw err;
    if (err.reasons[1] === 'ConditionalCheckFailed') throw new RunCancelledError(`Rankings run ${pointer.snapshotId} was cancelled`);
    if (err.reasons[0] !== 'ConditionalCheckFailed') throw err;
  }
  await deps.tables.update(complete.update);
  return false;
}

export async function listRuns(deps: RunsDeps): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.tables.query({ table: deps.table, partition: RUNS_PK, cursor, consistent: true });
    for (const item of page.items) runs.push(item as unknown as RunRecord);
    cursor = page.cursor;
  } while (cursor);
  return runs;
}

/** The snapshots `prune` would delete now, given today's date. */
export function prunable(runs: RunRecord[], current: string | undefined, today: string, retentionDays: number, now: number): RunRecord[] {
  const cutoff = addDays(today, -retentionDays);
  // Per date, complete runs in completion order: each but the last is superseded by its successor.
  const successor = new Map<string, RunRecord>();
  const byDate = new Map<string, RunRecord[]>();
  for (const run of runs) if (run.status === 'complete') byDate.set(run.date, [...(byDate.get(run.date) ?? []), run]);
  for (const list of byDate.values()) {
    list.sort((a, b) => (String(a.completedAt) < String(b.completedAt) ? -1 : 1));
    for (let i = 0; i + 1 < list.length; i++) successor.set(list[i].snapshotId, list[i + 1]);
  }
  return runs.filter((run) => {
    if (run.snapshotId === current) return false;
    if (run.status === 'complete') {
      if (run.date <= cutoff) return true;
      // Superseded the same day: kept a while so readers paging through it can finish.
      const next = successor.get(run.snapshotId);
      return next !== undefined && now - Date.parse(String(next.completedAt)) >= STALE_RUN_MS;
    }
    return now - Number(run.heartbeatAt) >= STALE_RUN_MS;
  });
}

export async function prune(deps: RunsDeps, today: string, retentionDays: number, onDeleted?: (items: number) => void): Promise<string[]> {
  const current = (await currentPointer(deps, true))?.snapshotId;
  const pruned: string[] = [];
  for (const run of prunable(await listRuns(deps), current, today, retentionDays, deps.clock.now())) {
    if (run.status === 'writing') {
      try {
        await deps.tables.update({
          table: deps.table,
          key: runKey(run.snapshotId),
          set: { status: 'pruning' },
          condition: { and: [{ attr: 'status', op: '=', value: 'writing' }, { attr: 'heartbeatAt', op: '=', value: run.heartbeatAt }] },
        });
      } catch (err) {
        if (err instanceof ConditionalCheckFailedError) continue; // it moved: alive after all
        throw err;
      }
    }
    await deleteSnapshot(deps, run.snapshotId, onDeleted);
    pruned.push(run.snapshotId);
  }
  return pruned;
}

/** Deletes every item of a snapshot (through its manifest), then its run record. */
export async function deleteSnapshot(deps: RunsDeps, snapshotId: string, onDeleted?: (items: number) => void): Promise<void> {
  const { tables, table } = deps;
  for (;;) {
    // Always the first remaining manifest item: each one is deleted with the items it lists.
    const page = await tables.query({ table, partition: manifestPartition(snapshotId), limit: 10, consistent: true });
    if (page.items.length === 0) break;
    for (const manifest of page.items) {
      const keys = Array.isArray(manifest.keys) ? (manifest.keys as [string, string][]) : [];
      await tables.transactWrite([
        ...keys.map(([pk, sk]) => ({ delete: { table, key: { pk, sk } } })),
        { delete: { table, key: { pk: manifest.pk as string, sk: manifest.sk as string } } },
      ]);
      onDeleted?.(keys.length);
    }
  }
  await tables.delete({ table, key: runKey(snapshotId) });
}

/** YYYY-MM-DD plus n days (UTC). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
