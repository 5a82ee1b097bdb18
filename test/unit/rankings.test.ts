import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';
import { levelFor } from '../../src/domain/points/levels.ts';
import { normalizePlace } from '../../src/domain/rankings/places.ts';
import { Population } from '../../src/domain/rankings/population.ts';
import { bucketOf } from '../../src/domain/rankings/keys.ts';
import { RankingsService, type RankingEntry, type RankingsQuery } from '../../src/domain/rankings/rankings-service.ts';
import { listRuns, STALE_RUN_MS } from '../../src/domain/rankings/runs.ts';
import type { RankingsFaultInjector } from '../../src/domain/rankings/snapshot-writer.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { createCalculateRankings } from '../../src/functions/calculate-rankings/handler.ts';
import { scheduledEvent } from '../../src/functions/calculate-rankings/scheduled-event.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import type { Item, Tables } from '../../src/ports/tables.ts';

const config = configSchema.parse({ points: { levels: [0, 10, 50, 200] }, rankings: { retentionDays: 3, scanPageSize: 250 } });
const names = config.tables;

/** Deterministic PRNG (mulberry32). */
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

// Places as typed by users: one place, several spellings.
const PLACES: [string[], string[][]][] = [
  [['Colombia', 'colombia ', 'COLOMBIA'], [['Bogotá', 'bogota ', 'BOGOTA', 'Bogota'], ['Medellín', 'medellin', 'MEDELLÍN'], ['Cali']]],
  [['México', 'Mexico', ' méxico'], [['Ciudad de México', 'ciudad  de mexico', 'CIUDAD DE MÉXICO'], ['Guadalajara']]],
  [['España', 'espana'], [['Málaga', 'malaga'], ['A Coruña', 'a coruna'], ['Sevilla']]],
  [['Perú'], [['Lima'], ['Cusco']]],
  [['Côte d’Ivoire', "cote d’ivoire"], [['Abidjan']]],
];

const build = {
  user(userId: string, extra: Item = {}): Item {
    return { userId, nickname: `n_${userId}`, puntos: 0, nivel: 1, createdAt: '2026-01-01T00:00:00.000Z', ...extra };
  },
  /** `n` users, many ties (puntos from a small range), mixed spellings, some without places. */
  population(n: number, seed: number, prefix = 'u'): Item[] {
    const rand = prng(seed);
    const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
    return Array.from({ length: n }, (_, i) => {
      const extra: Item = { puntos: Math.floor(rand() * 40) * 5 };
      const r = rand();
      if (r < 0.02) extra.puntos = -3; // bad data counts as 0
      else if (r < 0.03) delete extra.puntos;
      if (r > 0.06) {
        const [countries, cities] = pick(PLACES);
        extra.pais = pick(countries);
        if (r > 0.12) extra.ciudad = pick(pick(cities));
      }
      // Ids in scrambled order, so the scan order is not the tie order.
      return build.user(`${prefix}${((i * 7919) % n).toString().padStart(5, '0')}`, extra);
    });
  },
};

async function putAll(tables: Tables, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 100) {
    await tables.transactWrite(items.slice(i, i + 100).map((item) => ({ put: { table: names.users, item } })));
  }
}

const fnv = (s: string) => bucketOf(s, 2 ** 31);

// ---- The independent computation: plain sorting and grouping, written from the documented rules.
const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim().replace(/\s+/g, ' ');
const spelling = (s: string) => s.trim().replace(/\s+/g, ' ');

