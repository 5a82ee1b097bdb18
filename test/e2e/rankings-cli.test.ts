import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsersService } from '../../src/domain/users/users-service.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { runCli, startTestServer, type TestServer } from '../support/server.ts';

// `biilive rankings run` and `biilive points award` as child processes on the data dir of a
// server that keeps running (SQLite WAL: two processes, one file), and the server's own schedule.
const USERS = 300;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;

const RANKINGS = `query R($s: RankingScope!, $p: String, $l: Int) {
  getRankings(scope: $s, pais: $p, limit: $l) { date total nextToken items { rank userId puntos nivel pais } } }`;

async function rankings(s: TestServer, variables: Record<string, unknown>): Promise<Json> {
  const res = await fetch(s.app.endpoints.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': s.app.installation.apiKey },
    body: JSON.stringify({ query: RANKINGS, variables }),
  });
  const json = (await res.json()) as { data: Json; errors?: unknown };
  assert.equal(json.errors, undefined, JSON.stringify(json.errors));
  return json.data.getRankings;
}

describe('biilive rankings run / points award beside a running server', () => {
  let dir: string;
  let s: TestServer;
  const ids: string[] = [];
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dir, '--log-level', 'silent']);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'biilive-'));
    s = await startTestServer({ dataDir: dir, rankings: { enabled: false } });
    const users = new UsersService({ tables: s.app.tables, tableNames: s.app.config.tables, clock: systemClock, limits: s.app.config.limits });
    for (let i = 0; i < USERS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, USERS - i) }, async (_, j) => {
          const n = i + j;
          const sub = randomUUID();
          ids.push(sub);
          await users.createProfile({ sub, username: `cli${n}`, attributes: { nickname: `cli${n}` } });
          const pais = n % 3 === 0 ? 'Colombia' : n % 3 === 1 ? 'colombia ' : 'Perú';
          await s.app.tables.update({ table: s.app.config.tables.users, key: { userId: sub }, set: { puntos: (n * 7) % 50, pais } });
        }),
      );
    }
  });
  after(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('rankings run: progress on stderr, the summary on stdout, the snapshot served at once', async () => {
    const r = await cli('rankings', 'run', '--date', '2026-01-01');
    assert.equal(r.code, 0, r.stderr);
    for (const phase of ['scan', 'rank', 'write']) assert.match(r.stderr, new RegExp(`^rankings: ${phase} \\d+`, 'm'), phase);
    assert.match(r.stderr, /^rankings: rank 300\/300 users ranked$/m);
    assert.match(r.stderr, /^rankings: write \d+\/\d+ items written$/m);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(
      { date: summary.date, current: summary.current, users: summary.users, countries: summary.countries, cities: summary.cities },
      { date: '2026-01-01', current: true, users: USERS, countries: 2, cities: 0 },
    );
    assert.match(summary.snapshotId, /^2026-01-01\./);

    const global = await rankings(s, { s: 'GLOBAL', l: 5 });
    assert.equal(global.date, '2026-01-01');
    assert.equal(global.total, USERS);
    assert.equal(global.items[0].puntos, 49);
    const colombia = await rankings(s, { s: 'COUNTRY', p: 'COLOMBIA', l: 1 });
    assert.equal(colombia.total, 200, '"Colombia" and "colombia " are one country');
  });

  test('points award from the CLI, idempotent; the next run (default date: today) ranks it first', async () => {
    const top = ids[7];
    const award = () => cli('points', 'award', top, '5000', '--reason', 'season winner', '--key', 'season-2026');
    const first = await award();
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(
      (({ userId, amount, replayed }) => ({ userId, amount, replayed }))(JSON.parse(first.stdout)),
      { userId: top, amount: 5000, replayed: false },
    );
    const puntos = JSON.parse(first.stdout).puntos;
    const again = await award();
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).replayed, true);
    assert.equal(JSON.parse(again.stdout).puntos, puntos, 'counted once');

    const refused = await cli('points', 'award', randomUUID(), '10', '--reason', 'ghost', '--key', 'ghost-1');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /points award refused \(NotFound\)/);
    const notNumber = await cli('points', 'award', top, 'lots', '--reason', 'x', '--key', 'nan-1');
    assert.equal(notNumber.code, 1);
    assert.match(notNumber.stderr, /amount must be an integer/);

    const r = await cli('rankings', 'run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', '--quiet: no progress lines');
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(JSON.parse(r.stdout).date, today);
    const global = await rankings(s, { s: 'GLOBAL', l: 1 });
    assert.equal(global.date, today);
    assert.deepEqual(global.items[0], { rank: 1, userId: top, puntos, nivel: 5, pais: 'Colombia' });
  });

  test('a bad --date is a usage error (exit 2) and runs nothing', async () => {
    const before = (await rankings(s, { s: 'GLOBAL', l: 1 })).date;
    for (const date of ['2026-02-30', 'tomorrow']) {
      const r = await cli('rankings', 'run', '--date', date);
      assert.equal(r.code, 2, date);
      assert.match(r.stderr, /--date must be a calendar date as YYYY-MM-DD/);
      assert.equal(r.stdout, '');
    }
    assert.equal((await rankings(s, { s: 'GLOBAL', l: 1 })).date, before);
  });
});

describe('the server runs CalculateRankings on its schedule', () => {
  test('rankings.cron fires the run in a worker; the snapshot is served; close stops the schedule', async () => {
    const s = await startTestServer({ rankings: { cron: '* * * * * *' } });
    try {
      assert.ok(s.app.rankings.nextRun() instanceof Date);
      await new UsersService({ tables: s.app.tables, tableNames: s.app.config.tables, clock: systemClock, limits: s.app.config.limits }).createProfile({
        sub: randomUUID(),
        username: 'early',
        attributes: { nickname: 'early' },
      });
      let page: Json;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
        page = await rankings(s, { s: 'GLOBAL' });
        if (page.date) break;
      }
      assert.equal(page.date, new Date().toISOString().slice(0, 10));
      assert.equal(page.total, 1);
    } finally {
      await s.stop();
    }
    assert.equal(s.app.rankings.nextRun(), null);
  });

  test('rankings.enabled false: nothing scheduled', async () => {
    const s = await startTestServer({ rankings: { enabled: false } });
    try {
      assert.equal(s.app.rankings.nextRun(), null);
    } finally {
      await s.stop();
    }
  });
});
