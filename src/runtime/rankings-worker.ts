/**
 * CalculateRankings embedded, off the request path: the handler runs in a worker thread with its
 * own SQLite connection to the same file (WAL: the server's readers never wait for it; its write
 * transactions are short, so the server's writers wait at most one batch). Also the daily
 * schedule (croner, UTC).
 */
import { Worker } from 'node:worker_threads';
import { Cron } from 'croner';
import type { Config } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { TableNames } from '../domain/tables.ts';
import type { RankingsProgress, RankingsSummary } from '../functions/calculate-rankings/handler.ts';
import { scheduledEvent, type ScheduledEvent } from '../functions/calculate-rankings/scheduled-event.ts';

export interface RankingsWorkerOptions {
  /** The SQLite file the server uses. */
  dbPath: string;
  tableNames: TableNames;
  config: { points: Pick<Config['points'], 'levels'>; rankings: Pick<Config['rankings'], 'retentionDays' | 'scanPageSize'>; region?: string; sqlite?: Pick<Config['sqlite'], 'busyTimeoutMs'> };
  /** The scheduled time (snapshot date = its UTC date); default now. Or a whole event. */
  time?: Date | string;
  event?: ScheduledEvent;
  /** Progress from the worker, at most every 100 ms per phase (plus each phase's first report). */
  onProgress?: (progress: RankingsProgress) => void;
  /** Aborting terminates the worker: the same as a crash, the previous snapshot stays current. */
  signal?: AbortSignal;
}

/** What the worker thread receives (structured-cloned). */
export interface RankingsWorkerData {
  dbPath: string;
  tableNames: TableNames;
  config: RankingsWorkerOptions['config'];
  event: ScheduledEvent;
}

export type RankingsWorkerMessage =
  | { type: 'progress'; progress: RankingsProgress }
  | { type: 'done'; summary: RankingsSummary }
  | { type: 'error'; name: string; message: string; code?: string; stack?: string };

const ENTRY = new URL('./rankings-worker-entry.ts', import.meta.url).href;

/** Runs CalculateRankings in a worker thread; resolves with its summary, rejects with its error. */
export function runRankingsInWorker(options: RankingsWorkerOptions): Promise<RankingsSummary> {
  const time = options.time === undefined ? new Date() : new Date(options.time);
  const data: RankingsWorkerData = {
    dbPath: options.dbPath,
    tableNames: { ...options.tableNames },
    config: structuredClone(options.config),
    event: options.event ?? scheduledEvent(time, options.config.region),
  };
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason ?? new Error('aborted'));
    const worker = new Worker(bootstrap(ENTRY), { eval: true, workerData: data });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      fn();
    };
    const abort = () => {
      settle(() => reject(options.signal?.reason ?? new Error('aborted')));
      void worker.terminate();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (msg: RankingsWorkerMessage) => {
      if (msg.type === 'progress') options.onProgress?.(msg.progress);
      else if (msg.type === 'done') settle(() => resolve(msg.summary));
      else settle(() => reject(toError(msg)));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`rankings worker exited with code ${code} before finishing`))));
  });
}

export interface RankingsSchedule {
  /** The next scheduled run, or null when stopped. */
  nextRun(): Date | null;
  stop(): void;
}

export interface ScheduleOptions {
  /** Cron pattern (config `rankings.cron`), evaluated in `timezone` (default UTC). */
  cron: string;
  /** Runs one CalculateRankings for the event (e.g. runRankingsInWorker({ event, ... })). */
  run: (event: ScheduledEvent) => Promise<unknown>;
  timezone?: string;
  region?: string;
  /** A failed run is reported here; the schedule goes on. */
  onError?: (err: unknown) => void;
}

/**
 * Fires `run` on the cron schedule with the EventBridge event for the scheduled time. A run still
 * in progress when the next one is due makes that one skip (croner's overrun protection). The
 * timer does not keep the process alive.
 */
export function scheduleRankings(options: ScheduleOptions): RankingsSchedule {
  const job = new Cron(
    options.cron,
    { timezone: options.timezone ?? 'UTC', protect: true, unref: true, catch: (err) => options.onError?.(err) },
    async (self: Cron) => {
      const fired = self.currentRun() ?? new Date();
      await options.run(scheduledEvent(new Date(Math.floor(fired.getTime() / 1000) * 1000), options.region));
    },
  );
  return { nextRun: () => job.nextRun(), stop: () => job.stop() };
}

/**
 * The worker's first script: worker threads do not inherit the main thread's TypeScript loader,
 * so it registers tsx (as bin/biilive.js does) before importing the entry, unless running built JS.
 */
function bootstrap(entry: string): string {
  if (!entry.endsWith('.ts')) return `import(${JSON.stringify(entry)})`;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}

function toError(msg: Extract<RankingsWorkerMessage, { type: 'error' }>): Error {
  if (msg.code) return new AppError(msg.code, msg.message);
  const err = new Error(msg.message);
  err.name = msg.name;
  if (msg.stack) err.stack = msg.stack;
  return err;
}
