/**
 * The worker thread of runRankingsInWorker (worker.ts): opens its own connection to the SQLite
 * file, runs the CalculateRankings handler for the event, reports progress and the summary.
 * synchronous=NORMAL for this connection: a snapshot can always be rebuilt, and losing the last
 * commits to a power cut loses at most the pointer flip, leaving the previous snapshot current.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../domain/errors.ts';
import { tableDefinitions } from '../domain/tables.ts';
import { openSqliteTables } from '../adapters/sqlite/sqlite-tables.ts';
import { createCalculateRankings, type RankingsProgress } from '../functions/calculate-rankings/handler.ts';
import type { RankingsWorkerData, RankingsWorkerMessage } from './rankings-worker.ts';

const PROGRESS_EVERY_MS = 100;

async function main(data: RankingsWorkerData): Promise<void> {
  const post = (msg: RankingsWorkerMessage) => parentPort!.postMessage(msg);
  const tables = openSqliteTables({ path: data.dbPath, synchronous: 'NORMAL', busyTimeoutMs: data.config.sqlite?.busyTimeoutMs ?? 5000 });
  try {
    // The rankings table of a data dir created before it existed.
    await tables.ensure(tableDefinitions(data.tableNames).filter((d) => d.id === 'rankings'));
    let lastPhase = '';
    let lastAt = 0;
    const onProgress = (progress: RankingsProgress) => {
      const now = Date.now();
      if (progress.phase === lastPhase && now - lastAt < PROGRESS_EVERY_MS) return;
      lastPhase = progress.phase;
      lastAt = now;
      post({ type: 'progress', progress });
    };
    const fn = createCalculateRankings({ tables, tableNames: data.tableNames, config: data.config });
    const summary = await fn.handler(data.event, { onProgress });
    post({ type: 'done', summary });
  } catch (err) {
    const e = err as Error;
    post({ type: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(err), code: err instanceof AppError ? err.code : undefined, stack: e?.stack });
  } finally {
    await tables.close();
  }
}

await main(workerData as RankingsWorkerData);
