import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { openContext } from '../../runtime/command-context.ts';
import { createCalculateRankings, type RankingsProgress, type RankingsSummary } from '../../functions/calculate-rankings/handler.ts';
import { scheduledEvent } from '../../functions/calculate-rankings/scheduled-event.ts';
import { runRankingsInWorker } from '../../runtime/rankings-worker.ts';
import { systemClock } from '../../ports/clock.ts';
import { openStore, StartupError } from '../../runtime/store.ts';
import { configFrom, withConfigOptions } from '../options.ts';
import { progressReporter } from '../progress.ts';

const UNITS = { scan: 'users read', rank: 'users ranked', write: 'items written', prune: 'items deleted' } as const;

/**
 * `biilive rankings run [--date YYYY-MM-DD]`: one CalculateRankings now, against the configured
 * store; `biilive rankings status`: the current snapshot. Progress lines go to stderr, the result
 * (JSON) to stdout. On SQLite the run is a worker thread with its own connection, so it works
 * while a server runs on the same data dir (WAL: the server keeps reading and writing).
 */
export function registerRankings(program: Command): void {
  const rankings = program.command('rankings').description('CalculateRankings: leaderboards by city, country and globally');

  withConfigOptions(rankings.command('run').description('compute and publish a ranking snapshot now (safe while a server runs)'))
    .option('--date <YYYY-MM-DD>', 'snapshot date (default: today, UTC)')
    .option('--quiet', 'no progress lines')
    .action(async (opts, cmd: Command) => {
      const config = configFrom(opts);
      const time = snapshotTime(opts.date);
      if (!time) return cmd.error(`error: --date must be a calendar date as YYYY-MM-DD, got ${JSON.stringify(opts.date)}`, { exitCode: 2 });
      const progress = opts.quiet ? undefined : progressReporter('rankings');
      let summary: RankingsSummary;
      try {
        summary = await run(config, time, progress && ((p) => progress.report(p.phase, p.done, p.total, UNITS[p.phase])));
        progress?.stop();
      } catch (err) {
        progress?.stop();
        if (err instanceof StartupError || !(err instanceof Error)) throw err;
        const code = err instanceof AppError ? ` (${err.code})` : '';
        process.stderr.write(`biilive: rankings run failed${code}: ${err.message}; the previous snapshot stays current\n`);
        process.exitCode = 1;
        return;
      }
      if (!summary.current) process.stderr.write(`rankings: a snapshot of a later date is current; ${summary.date} was written but is not served\n`);
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    });

  withConfigOptions(rankings.command('status').description('the current snapshot (date, users, countries, cities)')).action(async (opts) => {
    const config = configFrom(opts);
    const context = await openContext(config);
    try {
      const pointer = await context.services.rankings.current();
      const current = pointer && Object.fromEntries(Object.entries(pointer).filter(([k]) => k !== 'pk' && k !== 'sk'));
      process.stdout.write(`${JSON.stringify({ current: current ?? null }, null, 2)}\n`);
    } finally {
      await context.close();
    }
  });
}

/** `--date` as the scheduled time (midnight UTC of that date); now when omitted; undefined when invalid. */
function snapshotTime(date: unknown): Date | undefined {
  if (date === undefined) return new Date();
  const ms = typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return undefined;
  return new Date(ms);
}

async function run(config: Config, time: Date, onProgress: ((p: RankingsProgress) => void) | undefined): Promise<RankingsSummary> {
  // Creates what is missing (a fresh data dir, a store from before the rankings table) and checks
  // the rest, as every command does; the connection is closed again before the run.
  const tables = await openStore(config, { clock: systemClock });
  if (config.store === 'sqlite') {
    await tables.close();
    const dbPath = join(resolve(config.dataDir), 'biilive.sqlite');
    const workerConfig = { points: config.points, rankings: config.rankings, region: config.region, sqlite: config.sqlite };
    return runRankingsInWorker({ dbPath, tableNames: config.tables, config: workerConfig, time, onProgress });
  }
  // DynamoDB: this process does nothing else, so the handler runs here, as the Lambda would.
  try {
    const fn = createCalculateRankings({ tables, tableNames: config.tables, config });
    return await fn.handler(scheduledEvent(time, config.region), { onProgress });
  } finally {
    await tables.close();
  }
}