interface Expected {
  global: RankingEntry[];
  byCountry: Map<string, RankingEntry[]>;
  byCity: Map<string, RankingEntry[]>;
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

function expectedRankings(users: Item[]): Expected {
  const rows = users.map((u) => {
    const puntos = typeof u.puntos === 'number' && u.puntos > 0 ? u.puntos : 0;
    const pais = typeof u.pais === 'string' && fold(u.pais) ? u.pais : null;
    const ciudad = pais && typeof u.ciudad === 'string' && fold(u.ciudad) ? u.ciudad : null;
    return { userId: String(u.userId), nickname: String(u.nickname), puntos, pais, ciudad };
  });
  rows.sort((a, b) => b.puntos - a.puntos || (a.userId < b.userId ? -1 : 1));
  const countryKey = (r: (typeof rows)[0]) => fold(r.pais!);
  const cityKey = (r: (typeof rows)[0]) => `${fold(r.pais!)}|${fold(r.ciudad!)}`;
  const group = (key: (r: (typeof rows)[0]) => string, members: typeof rows) => {
    const m = new Map<string, typeof rows>();
    for (const r of members) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
    return m;
  };
  const countries = group(countryKey, rows.filter((r) => r.pais));
  const cities = group(cityKey, rows.filter((r) => r.ciudad));
  const paisDisplay = new Map([...countries].map(([k, m]) => [k, mostCommon(m.map((r) => spelling(r.pais!)))]));
  const ciudadDisplay = new Map([...cities].map(([k, m]) => [k, mostCommon(m.map((r) => spelling(r.ciudad!)))]));
  const entry = (r: (typeof rows)[0], rank: number): RankingEntry => ({
    rank,
    userId: r.userId,
    nickname: r.nickname,
    puntos: r.puntos,
    nivel: levelFor(r.puntos, config.points.levels),
    ciudad: r.ciudad ? ciudadDisplay.get(cityKey(r))! : null,
    pais: r.pais ? paisDisplay.get(countryKey(r))! : null,
  });
  return {
    global: rows.map((r, i) => entry(r, i + 1)),
    byCountry: new Map([...countries].map(([k, m]) => [k, m.map((r, i) => entry(r, i + 1))])),
    byCity: new Map([...cities].map(([k, m]) => [k, m.map((r, i) => entry(r, i + 1))])),
  };
}

// ---- Fixture.
let dir: string;
let tables: Tables;
let clock: ManualClock;
let rankings: RankingsService;

async function run(date: string, faultInjector?: RankingsFaultInjector) {
  // Small transactions: a run is many batches, so a crash can land in the middle.
  const fn = createCalculateRankings({ tables, tableNames: names, config, clock, faultInjector, itemsPerBatch: 8 });
  return fn.handler(scheduledEvent(new Date(`${date}T00:00:00Z`)));
}

/** Every page of a ranking, following nextToken. */
async function readAll(query: Omit<RankingsQuery, 'cursor'>) {
  const items: RankingEntry[] = [];
  let cursor: string | undefined;
  let date: string | null = null;
  let pages = 0;
  do {
    const page = await rankings.getRankings({ ...query, cursor });
    items.push(...page.items);
    cursor = page.cursor;
    date = page.date;
    assert.ok(++pages < 10_000);
  } while (cursor);
  return { date, items };
}

async function assertMatches(expected: Expected, date: string, sample: Item[]) {
  const global = await readAll({ scope: 'GLOBAL', limit: 97 });
  assert.equal(global.date, date);
  assert.deepEqual(global.items, expected.global);
  for (const [, entries] of expected.byCountry) {
    const got = await readAll({ scope: 'COUNTRY', pais: ` ${entries[0].pais!.toUpperCase()} `, limit: 100 });
    assert.deepEqual(got.items, entries, `country ${entries[0].pais}`);
  }
  for (const [, entries] of expected.byCity) {
    const got = await readAll({ scope: 'CITY', pais: entries[0].pais!, ciudad: fold(entries[0].ciudad!), limit: 33 });
    assert.deepEqual(got.items, entries, `city ${entries[0].ciudad}`);
  }
  // myRank agrees with the lists, for a sample of users, in every scope.
  const find = (list: RankingEntry[] | undefined, userId: string) => list?.find((e) => e.userId === userId);
  for (const u of sample) {
    const userId = String(u.userId);
    const g = find(expected.global, userId)!;
    const mine = await rankings.myRank(userId, 'GLOBAL');
    assert.deepEqual(mine, { ...g, date, scope: 'GLOBAL', total: expected.global.length });
    const countryList = g.pais ? [...expected.byCountry.values()].find((l) => find(l, userId)) : undefined;
    const cityList = g.ciudad ? [...expected.byCity.values()].find((l) => find(l, userId)) : undefined;
    const myCountry = await rankings.myRank(userId, 'COUNTRY');
    const myCity = await rankings.myRank(userId, 'CITY');
    assert.deepEqual(myCountry, countryList ? { ...find(countryList, userId)!, date, scope: 'COUNTRY', total: countryList.length } : null);
    assert.deepEqual(myCity, cityList ? { ...find(cityList, userId)!, date, scope: 'CITY', total: cityList.length } : null);
  }
}

async function rankingItems(): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await tables.scan({ table: names.rankings, cursor, limit: 1000 });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  tables = openSqliteTables({ path: join(dir, 'rankings.sqlite'), synchronous: 'NORMAL', clock });
  await tables.ensure(tableDefinitions(names));
  rankings = new RankingsService({ tables, tableNames: names, limits: config.limits });
});

