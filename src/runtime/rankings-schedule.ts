/**
 * CalculateRankings in the embedded server: on the `rankings.cron` schedule (UTC, default daily
 * 00:00) it runs in a worker thread with its own connection to the SQLite file, off the request
 * path. `biilive rankings run` does the same on demand, from another process.
 *
 * Not scheduled (one log line says so and why):
 * - `rankings.enabled: false`;
 * - the DynamoDB store: the worker opens only the SQLite adapter, running in this process would
 *   stall requests while it ranks (the in-memory sort), and every replica would run it. There the
 *   run is EventBridge's (infra/) or `biilive rankings run --store dynamodb` from one cron job;
 * - tables handed to startApp (tests with another adapter): no file for the worker to open.
 */
import type { Config } from '../config/schema.ts';
import type { RankingsSummary } from '../functions/calculate-rankings/handler.ts';
import { runRankingsInWorker, scheduleRankings } from './rankings-worker.ts';
import type { Logger } from '../ports/logger.ts';

export interface EmbeddedRankings {
  /** The next scheduled run; null when not scheduled. */
  nextRun(): Date | null;
  /** Stops the schedule and terminates a run in progress (the previous snapshot stays current). */
  close(): Promise<void>;
}

export interface RankingsScheduleDeps {
  config: Config;
  log: Logger;
  /** The SQLite file the server uses; undefined when the store is not this server's SQLite file. */
  sqliteFile: string | undefined;
}

export function startRankingsSchedule({ config, log, sqliteFile }: RankingsScheduleDeps): EmbeddedRankings {
  const off = (reason: string): EmbeddedRankings => {
    log.info({ reason }, 'CalculateRankings not scheduled');
    return { nextRun: () => null, close: async () => {} };
  };
  if (!config.rankings.enabled) return off('rankings.enabled is false');
  if (config.store !== 'sqlite') return off('DynamoDB store: run `biilive rankings run` from one place (or EventBridge on AWS)');
  if (!sqliteFile) return off('the server was given its tables: no SQLite file for the worker');

  const workerConfig = { points: config.points, rankings: config.rankings, region: config.region, sqlite: config.sqlite };
  const abort = new AbortController();
  const running = new Set<Promise<unknown>>();
  const schedule = scheduleRankings({
    cron: config.rankings.cron,
    region: config.region,
    onError: (err) => {
      if (!abort.signal.aborted) log.error({ err }, 'CalculateRankings failed; the previous snapshot stays current');
    },
    run: (event) => {
      log.info({ time: event.time }, 'CalculateRankings started');
      const run = runRankingsInWorker({ dbPath: sqliteFile, tableNames: config.tables, config: workerConfig, event, signal: abort.signal }).then(
        (summary: RankingsSummary) => log.info({ summary }, 'CalculateRankings done'),
      );
      const tracked = run.catch(() => {}).finally(() => running.delete(tracked));
      running.add(tracked);
      return run;
    },
  });
  log.info({ cron: config.rankings.cron, nextRun: schedule.nextRun()?.toISOString() }, 'CalculateRankings scheduled (UTC)');

  return {
    nextRun: () => schedule.nextRun(),
    async close() {
      schedule.stop();
      abort.abort(new Error('server closing'));
      await Promise.all(running);
    },
  };
}
