import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';
import { levelFor } from '../../src/domain/points/levels.ts';
import { PointsService, type AwardInput, type PointsCaller } from '../../src/domain/points/points-service.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import type { Item, Tables } from '../../src/ports/tables.ts';

const config = configSchema.parse({ points: { maxAward: 1000, levels: [0, 100, 500, 1500] } });
const names = config.tables;
const admin: PointsCaller = { sub: 'admin-sub', groups: ['admin'] };

let dir: string;
let tables: Tables;
let points: PointsService;
let seq = 0;

const build = {
  user: (userId: string, extra: Item = {}): Item => ({ userId, nickname: `n_${userId}`, puntos: 0, nivel: 1, createdAt: '2026-01-01T00:00:00.000Z', ...extra }),
  award: (userId: string, extra: Partial<AwardInput> = {}): AwardInput => ({ userId, amount: 10, reason: 'streamed 1 hour', idempotencyKey: `key-${++seq}`, ...extra }),
};

async function newUser(extra: Item = {}): Promise<string> {
  const userId = `user-${++seq}`;
  await tables.put({ table: names.users, item: build.user(userId, extra) });
  return userId;
}

const userOf = (userId: string) => tables.get(names.users, { userId });

async function ledgerSize(): Promise<number> {
  return (await tables.scan({ table: names.points })).items.length;
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  tables = openSqliteTables({ path: join(dir, 'points.sqlite'), synchronous: 'NORMAL' });
  await tables.ensure(tableDefinitions(names));
  points = new PointsService({ tables, tableNames: names, clock: new ManualClock(Date.UTC(2026, 0, 2)), points: config.points });
});

after(async () => {
  await tables.close();
  rmSync(dir, { recursive: true, force: true });
});

test('levels follow the threshold table', () => {
  const t = [0, 100, 500];
  const cases: [number, number][] = [[-5, 1], [0, 1], [99, 1], [100, 2], [499, 2], [500, 3], [1e12, 3]];
  for (const [puntos, nivel] of cases) assert.equal(levelFor(puntos, t), nivel, `puntos ${puntos}`);
  assert.equal(levelFor(5, [0]), 1);
});

test('the level table is validated in the config', () => {
  for (const levels of [[10, 20], [0, 5, 5], [0, -1], []]) {
    assert.equal(configSchema.safeParse({ points: { levels } }).success, false, JSON.stringify(levels));
  }
  assert.deepEqual(configSchema.parse({ points: { levels: '0, 50,200' } }).points.levels, [0, 50, 200]);
});

