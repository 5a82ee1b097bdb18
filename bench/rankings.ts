/**
 * CalculateRankings over N generated users (default 1,000,000), embedded: the run in its worker
 * thread (through the Tables port, as in production) beside, in the same run, a single SQL
 * window-function query over the same rows as the baseline; plus getUser latency in the main
 * thread (UsersService over its own connection) while idle and while the run is in progress.
 * Prints one JSON object.
 *   node --import tsx bench/rankings.ts [users]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openSqliteTables } from '../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../src/config/schema.ts';
import { RankingsService } from '../src/domain/rankings/rankings-service.ts';
import { tableDefinitions } from '../src/domain/tables.ts';
import { UsersService } from '../src/domain/users/users-service.ts';
import { runRankingsInWorker } from '../src/runtime/rankings-worker.ts';
import { systemClock } from '../src/ports/clock.ts';
import type { Item, Tables } from '../src/ports/tables.ts';

const config = configSchema.parse({});
const names = config.tables;

// Spellings as users type them: accents, case and stray spaces vary within one place.
const PLACES: [string[], string[][]][] = [
  [['Colombia', 'colombia'], [['Bogotá', 'bogota ', 'BOGOTA', 'Bogota'], ['Medellín', 'medellin'], ['Cali'], ['Barranquilla'], ['Cartagena']]],
  [['México', 'Mexico', 'MEXICO'], [['Ciudad de México', 'ciudad de mexico', 'Ciudad  de México'], ['Guadalajara'], ['Monterrey'], ['Puebla']]],
  [['España', 'espana', 'Espana'], [['Madrid', 'madrid '], ['Barcelona'], ['Sevilla'], ['Valencia'], ['Málaga', 'Malaga']]],
  [['Argentina'], [['Buenos Aires', 'buenos aires'], ['Córdoba', 'Cordoba'], ['Rosario'], ['Mendoza']]],
  [['Perú', 'Peru'], [['Lima'], ['Arequipa'], ['Cusco', 'Cuzco']]],
  [['Chile'], [['Santiago'], ['Valparaíso', 'Valparaiso'], ['Concepción']]],
  [['Brasil', 'Brazil'], [['São Paulo', 'Sao Paulo'], ['Rio de Janeiro'], ['Brasília', 'Brasilia']]],
  [['Estados Unidos', 'EEUU'], [['Miami'], ['Nueva York', 'New York'], ['Los Ángeles', 'Los Angeles'], ['Houston']]],
  [['Venezuela'], [['Caracas'], ['Maracaibo'], ['Valencia']]],
  [['Ecuador'], [['Quito'], ['Guayaquil']]],
];

/** Deterministic PRNG (mulberry32): the same population every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(tables: Tables, users: number): Promise<string[]> {
  const rand = prng(42);
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
  // Ascending ids: each transaction appends to the B-tree instead of touching random pages.
  const ids = Array.from({ length: users }, () => randomUUID()).sort();
  const now = '2026-01-01T00:00:00.000Z';
  for (let i = 0; i < ids.length; i += 100) {
    const ops = [];
    for (let j = i; j < Math.min(ids.length, i + 100); j++) {
      const nickname = `u${j.toString(36)}`;
      // Skewed, heavily tied: a third has 0, the rest mostly small.
      const puntos = rand() < 0.33 ? 0 : Math.floor(20_000 * rand() ** 4);
      const item: Item = { userId: ids[j], nickname, nicknameLower: nickname, nicknameBucket: 'u', seguidores: 0, siguiendo: 0, puntos, nivel: 1, isOnline: false, createdAt: now, updatedAt: now };
      const r = rand();
      if (r > 0.05) {
        const [countrySpellings, cities] = pick(PLACES);
        item.pais = pick(countrySpellings);
        if (r > 0.1) item.ciudad = pick(pick(cities));
      }
      ops.push({ put: { table: names.users, item } });
    }
    await tables.transactWrite(ops);
  }
  // getUser samples these; the rest of the ids is dropped so it does not weigh on RSS.
  return Array.from({ length: 10_000 }, () => ids[Math.floor(rand() * ids.length)]);
}

/** Wall time, CPU time (all threads) and sampled peak RSS of `work`. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; cpuMs: number; rssBeforeMB: number; peakRssMB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    const result = await work();
    const used = process.cpuUsage(cpu);
    return {
      result,
      ms: Math.round(performance.now() - start),
      cpuMs: Math.round((used.user + used.system) / 1000),
      rssBeforeMB: Math.round(before / 2 ** 20),
      peakRssMB: Math.round(Math.max(peak, process.memoryUsage().rss) / 2 ** 20),
    };
  } finally {
    clearInterval(timer);
  }
}

/**
 * getUser from this thread at a steady pace (one call per millisecond timer tick, as API traffic
 * would arrive) for `ms`, or until `stop.done`. Latency of each call, in ms.
 */