after(async () => {
  await tables.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('places', () => {
  test('case, accents and surrounding or repeated spaces do not matter for grouping', () => {
    const bogota = ['Bogotá', 'bogota ', 'BOGOTA', ' BOGOTÁ', 'bogotá'].map(normalizePlace);
    assert.deepEqual(new Set(bogota), new Set(['bogota']));
    assert.equal(normalizePlace('  Ciudad   de  México '), 'ciudad de mexico');
    assert.equal(normalizePlace('São Paulo'), normalizePlace('SAO PAULO'));
    assert.equal(normalizePlace('Medellín'), normalizePlace('MEDELLIN'));
    assert.equal(normalizePlace('   '), undefined);
    assert.equal(normalizePlace(null), undefined);
  });
});

describe('population', () => {
  test('the ranking does not depend on the order users are scanned in (DynamoDB scans in hash order)', () => {
    const users = build.population(2000, 9);
    const rank = (items: Item[]) => {
      const p = new Population();
      for (const item of items) p.add(item);
      const r = p.rank();
      return Array.from(r.order, (u) => [r.userId(u), r.globalRank[u], r.countryRank[u], r.cityRank[u]]);
    };
    const sorted = [...users].sort((a, b) => (String(a.userId) < String(b.userId) ? -1 : 1));
    const shuffled = [...users].sort((a, b) => fnv(String(a.userId)) - fnv(String(b.userId)));
    const expected = expectedRankings(users);
    assert.deepEqual(rank(shuffled), rank(sorted));
    assert.deepEqual(rank(users).map((row) => row[0]), expected.global.map((e) => e.userId));
  });
});

describe('reads before any run', () => {
  test('no snapshot yet: an empty list with date null, and no rank', async () => {
    const page = await rankings.getRankings({ scope: 'GLOBAL' });
    assert.deepEqual(page, { date: null, scope: 'GLOBAL', pais: null, ciudad: null, total: 0, items: [] });
    assert.equal(await rankings.myRank('someone', 'GLOBAL'), null);
    assert.equal(await rankings.current(), null);
  });
});

describe('CalculateRankings', () => {
  let population: Item[];
  let firstSnapshot: string;

  test('rankings match an independent computation for every scope, ties included', async () => {
    population = build.population(3000, 1);
    await putAll(tables, population);
    const summary = await run('2026-01-01');
    firstSnapshot = summary.snapshotId;
    assert.equal(summary.users, 3000);
    assert.equal(summary.current, true);
    assert.equal(summary.date, '2026-01-01');
    assert.ok(summary.items >= 60 && summary.items <= 72, `${summary.items} items`); // the crash test counts on it
    const expected = expectedRankings(population);
    assert.equal(summary.countries, expected.byCountry.size);
    assert.equal(summary.cities, expected.byCity.size);
    // Ties are everywhere (puntos from 40 values), so the userId tie-break decides most ranks.
    assert.ok(expected.global.filter((e, i) => i > 0 && expected.global[i - 1].puntos === e.puntos).length > 2500);
    await assertMatches(expected, '2026-01-01', population.filter((_, i) => i % 50 === 0));
  });

  test('"Bogotá", "bogota " and "BOGOTA" rank together, shown with the most common spelling', async () => {
    const page = await rankings.getRankings({ scope: 'CITY', pais: 'colombia', ciudad: 'BOGOTÁ', limit: 100 });
    const all = await readAll({ scope: 'CITY', pais: 'colombia', ciudad: 'BOGOTÁ', limit: 100 });
    const typed = new Set(population.filter((u) => typeof u.ciudad === 'string' && fold(u.ciudad) === 'bogota' && u.pais).map((u) => u.ciudad));
    assert.deepEqual(typed, new Set(['Bogotá', 'bogota ', 'BOGOTA', 'Bogota']));
    const members = population.filter((u) => typeof u.ciudad === 'string' && fold(u.ciudad) === 'bogota' && fold(String(u.pais)) === 'colombia');
    assert.equal(page.total, members.length);
    assert.deepEqual(new Set(all.items.map((e) => e.userId)), new Set(members.map((u) => u.userId)));
    assert.equal(page.ciudad, mostCommon(members.map((u) => spelling(String(u.ciudad)))));
    assert.ok(all.items.every((e) => e.ciudad === page.ciudad && e.pais === page.pais));
  });

  test('a crash half-way leaves the previous snapshot current, readable and complete; the next run completes', async () => {
    const before = expectedRankings(population);
    // Points change, then a run dies half-way through its writes.
    const changed = population.map((u, i) => (i % 3 === 0 ? { ...u, puntos: 1000 + i } : u));
    await putAll(tables, changed);
    clock.advance(86_400_000);
    // 3000 users make about 65 snapshot items, 9 batches of 8: die before the 5th commits.
    await assert.rejects(
      run('2026-01-02', (point) => {
        if (point.phase === 'batch' && point.batch === 4) throw new Error('injected crash');
      }),
      /injected crash/,
    );
    const crashed = (await listRuns({ tables, table: names.rankings, clock })).find((r) => r.status === 'writing');
    assert.ok(crashed, 'the crashed run left its record');
    assert.ok((await rankingItems()).some((i) => String(i.pk).startsWith(crashed.snapshotId)), 'and some items');
    await assertMatches(before, '2026-01-01', changed.filter((_, i) => i % 150 === 0));

    // A crash just before the pointer flip: everything written, still not served.
    await assert.rejects(run('2026-01-02', (p) => { if (p.phase === 'flip') throw new Error('crash at flip'); }), /crash at flip/);
    assert.equal((await rankings.current())?.date, '2026-01-01');
    const crashedIds = (await listRuns({ tables, table: names.rankings, clock })).filter((r) => r.status === 'writing').map((r) => r.snapshotId);
    assert.equal(crashedIds.length, 2);

    const summary = await run('2026-01-02');
    assert.equal(summary.current, true);
    assert.deepEqual(summary.pruned, []); // the crashed runs are not stale yet: they might be alive
    await assertMatches(expectedRankings(changed), '2026-01-02', changed.filter((_, i) => i % 150 === 0));

    // Once stale, the crashed runs are pruned with every item they wrote.
    clock.advance(STALE_RUN_MS);
    const later = await run('2026-01-02');
    assert.deepEqual(new Set(later.pruned), new Set(crashedIds));
    const left = new Set((await listRuns({ tables, table: names.rankings, clock })).map((r) => r.snapshotId));
    assert.deepEqual(left, new Set([firstSnapshot, summary.snapshotId, later.snapshotId]));
    for (const item of await rankingItems()) {
      const pk = String(item.pk);
      assert.ok(pk === 'CURRENT' || pk === 'RUNS' || left.has(pk.split('#')[0]), `leftover item ${pk}`);
    }

    // The snapshot superseded the same day goes once the new one has been served a while.
    clock.advance(STALE_RUN_MS);
    const third = await run('2026-01-02');
    assert.deepEqual(third.pruned, [summary.snapshotId]);
  });

  test('snapshots older than retentionDays are pruned; the current one never is', async () => {
    for (const date of ['2026-01-03', '2026-01-04', '2026-01-05', '2026-01-06']) {
      clock.advance(86_400_000);
      await run(date);
    }
    const runs = await listRuns({ tables, table: names.rankings, clock });
    // retentionDays 3 on 2026-01-06: 01-03 and older are gone.
    assert.deepEqual(runs.map((r) => r.date).sort(), ['2026-01-04', '2026-01-05', '2026-01-06']);
    assert.ok(runs.every((r) => r.status === 'complete'));
    const kept = new Set(runs.map((r) => r.snapshotId));
    for (const item of await rankingItems()) {
      const pk = String(item.pk);
      assert.ok(pk === 'CURRENT' || pk === 'RUNS' || kept.has(pk.split('#')[0]), `leftover item ${pk}`);
    }
    // A late run of an older date completes but does not replace the current snapshot.
    const late = await run('2026-01-05');
    assert.equal(late.current, false);
    assert.equal((await rankings.current())?.date, '2026-01-06');
  });

  test('nextToken pins its snapshot while a new one becomes current', async () => {
    const first = await rankings.getRankings({ scope: 'GLOBAL', limit: 10 });
    await tables.put({ table: names.users, item: build.user('zz-new-leader', { puntos: 1_000_000 }) });
    clock.advance(86_400_000);
    await run('2026-01-07');
    const second = await rankings.getRankings({ scope: 'GLOBAL', limit: 10, cursor: first.cursor });
    assert.equal(second.date, first.date);
    assert.equal(second.items[0].rank, 11);
    const fresh = await rankings.getRankings({ scope: 'GLOBAL', limit: 1 });
    assert.equal(fresh.date, '2026-01-07');
    assert.equal(fresh.items[0].userId, 'zz-new-leader');
    assert.equal(fresh.total, first.total + 1);
  });

  test('a place nobody lives in is an empty ranking of the current date', async () => {
    const page = await rankings.getRankings({ scope: 'CITY', pais: 'Colombia', ciudad: 'Atlantis' });
    assert.deepEqual(page, { date: '2026-01-07', scope: 'CITY', pais: null, ciudad: null, total: 0, items: [] });
  });
});

describe('bad input', () => {
  const isBadRequest = (pattern: RegExp) => (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, ErrorCode.BadRequest);
    assert.match(err.message, pattern);
    return true;
  };

  test('unknown scope, missing place, bad limit or nextToken: BadRequest', async () => {
    await assert.rejects(rankings.getRankings({ scope: 'PLANET' }), isBadRequest(/scope must be one of GLOBAL, COUNTRY, CITY/));
    await assert.rejects(rankings.getRankings({ scope: 'global' }), isBadRequest(/scope/));
    await assert.rejects(rankings.getRankings({ scope: 'COUNTRY' }), isBadRequest(/requires pais/));
    await assert.rejects(rankings.getRankings({ scope: 'COUNTRY', pais: '   ' }), isBadRequest(/requires pais/));
    await assert.rejects(rankings.getRankings({ scope: 'CITY', pais: 'Colombia' }), isBadRequest(/requires ciudad/));
    await assert.rejects(rankings.getRankings({ scope: 'CITY', ciudad: 'Bogotá' }), isBadRequest(/requires pais/));
    await assert.rejects(rankings.getRankings({ scope: 'COUNTRY', pais: 'x'.repeat(500) }), isBadRequest(/at most/));
    await assert.rejects(rankings.getRankings({ scope: 'GLOBAL', limit: 0 }), isBadRequest(/limit/));
    await assert.rejects(rankings.getRankings({ scope: 'GLOBAL', limit: 5000 }), isBadRequest(/limit/));
    await assert.rejects(rankings.getRankings({ scope: 'GLOBAL', cursor: 'not-a-token!' }), isBadRequest(/nextToken/));
    const colombia = await rankings.getRankings({ scope: 'COUNTRY', pais: 'Colombia', limit: 1 });
    await assert.rejects(rankings.getRankings({ scope: 'GLOBAL', cursor: colombia.cursor }), isBadRequest(/Invalid nextToken/));
    await assert.rejects(rankings.getRankings({ scope: 'COUNTRY', pais: 'Perú', cursor: colombia.cursor }), isBadRequest(/Invalid nextToken/));
    await assert.rejects(rankings.myRank('u00001', 'UNIVERSE'), isBadRequest(/scope/));
  });

  test('a token of a pruned snapshot has expired', async () => {
    const page = await rankings.getRankings({ scope: 'GLOBAL', limit: 5 });
    for (const date of ['2026-01-08', '2026-01-09', '2026-01-10', '2026-01-11']) {
      clock.advance(86_400_000);
      await run(date);
    }
    await assert.rejects(rankings.getRankings({ scope: 'GLOBAL', limit: 5, cursor: page.cursor }), isBadRequest(/expired/));
  });

  test('the handler refuses anything but a scheduled event', async () => {
    const fn = createCalculateRankings({ tables, tableNames: names, config, clock });
    const event = scheduledEvent(new Date('2026-02-01T00:00:00Z'));
    await assert.rejects(fn.handler({ ...event, 'detail-type': 'Object Created' } as never), isBadRequest(/Scheduled Event/));
    await assert.rejects(fn.handler({ ...event, time: 'yesterday' }), isBadRequest(/time/));
    await assert.rejects(fn.handler(null as never), isBadRequest(/Scheduled Event/));
    assert.equal((await rankings.current())?.date, '2026-01-11');
  });

  test('the snapshot date is the event time in UTC', async () => {
    const fn = createCalculateRankings({ tables, tableNames: names, config, clock });
    const summary = await fn.handler({ ...scheduledEvent(new Date()), time: '2026-01-11T23:30:00-05:00' });
    assert.equal(summary.date, '2026-01-12');
  });
});