describe('award', () => {
  test('adds puntos, derives nivel in the same write, and records the reason in the ledger', async () => {
    const userId = await newUser({ puntos: 90 });
    const result = await points.award(admin, build.award(userId, { amount: 15, reason: '  top streamer  ', idempotencyKey: 'evt-1' }));
    assert.deepEqual(result, {
      idempotencyKey: 'evt-1',
      userId,
      amount: 15,
      reason: 'top streamer',
      puntos: 105,
      nivel: 2,
      awardedAt: '2026-01-02T00:00:00.000Z',
      replayed: false,
    });
    const user = await userOf(userId);
    assert.equal(user?.puntos, 105);
    assert.equal(user?.nivel, 2);
    const ledger = await tables.get(names.points, { idempotencyKey: 'evt-1' });
    assert.equal(ledger?.reason, 'top streamer');
    assert.equal(ledger?.awardedBy, 'admin-sub');
    const history = await points.history(admin, userId);
    assert.deepEqual(history.items.map((a) => [a.idempotencyKey, a.amount, a.puntos]), [['evt-1', 15, 105]]);
  });

  test('a profile without puntos (seed data) starts from 0', async () => {
    const userId = `user-${++seq}`;
    await tables.put({ table: names.users, item: { userId, nickname: 'legacy' } });
    const result = await points.award(admin, build.award(userId, { amount: 600 }));
    assert.equal(result.puntos, 600);
    assert.equal(result.nivel, 3);
  });

  test('the same idempotency key twice adds once and returns the first result', async () => {
    const userId = await newUser();
    const award = build.award(userId, { amount: 40 });
    const first = await points.award(admin, award);
    const again = await points.award(admin, award);
    assert.equal(first.replayed, false);
    assert.deepEqual(again, { ...first, replayed: true });
    assert.equal((await userOf(userId))?.puntos, 40);
  });

  test('the same key for another amount, user or reason is a Conflict and changes nothing', async () => {
    const userId = await newUser();
    const other = await newUser();
    const award = build.award(userId, { amount: 40 });
    await points.award(admin, award);
    const ledger = await ledgerSize();
    await rejectsWith(points.award(admin, { ...award, amount: 41 }), ErrorCode.Conflict);
    await rejectsWith(points.award(admin, { ...award, userId: other }), ErrorCode.Conflict);
    await rejectsWith(points.award(admin, { ...award, reason: 'something else' }), ErrorCode.Conflict);
    assert.equal((await userOf(userId))?.puntos, 40);
    assert.equal((await userOf(other))?.puntos, 0);
    assert.equal(await ledgerSize(), ledger);
  });

  test('50 concurrent awards to one user all count, and nivel matches puntos', async () => {
    const userId = await newUser();
    const amounts = Array.from({ length: 50 }, (_, i) => i + 1); // 1..50, sum 1275
    const results = await Promise.all(amounts.map((amount) => points.award(admin, build.award(userId, { amount }))));
    const user = await userOf(userId);
    assert.equal(user?.puntos, 1275);
    assert.equal(user?.nivel, levelFor(1275, config.points.levels));
    assert.equal(user?.nivel, 3);
    // Every award saw a distinct total: they were applied one after another.
    assert.equal(new Set(results.map((r) => r.puntos)).size, 50);
    assert.equal(Math.max(...results.map((r) => r.puntos)), 1275);
  });

  test('concurrent retries of one award count once', async () => {
    const userId = await newUser();
    const award = build.award(userId, { amount: 7 });
    const results = await Promise.all(Array.from({ length: 10 }, () => points.award(admin, award)));
    assert.equal((await userOf(userId))?.puntos, 7);
    assert.equal(results.filter((r) => !r.replayed).length, 1);
    assert.ok(results.every((r) => r.puntos === 7));
  });

  test('bad input is a clear error and changes nothing', async () => {
    const userId = await newUser({ puntos: 5 });
    const ledger = await ledgerSize();
    const bad: [Partial<AwardInput>, RegExp][] = [
      [{ amount: -10 }, /positive/],
      [{ amount: 0 }, /positive/],
      [{ amount: 1.5 }, /integer/],
      [{ amount: Number.NaN }, /integer/],
      [{ amount: '10' as unknown as number }, /integer/],
      [{ amount: 1001 }, /at most 1000/],
      [{ amount: 1e15 }, /at most 1000/],
      [{ reason: '' }, /reason/],
      [{ reason: '   ' }, /reason/],
      [{ reason: 'x'.repeat(201) }, /reason/],
      [{ reason: 'bad\u0000reason' }, /reason/],
      [{ idempotencyKey: '' }, /idempotencyKey/],
      [{ idempotencyKey: 'k'.repeat(129) }, /idempotencyKey/],
      [{ userId: 'a#b' }, /userId/],
      [{ userId: '' }, /userId/],
    ];
    for (const [change, pattern] of bad) {
      await rejectsWith(points.award(admin, build.award(userId, change)), ErrorCode.BadRequest, pattern);
    }
    await rejectsWith(points.award(admin, build.award('nobody-here')), ErrorCode.NotFound);
    for (const caller of [{ sub: 'u', groups: [] }, { sub: 'u', groups: ['users', 'Admin'] }, undefined as unknown as PointsCaller]) {
      await rejectsWith(points.award(caller, build.award(userId)), ErrorCode.Unauthorized);
    }
    await rejectsWith(points.history({ groups: [] }, userId), ErrorCode.Unauthorized);
    assert.equal((await userOf(userId))?.puntos, 5);
    assert.equal(await ledgerSize(), ledger);
  });

  test('puntos stay below 2^31 (GraphQL Int): an award past points.maxPuntos is refused with a clear error', async () => {
    assert.equal(config.points.maxPuntos, 2 ** 31 - 1);
    const userId = await newUser({ puntos: 2 ** 31 - 10 });
    const ledger = await ledgerSize();
    await rejectsWith(points.award(admin, build.award(userId, { amount: 100 })), ErrorCode.BadRequest, /puntos.*2147483647/);
    assert.equal((await userOf(userId))?.puntos, 2 ** 31 - 10);
    assert.equal(await ledgerSize(), ledger);
    // Up to the cap itself is fine.
    assert.equal((await points.award(admin, build.award(userId, { amount: 9 }))).puntos, 2 ** 31 - 1);
  });

  test('an award that would overflow the largest safe integer is refused', async () => {
    const userId = await newUser({ puntos: Number.MAX_SAFE_INTEGER - 5 });
    await rejectsWith(points.award(admin, build.award(userId, { amount: 10 })), ErrorCode.BadRequest);
    assert.equal((await userOf(userId))?.puntos, Number.MAX_SAFE_INTEGER - 5);
  });
});