async function getUserLatency(service: UsersService, ids: string[], stop: { done: boolean } | number) {
  const rand = prng(7);
  const samples: number[] = [];
  const end = typeof stop === 'number' ? performance.now() + stop : Infinity;
  while (typeof stop === 'number' ? performance.now() < end : !stop.done) {
    const id = ids[Math.floor(rand() * ids.length)];
    const t = performance.now();
    const user = await service.getUser(id);
    samples.push(performance.now() - t);
    if (!user) throw new Error(`getUser(${id}) found nothing`);
    await new Promise((r) => setTimeout(r, 1));
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => +samples[Math.min(samples.length - 1, Math.floor(p * samples.length))].toFixed(3);
  return { requests: samples.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: +samples[samples.length - 1].toFixed(3) };
}

const BASELINE_SQL = `
SELECT userId, puntos, pais, ciudad,
  ROW_NUMBER() OVER (ORDER BY puntos DESC, userId) AS globalRank,
  ROW_NUMBER() OVER (PARTITION BY pais ORDER BY puntos DESC, userId) AS countryRank,
  ROW_NUMBER() OVER (PARTITION BY pais, ciudad ORDER BY puntos DESC, userId) AS cityRank
FROM (
  SELECT pk AS userId, coalesce(json_extract(data, '$.puntos'), 0) AS puntos,
    lower(trim(json_extract(data, '$.pais'))) AS pais, lower(trim(json_extract(data, '$.ciudad'))) AS ciudad
  FROM items WHERE tbl = ?
)`;

function baseline(): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    let rows = 0;
    for (const row of db.prepare(BASELINE_SQL).raw().iterate(names.users) as IterableIterator<unknown[]>) if (row[4]) rows++;
    return rows;
  } finally {
    db.close();
  }
}

/** Generation runs in a child process, so its garbage does not count in this process's RSS. */
async function generateInChild(dbPath: string, users: number): Promise<{ ms: number; ids: string[] }> {
  const start = performance.now();
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--generate', dbPath, String(users)], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`generation failed with ${child.status}`);
  return { ms: Math.round(performance.now() - start), ids: JSON.parse(child.stdout) as string[] };
}

if (process.argv[2] === '--generate') {
  const tables = openSqliteTables({ path: process.argv[3], synchronous: 'NORMAL' });
  await tables.ensure(tableDefinitions(names));
  const ids = await generate(tables, Number(process.argv[4]));
  await tables.close();
  process.stdout.write(JSON.stringify(ids));
  process.exit(0);
}

const users = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'biilive-bench-rankings-'));
const dbPath = join(dir, 'biilive.sqlite');
try {
  const gen = await generateInChild(dbPath, users);
  const ids = gen.ids;
  const tables = openSqliteTables({ path: dbPath, synchronous: 'NORMAL' });
  const service = new UsersService({ tables, tableNames: names, clock: systemClock, limits: config.limits });

  const idle = await getUserLatency(service, ids, 3000);
  // Baseline first: its garbage is then what the run's "before" includes, not the other way round.
  const base = await measured(async () => baseline());
  const flag = { done: false };
  let progressReports = 0;
  const during = getUserLatency(service, ids, flag);
  const run = await measured(() =>
    runRankingsInWorker({ dbPath, tableNames: names, config, time: '2026-01-02T00:00:00Z', onProgress: () => progressReports++ }).finally(() => (flag.done = true)),
  );
  const busy = await during;

  // The snapshot is served: the top of the global ranking and one user's position.
  const rankings = new RankingsService({ tables, tableNames: names, limits: config.limits });
  const top = await rankings.getRankings({ scope: 'GLOBAL', limit: 3 });
  const mine = await rankings.myRank(top.items[2].userId, 'CITY');
  await tables.close();

  console.log(
    JSON.stringify(
      {
        bench: 'CalculateRankings embedded (worker thread, Tables port on SQLite) vs one SQL window-function query',
        users,
        dbSizeMB: Math.round(statSync(dbPath).size / 2 ** 20),
        generate: { ms: gen.ms },
        calculateRankings: { wallMs: run.ms, cpuMs: run.cpuMs, rssBeforeMB: run.rssBeforeMB, peakRssMB: run.peakRssMB, summary: run.result, progressReports },
        baseline: {
          what: 'better-sqlite3 read-only, ROW_NUMBER() over global / pais / pais+ciudad (lower+trim, no accent folding), all rows read, nothing written',
          wallMs: base.ms,
          cpuMs: base.cpuMs,
          rssBeforeMB: base.rssBeforeMB,
          peakRssMB: base.peakRssMB,
          rows: base.result,
        },
        ratio: { wall: +(run.ms / base.ms).toFixed(2), cpu: +(run.cpuMs / base.cpuMs).toFixed(2) },
        getUser: { idle, duringRun: busy, p99Ratio: +(busy.p99Ms / idle.p99Ms).toFixed(2) },
        check: { top: top.items.map((e) => [e.rank, e.puntos]), myCityRank: mine && { rank: mine.rank, total: mine.total, ciudad: mine.ciudad } },
        maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
