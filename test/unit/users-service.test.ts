import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../src/config/schema.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';
import type { ConfirmedUser } from '../../src/domain/identity/contracts.ts';
import { UsersService } from '../../src/domain/users/users-service.ts';
import { openTestTables } from './support-graphql-harness.ts';

const config = configSchema.parse({});
let seq = 0;
const build = {
  user(over: Partial<ConfirmedUser> & { nickname?: string; name?: string } = {}): ConfirmedUser {
    seq++;
    const attributes: Record<string, string> = { email: `u${seq}@example.com`, ...over.attributes };
    if (over.nickname !== undefined) attributes.nickname = over.nickname;
    if (over.name !== undefined) attributes.name = over.name;
    return { sub: over.sub ?? `sub-${seq}-${Math.random().toString(36).slice(2)}`, username: over.username ?? `user${seq}`, attributes };
  },
};

const isAppError = (code: string) => (err: unknown) => err instanceof AppError && err.code === code;

describe('UsersService', () => {
  let store: Awaited<ReturnType<typeof openTestTables>>;
  let tables: Tables;
  let users: UsersService;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));

  before(async () => {
    store = await openTestTables();
    tables = store.tables;
    users = new UsersService({ tables, tableNames: config.tables, clock, limits: config.limits });
  });
  after(() => store.close());

  const create = async (u: ConfirmedUser) => {
    await users.createProfile(u);
    const p = await users.getUser(u.sub);
    assert.ok(p);
    return p;
  };
  const claim = (nickname: string) => tables.get(config.tables.nicknames, { nickname: nickname.toLowerCase() });
  const item = (userId: string) => tables.get(config.tables.users, { userId });

  test('createProfile writes the seed item and its nickname claim', async () => {
    const u = build.user({ nickname: 'Marisol', name: 'Marisol Pérez' });
    const profile = await create(u);
    assert.deepEqual(await item(u.sub), {
      userId: u.sub,
      nickname: 'Marisol',
      nicknameLower: 'marisol',
      nicknameBucket: 'm',
      nombreCompleto: 'Marisol Pérez',
      seguidores: 0,
      siguiendo: 0,
      puntos: 0,
      nivel: 1,
      isOnline: false,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    assert.equal(profile.nickname, 'Marisol');
    assert.equal(profile.lastSeen, null);
    assert.equal((await claim('marisol'))?.userId, u.sub);
  });

  test('createProfile is idempotent: a second call changes nothing', async () => {
    const u = build.user({ nickname: 'idem_user' });
    await users.createProfile(u);
    const first = await item(u.sub);
    clock.advance(60_000);
    await users.createProfile({ ...u, attributes: { nickname: 'other_name', name: 'X' } });
    assert.deepEqual(await item(u.sub), first);
    assert.equal(await claim('other_name'), undefined);
  });

  test('createProfile derives a valid nickname from the username and makes it unique', async () => {
    const a = await create(build.user({ username: 'José.García@example.com' }));
    assert.equal(a.nickname, 'Jose.Garcia');
    const b = await create(build.user({ username: 'jose.garcia' }));
    assert.equal(b.nickname, 'jose.garcia2', 'case-insensitive collision gets a suffix');
    const c = await create(build.user({ nickname: 'JOSE.GARCIA' }));
    assert.equal(c.nickname, 'JOSE.GARCIA3');
    const d = await create(build.user({ username: 'x!' }));
    assert.match(d.nickname, /^[A-Za-z0-9._]{3,}$/);
    const long = await create(build.user({ username: 'a'.repeat(60) }));
    assert.equal(long.nickname.length, config.limits.nicknameMaxLength);
    const long2 = await create(build.user({ username: 'a'.repeat(60) }));
    assert.equal(long2.nickname, 'a'.repeat(config.limits.nicknameMaxLength - 1) + '2');
  });

  test('getUser / getByNickname (case-insensitive) / unknown and malformed ids read as null', async () => {
    const u = build.user({ nickname: 'CaseTest' });
    await users.createProfile(u);
    assert.equal((await users.getUser(u.sub))?.nickname, 'CaseTest');
    assert.equal((await users.getByNickname('casetest'))?.userId, u.sub);
    assert.equal((await users.getByNickname('CASETEST'))?.userId, u.sub);
    assert.equal(await users.getByNickname('nobody_here'), null);
    assert.equal(await users.getByNickname('bad name!'), null);
    assert.equal(await users.getUser('no-such-user'), null);
    assert.equal(await users.getUser(''), null);
  });

  test('search: begins_with on the lower-cased nickname, in order, paged', async () => {
    for (const n of ['zeta_b', 'Zeta_a', 'zeta_c', 'zetb']) await users.createProfile(build.user({ nickname: n }));
    const all = await users.search('ZETA_', 10);
    assert.deepEqual(all.items.map((u) => u.nickname), ['Zeta_a', 'zeta_b', 'zeta_c']);
    assert.equal(all.cursor, undefined);
    const first = await users.search('zeta_', 2);
    assert.equal(first.items.length, 2);
    assert.ok(first.cursor);
    const second = await users.search('zeta_', 2, first.cursor);
    assert.deepEqual(second.items.map((u) => u.nickname), ['zeta_c']);
    assert.deepEqual((await users.search('zeta!', 10)).items, []);
    await assert.rejects(users.search('', 10), isAppError(ErrorCode.BadRequest));
    await assert.rejects(users.search('zeta', 10, 'garbage-cursor'), isAppError(ErrorCode.BadRequest));
  });

  test('updateProfile validates against the configured limits', async () => {
    const u = build.user({ nickname: 'validator' });
    await users.createProfile(u);
    const bad = [
      { nickname: 'ab' },
      { nickname: 'bad name' },
      { nickname: 'x'.repeat(config.limits.nicknameMaxLength + 1) },
      { nickname: null },
      { nombreCompleto: 'n'.repeat(config.limits.nameMaxLength + 1) },
      { ciudad: 'c'.repeat(config.limits.placeMaxLength + 1) },
      { pais: 'p'.repeat(config.limits.placeMaxLength + 1) },
      { descripcion: 'd'.repeat(config.limits.descripcionMaxLength + 1) },
      { ciudad: 'Lima\u0000' },
    ];
    const before = await item(u.sub);
    for (const input of bad) {
      await assert.rejects(users.updateProfile(u.sub, input), isAppError(ErrorCode.BadRequest), JSON.stringify(input));
    }
    assert.deepEqual(await item(u.sub), before);
  });

  test('updateProfile sets and clears texts and bumps updatedAt', async () => {
    const u = build.user({ nickname: 'editor' });
    await users.createProfile(u);
    clock.advance(1000);
    const p = await users.updateProfile(u.sub, { ciudad: ' Lima ', pais: 'Perú', descripcion: 'hola\nmundo' });
    assert.equal(p.ciudad, 'Lima');
    assert.equal(p.pais, 'Perú');
    assert.equal(p.descripcion, 'hola\nmundo');
    assert.notEqual(p.updatedAt, p.createdAt);
    const cleared = await users.updateProfile(u.sub, { ciudad: null, pais: '' });
    assert.equal(cleared.ciudad, null);
    assert.equal(cleared.pais, null);
    assert.equal((await item(u.sub))?.ciudad, undefined);
  });

  test('changing the nickname moves the claim and keeps the index attributes in sync', async () => {
    const u = build.user({ nickname: 'oldnick' });
    await users.createProfile(u);
    const p = await users.updateProfile(u.sub, { nickname: 'New.Nick' });
    assert.equal(p.nickname, 'New.Nick');
    const stored = await item(u.sub);
    assert.equal(stored?.nicknameLower, 'new.nick');
    assert.equal(stored?.nicknameBucket, 'n');
    assert.equal(await claim('oldnick'), undefined);
    assert.equal((await claim('new.nick'))?.userId, u.sub);
    assert.equal((await users.getByNickname('NEW.NICK'))?.userId, u.sub);
    assert.deepEqual((await users.search('new.ni', 5)).items.map((x) => x.userId), [u.sub]);
    // The released nickname is free for others.
    const other = await create(build.user({ nickname: 'oldnick' }));
    assert.equal(other.nickname, 'oldnick');
    // A change of case keeps the same claim.
    const recased = await users.updateProfile(u.sub, { nickname: 'new.NICK' });
    assert.equal(recased.nickname, 'new.NICK');
    assert.equal((await claim('new.nick'))?.userId, u.sub);
  });

  test('a taken nickname (any case) is a Conflict and nothing changes', async () => {
    const a = build.user({ nickname: 'holder' });
    const b = build.user({ nickname: 'wanter' });
    await users.createProfile(a);
    await users.createProfile(b);
    const beforeB = await item(b.sub);
    await assert.rejects(users.updateProfile(b.sub, { nickname: 'HOLDER', ciudad: 'Quito' }), isAppError(ErrorCode.Conflict));
    assert.deepEqual(await item(b.sub), beforeB);
    assert.equal((await claim('holder'))?.userId, a.sub);
    assert.equal((await claim('wanter'))?.userId, b.sub);
  });

  test('updateProfile of a user without a profile is NotFound', async () => {
    await assert.rejects(users.updateProfile('ghost', { ciudad: 'x' }), isAppError(ErrorCode.NotFound));
    assert.equal(await item('ghost'), undefined);
  });
});
