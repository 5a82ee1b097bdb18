/**
 * CalculateRankings in the embedded server: on the `rankings.cron` schedule (UTC, default daily
 * 00:00) it runs in a worker thread with its own connection to the SQLite file, off the request
 * path; the console runs it on demand the same way (one run at a time). `biilive rankings run`
 * does the same from another process.
 *
 * Not scheduled (one log line says so and why):
 * - `rankings.enabled: false` (the console can still run it);
 * - the DynamoDB store: the worker opens only the SQLite adapter, running in this process would
 *   stall requests while it ranks (the in-memory sort), and every replica would run it. There the
 *   run is EventBridge's (infra/) or `biilive rankings run --store dynamodb` from one cron job;
 * - tables handed to startApp (tests with another adapter): no file for the worker to open.
 */
import type { Config } from '../config/schema.ts';
import type { RankingsProgress, RankingsSummary } from '../functions/calculate-rankings/handler.ts';
import { scheduledEvent, type ScheduledEvent } from '../functions/calculate-rankings/scheduled-event.ts';
import { runRankingsInWorker, scheduleRankings } from './rankings-worker.ts';
import type { Logger } from '../ports/logger.ts';
import type { SystemMetrics } from './metrics.ts';

/** A run started by the schedule or on demand (the console), as far as this process saw it. */
export interface RankingsRun {
  trigger: 'schedule' | 'demand';
  state: 'running' | 'done' | 'failed';
  startedAt: string;
  finishedAt?: string;
  progress?: RankingsProgress;
  summary?: RankingsSummary;
  error?: string;
}

/** Runs cannot happen in this process (why is the message). */
export class RankingsUnavailableError extends Error {
  override readonly name = 'RankingsUnavailableError';
}

export interface EmbeddedRankings {
  /** The next scheduled run; null when not scheduled. */
  nextRun(): Date | null;
  /** The run in progress, else the last one since start; null when none. */
  lastRun(): RankingsRun | null;
  /** Starts a run now, or returns the one in progress. Throws RankingsUnavailableError where runs cannot happen here. */
  runNow(): RankingsRun;
  /** Stops the schedule and terminates a run in progress (the previous snapshot stays current). */
  close(): Promise<void>;
}

export interface RankingsScheduleDeps {
  config: Config;
  log: Logger;
  /** The SQLite file the server uses; undefined when the store is not this server's SQLite file. */
  sqliteFile: string | undefined;
  /** Counts each run as an invocation of CalculateRankings. */
  metrics?: SystemMetrics;
}

export function startRankingsSchedule({ config, log, sqliteFile, metrics }: RankingsScheduleDeps): EmbeddedRankings {
  const off = (reason: string): EmbeddedRankings => {
    log.info({ reason }, 'CalculateRankings not scheduled');
    return {
      nextRun: () => null,
      lastRun: () => null,
      runNow: () => {
        throw new RankingsUnavailableError(`CalculateRankings does not run in this server: ${reason}`);
      },
      close: async () => {},
    };
  };
  if (config.store !== 'sqlite') return off('DynamoDB store: run `biilive rankings run` from one place (or EventBridge on AWS)');
  if (!sqliteFile) return off('the server was given its tables: no SQLite file for the worker');
  const dbPath = sqliteFile;

  const workerConfig = { points: config.points, rankings: config.rankings, region: config.region, sqlite: config.sqlite };
  const abort = new AbortController();
  const running = new Set<Promise<unknown>>();
  let current: RankingsRun | null = null;

  /** One run at a time, whoever asks: the schedule's turn is skipped while another run goes on. */
  function start(trigger: RankingsRun['trigger'], event: ScheduledEvent): { run: RankingsRun; done: Promise<RankingsSummary> } {
    const run: RankingsRun = { trigger, state: 'running', startedAt: new Date().toISOString() };
    current = run;
    log.info({ time: event.time, trigger }, 'CalculateRankings started');
    const work = () =>
      runRankingsInWorker({ dbPath, tableNames: config.tables, config: workerConfig, event, signal: abort.signal, onProgress: (p) => (run.progress = p) });
    const done = (metrics ? metrics.invocation('CalculateRankings', work) : work()).then(
      (summary: RankingsSummary) => {
        Object.assign(run, { state: 'done', summary, finishedAt: new Date().toISOString() });
        log.info({ summary }, 'CalculateRankings done');
        return summary;
      },
      (err: unknown) => {
        Object.assign(run, { state: 'failed', error: (err as Error)?.message ?? String(err), finishedAt: new Date().toISOString() });
        throw err;
      },
    );
    const tracked = done.catch(() => {}).finally(() => running.delete(tracked));
    running.add(tracked);
    return { run, done };
  }

  const onError = (err: unknown) => {
    if (!abort.signal.aborted) log.error({ err }, 'CalculateRankings failed; the previous snapshot stays current');
  };
  const schedule = config.rankings.enabled
    ? scheduleRankings({
        cron: config.rankings.cron,
        region: config.region,
        onError,
        run: (event) => {
          if (current?.state === 'running') {
            log.warn({ time: event.time }, 'CalculateRankings already running: this turn is skipped');
            return Promise.resolve();
          }
          return start('schedule', event).done;
        },
      })
    : undefined;
  if (schedule) log.info({ cron: config.rankings.cron, nextRun: schedule.nextRun()?.toISOString() }, 'CalculateRankings scheduled (UTC)');
  else log.info({ reason: 'rankings.enabled is false' }, 'CalculateRankings not scheduled (runs on demand only)');

  return {
    nextRun: () => schedule?.nextRun() ?? null,
    lastRun: () => current,
    runNow() {
      if (current?.state === 'running') return current;
      const { run, done } = start('demand', scheduledEvent(new Date(Math.floor(Date.now() / 1000) * 1000), config.region));
      done.catch(onError);
      return run;
    },
    async close() {
      schedule?.stop();
      abort.abort(new Error('server closing'));
      await Promise.all(running);
    },
  };
}
