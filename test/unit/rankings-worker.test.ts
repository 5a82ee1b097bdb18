import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';
import { RankingsService, type RankingEntry, type RankingScope } from '../../src/domain/rankings/rankings-service.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { createCalculateRankings, type RankingsProgress } from '../../src/functions/calculate-rankings/handler.ts';
import { scheduledEvent, type ScheduledEvent } from '../../src/functions/calculate-rankings/scheduled-event.ts';
import { runRankingsInWorker, scheduleRankings } from '../../src/runtime/rankings-worker.ts';
import type { Item, Tables } from '../../src/ports/tables.ts';

const config = configSchema.parse({});
const names = config.tables;
const CITIES: [string, string][] = [['Bogotá', 'Colombia'], ['bogota ', 'colombia'], ['BOGOTA', 'COLOMBIA'], ['Lima', 'Perú'], ['Quito', 'Ecuador']];

let dir: string;
let dbPath: string;
let tables: Tables;
let rankings: RankingsService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  dbPath = join(dir, 'biilive.sqlite');
  tables = openSqliteTables({ path: dbPath, synchronous: 'NORMAL' });
  await tables.ensure(tableDefinitions(names));
  rankings = new RankingsService({ tables, tableNames: names, limits: config.limits });
  const users: Item[] = Array.from({ length: 1500 }, (_, i) => {
    const [ciudad, pais] = CITIES[i % CITIES.length];
    return { userId: `w${String((i * 613) % 1500).padStart(4, '0')}`, nickname: `w${i}`, puntos: (i * 37) % 101, ciudad, pais };
  });
  for (let i = 0; i < users.length; i += 100) {
    await tables.transactWrite(users.slice(i, i + 100).map((item) => ({ put: { table: names.users, item } })));
  }
});

after(async () => {
  await tables.close();
  rmSync(dir, { recursive: true, force: true });
});

async function everything(): Promise<Record<string, RankingEntry[]>> {
  const out: Record<string, RankingEntry[]> = {};
  const read = async (key: string, scope: RankingScope, pais?: string, ciudad?: string) => {
    const items: RankingEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await rankings.getRankings({ scope, pais, ciudad, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    out[key] = items;
  };
  await read('GLOBAL', 'GLOBAL');
  for (const pais of ['Colombia', 'Perú', 'Ecuador']) await read(`COUNTRY ${pais}`, 'COUNTRY', pais);
  for (const [ciudad, pais] of [['Bogota', 'Colombia'], ['Lima', 'Peru'], ['Quito', 'Ecuador']]) await read(`CITY ${ciudad}`, 'CITY', pais, ciudad);
  return out;
}

test('the worker-thread run gives the same rankings as the in-process run, with progress', async () => {
  const inProcess = await createCalculateRankings({ tables, tableNames: names, config }).handler(scheduledEvent(new Date('2026-03-01T00:00:00Z')));
  const expected = await everything();
  assert.equal(expected.GLOBAL.length, 1500);
  assert.equal(expected['CITY Bogota'].length, 900);

  const progress: RankingsProgress[] = [];
  // The server's connection stays open meanwhile: the worker has its own.
  const summary = await runRankingsInWorker({ dbPath, tableNames: names, config, time: '2026-03-02T00:00:00Z', onProgress: (p) => progress.push(p) });
  assert.equal(summary.date, '2026-03-02');
  assert.equal(summary.current, true);
  assert.deepEqual(
    { users: summary.users, countries: summary.countries, cities: summary.cities, items: summary.items },
    { users: inProcess.users, countries: inProcess.countries, cities: inProcess.cities, items: inProcess.items },
  );
  assert.equal((await rankings.current())?.snapshotId, summary.snapshotId);
  assert.deepEqual(await everything(), expected);
  assert.ok(progress.some((p) => p.phase === 'scan' && p.done > 0));
  assert.ok(progress.some((p) => p.phase === 'write' && p.total === summary.items));
});

test('a failure in the worker rejects with the same AppError', async () => {
  const event = { ...scheduledEvent(new Date()), source: 'my.app' } as unknown as ScheduledEvent;
  await assert.rejects(runRankingsInWorker({ dbPath, tableNames: names, config, event }), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, ErrorCode.BadRequest);
    return true;
  });
});

test('scheduleRankings fires the run with a scheduled event for the cron time', async () => {
  const events: ScheduledEvent[] = [];
  let resolve!: () => void;
  const fired = new Promise<void>((r) => (resolve = r));
  const schedule = scheduleRankings({
    cron: '* * * * * *', // every second
    run: async (event) => {
      events.push(event);
      resolve();
    },
  });
  // The schedule's timer does not hold the process open (the server does); this test must.
  const keepAlive = setTimeout(() => {}, 10_000);
  try {
    assert.ok(schedule.nextRun());
    await fired;
  } finally {
    schedule.stop();
    clearTimeout(keepAlive);
  }
  assert.equal(schedule.nextRun(), null);
  const [event] = events;
  assert.equal(event['detail-type'], 'Scheduled Event');
  assert.equal(event.source, 'aws.events');
  assert.match(event.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.ok(Math.abs(Date.parse(event.time) - Date.now()) < 5000);
});
