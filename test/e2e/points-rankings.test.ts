import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { UsersService } from '../../src/domain/users/users-service.ts';
import { createCalculateRankings } from '../../src/functions/calculate-rankings/handler.ts';
import { scheduledEvent } from '../../src/functions/calculate-rankings/scheduled-event.ts';
import { systemClock } from '../../src/ports/clock.ts';
import type { Item } from '../../src/ports/tables.ts';
import { replicaIdentity, signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { graphqlCaller } from '../support/graphql-client.ts';

// Points and rankings over real HTTP with real user-pool tokens: the admin group from the
// identity (cognito:groups in the token), awards through the ledger, CalculateRankings' handler
// on the server's own tables, and every leaderboard checked against a plain sort in this file.
const PASSWORD = 'P0ints-Passw0rd!';
const LEVELS = [0, 100, 500, 1500];
const MAX_AWARD = 10_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;
interface Reply {
  status: number;
  json: { data?: Record<string, Json> | null; errors?: Array<{ errorType?: string | null; message: string; path?: unknown }> };
}

const AWARD = `mutation A($u: ID!, $a: Int!, $r: String!, $k: String!) {
  awardPoints(userId: $u, amount: $a, reason: $r, idempotencyKey: $k) { idempotencyKey userId amount reason puntos nivel awardedAt replayed } }`;
const USER = 'query G($id: ID!) { getUser(userId: $id) { puntos nivel } }';
const RANKINGS = `query R($s: RankingScope!, $p: String, $c: String, $l: Int, $n: String) {
  getRankings(scope: $s, pais: $p, ciudad: $c, limit: $l, nextToken: $n) {
    date scope pais ciudad total nextToken items { rank userId nickname puntos nivel ciudad pais date total } } }`;
const MY_RANK = 'query M($s: RankingScope!) { myRank(scope: $s) { rank userId nickname puntos nivel ciudad pais date total } }';

/** Independent of src/domain/rankings: the documented grouping form of a place. */
const placeKey = (v: unknown) =>
  typeof v === 'string' ? v.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').trim().replace(/\s+/g, ' ') || undefined : undefined;
/** The documented display value of a group: most common spelling (spaces collapsed), ties to the smallest. */
function displayOf(spellings: string[]): string {
  const counts = new Map<string, number>();
  for (const s of spellings.map((x) => x.trim().replace(/\s+/g, ' '))) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}
const levelOf = (p: number) => LEVELS.filter((t) => t <= p).length;

interface Expected {
  userId: string;
  nickname: string;
  puntos: number;
  nivel: number;
  ciudad: string | null;
  pais: string | null;
  rank: number;
}

/** Every ranking, computed in plain code from a scan of the users table: key -> entries in rank order. */
function expectedRankings(users: Item[]): Map<string, Expected[]> {
  const puntosOf = (u: Item) => (typeof u.puntos === 'number' && u.puntos > 0 ? u.puntos : 0);
  const sorted = [...users].sort((a, b) => puntosOf(b) - puntosOf(a) || (String(a.userId) < String(b.userId) ? -1 : 1));
  const countrySpellings = new Map<string, string[]>();
  const citySpellings = new Map<string, string[]>();
  for (const u of sorted) {
    const p = placeKey(u.pais);
    if (!p) continue;
    countrySpellings.set(p, [...(countrySpellings.get(p) ?? []), String(u.pais)]);
    const c = placeKey(u.ciudad);
    if (c) citySpellings.set(`${p}|${c}`, [...(citySpellings.get(`${p}|${c}`) ?? []), String(u.ciudad)]);
  }
  const out = new Map<string, Expected[]>();
  const push = (key: string, u: Item) => {
    const list = out.get(key) ?? [];
    const p = placeKey(u.pais);
    const c = p && placeKey(u.ciudad);
    list.push({
      userId: String(u.userId),
      nickname: String(u.nickname),
      puntos: puntosOf(u),
      nivel: levelOf(puntosOf(u)),
      pais: p ? displayOf(countrySpellings.get(p)!) : null,
      ciudad: c ? displayOf(citySpellings.get(`${p}|${c}`)!) : null,
      rank: list.length + 1,
    });
    out.set(key, list);
  };
  for (const u of sorted) {
    push('GLOBAL', u);
    const p = placeKey(u.pais);
    if (!p) continue;
    push(`COUNTRY|${p}`, u);
    const c = placeKey(u.ciudad);
    if (c) push(`CITY|${p}|${c}`, u);
  }
  return out;
}

// Spellings as typed: accents, case and stray spaces vary within one place.
const PLACES: Array<[string[], string[][]]> = [
  [['Colombia', 'colombia', 'COLOMBIA'], [['Bogotá', 'bogota ', 'BOGOTA'], ['Medellín', 'medellin'], ['Cali']]],
  [['Perú', 'Peru'], [['Lima', ' lima'], ['Cusco']]],
  [['México'], [['Ciudad de México', 'ciudad  de mexico'], ['Puebla']]],
];

describe('points and rankings over GraphQL', () => {
  let s: TestServer;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let date: string;

  const { gql, data } = graphqlCaller<Reply['json']>(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);
  const errorType = (r: Reply) => r.json.errors?.[0]?.errorType;
  const puntosOf = async (userId: string) => (await data(USER, { id: userId }, 'key')).getUser;
  const ledger = (key: string) => s.app.tables.get(s.app.config.tables.points, { idempotencyKey: key }, { consistent: true });
  const award = (userId: string, amount: number, key: string, auth = 'ana', reason = 'live stream bonus') =>
    gql(AWARD, { u: userId, a: amount, r: reason, k: key }, auth);

  /** Every page of one ranking; asserts the pages' own consistency on the way. */
  const readAll = async (vars: Record<string, unknown>, auth: string, limit: number) => {
    const items: Expected[] = [];
    let next: string | null = null;
    let total = -1;
    do {
      const page: Json = (await data(RANKINGS, { ...vars, l: limit, n: next }, auth)).getRankings;
      assert.equal(page.date, date);
      assert.equal(page.scope, vars.s);
      if (total < 0) total = page.total;
      assert.equal(page.total, total, 'total is stable across pages');
      assert.ok(page.items.length <= limit);
      for (const e of page.items) {
        assert.equal(e.date, date);
        assert.equal(e.total, total);
        const { date: _d, total: _t, ...entry } = e;
        items.push(entry);
      }
      next = page.nextToken;
    } while (next !== null);
    assert.equal(items.length, total);
    return items;
  };

  before(async () => {
    s = await startTestServer({ points: { levels: LEVELS, maxAward: MAX_AWARD }, rankings: { enabled: false } });
    for (const name of ['ana', 'beto', 'caro', 'dani']) {
      ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name });
    }
    // AdminAddUserToGroup, as `biilive users group add ana admin` does; the group reaches the
    // token's cognito:groups at the next sign-in.
    const identity = await replicaIdentity(s);
    await identity.addUserToGroup('ana', 'admin');
    for (const name of ['ana', 'beto', 'caro', 'dani']) tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
  });
  after(async () => {
    await s?.stop();
  });

  test('an admin awards points: puntos add up, nivel follows the thresholds, the ledger records the reason', async () => {
    const first = (await data(AWARD, { u: ids.beto, a: 60, r: 'first stream', k: 'beto-1' }, 'ana')).awardPoints;
    assert.deepEqual(
      { ...first, awardedAt: undefined },
      { idempotencyKey: 'beto-1', userId: ids.beto, amount: 60, reason: 'first stream', puntos: 60, nivel: 1, awardedAt: undefined, replayed: false },
    );
    assert.ok(!Number.isNaN(Date.parse(first.awardedAt)));
    const second = (await data(AWARD, { u: ids.beto, a: 90, r: 'top gifter', k: 'beto-2' }, 'ana')).awardPoints;
    assert.deepEqual([second.puntos, second.nivel], [150, 2]);
    assert.deepEqual(await puntosOf(ids.beto), { puntos: 150, nivel: 2 });
    const third = (await data(AWARD, { u: ids.beto, a: 400, r: 'tournament', k: 'beto-3' }, 'ana')).awardPoints;
    assert.deepEqual([third.puntos, third.nivel], [550, 3]);
    const recorded = await ledger('beto-2');
    assert.equal(recorded?.reason, 'top gifter');
    assert.equal(recorded?.awardedBy, ids.ana);
    assert.deepEqual([recorded?.userId, recorded?.amount, recorded?.puntosAfter], [ids.beto, 90, 150]);
  });

  test('the same idempotency key twice counts once; concurrent awards all count', async () => {
    const once = (await data(AWARD, { u: ids.caro, a: 25, r: 'retry me', k: 'caro-retry' }, 'ana')).awardPoints;
    const again = (await data(AWARD, { u: ids.caro, a: 25, r: 'retry me', k: 'caro-retry' }, 'ana')).awardPoints;
    assert.equal(again.replayed, true);
    assert.deepEqual({ ...again, replayed: false }, once, 'the first result, unchanged');
    assert.deepEqual(await puntosOf(ids.caro), { puntos: 25, nivel: 1 });
    const reused = await award(ids.caro, 30, 'caro-retry', 'ana', 'retry me');
    assert.equal(errorType(reused), 'ConflictException', 'the key of another award');
    assert.deepEqual(await puntosOf(ids.caro), { puntos: 25, nivel: 1 });

    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => award(ids.caro, 5, `caro-c${i}`)));
    for (const r of replies) assert.equal(r.json.errors, undefined, JSON.stringify(r.json.errors));
    assert.deepEqual(await puntosOf(ids.caro), { puntos: 85, nivel: 1 });
    const after = replies.map((r) => r.json.data!.awardPoints.puntos as number).sort((a, b) => a - b);
    assert.deepEqual(after, Array.from({ length: 12 }, (_, i) => 30 + 5 * i), 'each award saw the one before it');
  });

  test('a non-admin user and the API key are Unauthorized; nothing changes', async () => {
    const before = await puntosOf(ids.dani);
    for (const auth of ['beto', 'key']) {
      const r = await award(ids.dani, 50, `dani-${auth}`, auth);
      assert.equal(r.status, 200);
      assert.equal(errorType(r), 'Unauthorized', auth);
      assert.equal(r.json.data, null);
      assert.equal(await ledger(`dani-${auth}`), undefined);
    }
    const self = await award(ids.beto, 50, 'beto-self', 'beto');
    assert.equal(errorType(self), 'Unauthorized', 'not even to oneself');
    assert.deepEqual(await puntosOf(ids.dani), before);
    assert.deepEqual(await puntosOf(ids.beto), { puntos: 550, nivel: 3 });
  });

  test('bad awards: negative, zero, absurd, unknown user, blank reason or key: clear errors, nothing changed', async () => {
    const before = await puntosOf(ids.dani);
    const cases: Array<[string, string, number, string, string]> = [
      ['negative', ids.dani, -50, 'bad-neg', 'BadRequestException'],
      ['zero', ids.dani, 0, 'bad-zero', 'BadRequestException'],
      ['over maxAward', ids.dani, MAX_AWARD + 1, 'bad-max', 'BadRequestException'],
      ['unknown user', randomUUID(), 10, 'bad-ghost', 'NotFound'],
      ['malformed user id', 'a#b', 10, 'bad-id', 'BadRequestException'],
    ];
    for (const [what, userId, amount, key, type] of cases) {
      const r = await award(userId, amount, key);
      assert.equal(errorType(r), type, what);
      assert.match(r.json.errors![0].message, /\S/);
      assert.equal(await ledger(key), undefined, what);
    }
    assert.match((await award(ids.dani, -50, 'bad-neg2')).json.errors![0].message, /positive/);
    assert.equal(errorType(await award(ids.dani, 10, 'bad-reason', 'ana', '   ')), 'BadRequestException');
    assert.equal(errorType(await award(ids.dani, 10, '', 'ana')), 'BadRequestException');

    // Beyond GraphQL's Int: refused while coercing the variables (AppSync's validation shape), before anything runs.
    const huge = await award(ids.dani, 2 ** 40, 'bad-huge');
    assert.equal(huge.json.data, null);
    assert.equal(errorType(huge), undefined);
    assert.match(huge.json.errors![0].message, /Variable 'a' has an invalid value/);
    assert.equal(await ledger('bad-huge'), undefined);
    assert.deepEqual(await puntosOf(ids.dani), before);
  });

  test('before the first CalculateRankings run: empty rankings, myRank null', async () => {
    const page = (await data(RANKINGS, { s: 'GLOBAL' }, 'key')).getRankings;
    assert.deepEqual(page, { date: null, scope: 'GLOBAL', pais: null, ciudad: null, total: 0, nextToken: null, items: [] });
    assert.equal((await data(MY_RANK, { s: 'GLOBAL' }, 'beto')).myRank, null);
  });

  test('getRankings matches an independent sort for every scope, paging returns each user once', async () => {
    // The signed-in users get places through their own profile; 200 more profiles directly.
    const place = 'mutation P($c: String, $p: String) { updateProfile(input: { ciudad: $c, pais: $p }) { userId } }';
    await data(place, { c: 'bogota ', p: 'COLOMBIA' }, 'beto');
    await data(place, { c: 'Lima', p: 'Perú' }, 'caro');
    await data(place, { c: null, p: 'colombia' }, 'dani');

    const users = new UsersService({ tables: s.app.tables, tableNames: s.app.config.tables, clock: systemClock, limits: s.app.config.limits });
    const generated = Array.from({ length: 200 }, (_, i) => ({ sub: randomUUID(), i }));
    for (let i = 0; i < generated.length; i += 25) {
      await Promise.all(
        generated.slice(i, i + 25).map(async ({ sub, i: n }) => {
          await users.createProfile({ sub, username: `gen${n}`, attributes: { nickname: `gen${n}` } });
          // Heavily tied puntos; every 13th without a country, every 7th without a city.
          const [countries, cities] = PLACES[n % PLACES.length];
          const k = Math.floor(n / PLACES.length);
          const spellings = cities[k % cities.length];
          const set: Item = { puntos: ((n * 37) % 11) * 100 };
          if (n % 13 !== 0) set.pais = countries[(k >> 1) % countries.length];
          if (n % 13 !== 0 && n % 7 !== 0) set.ciudad = spellings[Math.floor(k / cities.length) % spellings.length];
          await s.app.tables.update({ table: s.app.config.tables.users, key: { userId: sub }, set });
        }),
      );
    }

    const summary = await createCalculateRankings({ tables: s.app.tables, tableNames: s.app.config.tables, config: s.app.config }).handler(
      scheduledEvent(new Date()),
    );
    date = summary.date;
    assert.equal(summary.current, true);

    const scanned: Item[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.app.tables.scan({ table: s.app.config.tables.users, cursor });
      scanned.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    assert.equal(scanned.length, 204);
    const expected = expectedRankings(scanned);
    assert.equal(summary.users, 204);
    assert.equal(summary.countries, 3);

    assert.deepEqual(await readAll({ s: 'GLOBAL' }, 'key', 7), expected.get('GLOBAL'));
    assert.deepEqual(await readAll({ s: 'GLOBAL' }, 'beto', 100), expected.get('GLOBAL'));
    let rankings = 1;
    for (const [key, want] of expected) {
      const [scope, pais, ciudad] = key.split('|');
      if (scope === 'GLOBAL') continue;
      // Asked with yet another spelling of the same place.
      const ask = { s: scope, p: ` ${pais.toUpperCase()} `, c: ciudad ? ciudad.toUpperCase() : undefined };
      assert.deepEqual(await readAll(ask, rankings % 2 ? 'key' : 'caro', 9), want, key);
      rankings++;
    }
    assert.equal(rankings, 1 + 3 + [...expected.keys()].filter((k) => k.startsWith('CITY|')).length);

    // "Bogotá", "bogota " and "BOGOTA" rank together, under their most common spelling.
    const bogota = await readAll({ s: 'CITY', p: 'Colombia', c: 'Bogotá' }, 'key', 100);
    const spelled = new Set(scanned.filter((u) => placeKey(u.ciudad) === 'bogota').map((u) => u.ciudad));
    for (const spelling of ['Bogotá', 'bogota ', 'BOGOTA', 'bogota']) assert.ok(spelled.has(spelling), spelling);
    assert.equal(bogota.length, scanned.filter((u) => placeKey(u.ciudad) === 'bogota' && placeKey(u.pais) === 'colombia').length);
    assert.ok(bogota.some((e) => e.userId === ids.beto));
    assert.ok(bogota.every((e) => e.ciudad === bogota[0].ciudad && ['BOGOTA', 'Bogotá', 'bogota'].includes(e.ciudad!)));
  });

  test('myRank: the signed-in user in each scope; null where not ranked; user pool only', async () => {
    const scanned = (await s.app.tables.scan({ table: s.app.config.tables.users, limit: 1000 })).items;
    const expected = expectedRankings(scanned);
    const find = (key: string, userId: string) => {
      const e = expected.get(key)!.find((x) => x.userId === userId)!;
      return { ...e, date, total: expected.get(key)!.length };
    };
    assert.deepEqual((await data(MY_RANK, { s: 'GLOBAL' }, 'beto')).myRank, find('GLOBAL', ids.beto));
    assert.deepEqual((await data(MY_RANK, { s: 'COUNTRY' }, 'beto')).myRank, find('COUNTRY|colombia', ids.beto));
    assert.deepEqual((await data(MY_RANK, { s: 'CITY' }, 'beto')).myRank, find('CITY|colombia|bogota', ids.beto));
    assert.deepEqual((await data(MY_RANK, { s: 'CITY' }, 'caro')).myRank, find('CITY|peru|lima', ids.caro));
    assert.deepEqual((await data(MY_RANK, { s: 'COUNTRY' }, 'dani')).myRank, find('COUNTRY|colombia', ids.dani));
    assert.equal((await data(MY_RANK, { s: 'CITY' }, 'dani')).myRank, null, 'a pais but no ciudad');
    assert.equal((await data(MY_RANK, { s: 'COUNTRY' }, 'ana')).myRank, null, 'no pais');
    assert.equal((await data(MY_RANK, { s: 'GLOBAL' }, 'ana')).myRank.userId, ids.ana);
    const byKey = await gql(MY_RANK, { s: 'GLOBAL' }, 'key');
    assert.equal(errorType(byKey), 'Unauthorized');
  });

  test('bad reads: unknown scope is a validation error; missing place, bad limit or token: BadRequest', async () => {
    // AppSync's validation shape: data null, no errorType, the reason in the message.
    const literal = await gql('{ getRankings(scope: MOON) { total } }', null, 'key');
    assert.equal(literal.json.data, null);
    assert.equal(errorType(literal), undefined);
    assert.match(literal.json.errors![0].message, /MOON/);
    const variable = await gql(RANKINGS, { s: 'MOON' }, 'key');
    assert.equal(variable.json.data, null);
    assert.equal(errorType(variable), undefined);
    assert.match(variable.json.errors![0].message, /Variable 's' has an invalid value/);
    assert.equal(errorType(await gql('{ getRankings(scope: GLOBAL, limit: 1) { total } }', null, 'key')), undefined);

    const cases: Array<[string, Record<string, unknown>]> = [
      ['COUNTRY without pais', { s: 'COUNTRY' }],
      ['COUNTRY with a blank pais', { s: 'COUNTRY', p: '   ' }],
      ['CITY without ciudad', { s: 'CITY', p: 'Colombia' }],
      ['CITY without pais', { s: 'CITY', c: 'Bogotá' }],
      ['limit 0', { s: 'GLOBAL', l: 0 }],
      ['limit over the maximum', { s: 'GLOBAL', l: s.app.config.limits.pageSizeMax + 1 }],
      ['garbage nextToken', { s: 'GLOBAL', n: 'not-a-token' }],
      ['an over-long pais', { s: 'COUNTRY', p: 'x'.repeat(s.app.config.limits.placeMaxLength + 1) }],
    ];
    for (const [what, vars] of cases) {
      const r = await gql(RANKINGS, vars, 'key');
      assert.equal(errorType(r), 'BadRequestException', what);
      assert.equal(r.json.data, null, what);
    }
    const country = (await data(RANKINGS, { s: 'COUNTRY', p: 'Colombia', l: 2 }, 'key')).getRankings;
    assert.ok(country.nextToken);
    const crossed = await gql(RANKINGS, { s: 'GLOBAL', n: country.nextToken }, 'key');
    assert.equal(errorType(crossed), 'BadRequestException', "another ranking's token");
    const nobody = (await data(RANKINGS, { s: 'CITY', p: 'Colombia', c: 'Atlantis' }, 'key')).getRankings;
    assert.deepEqual({ ...nobody }, { date, scope: 'CITY', pais: null, ciudad: null, total: 0, nextToken: null, items: [] });
  });
});
