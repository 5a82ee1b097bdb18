/**
 * The follow graph (SocialService) on a real store. The cases are a suite of a Store: this file
 * runs them on SQLite; test/adapters/social-dynamodb.test.ts on DynamoDB Local.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';
import { recount } from '../../src/domain/social/recount.ts';
import { isEntry, rawPartition, sqliteStore, withFixture as withStore, type SocialFixture, type Store } from './support-social.ts';

const code = (c: string) => (err: unknown) => err instanceof AppError && err.code === c;

export interface SocialSizes {
  /** Followers of one user paged through with nextToken (pages of a tenth of it). */
  fans: number;
}

export function socialSuite(store: Store, sizes: SocialSizes = { fans: 1000 }): void {
  const withFixture = (run: (f: SocialFixture) => Promise<void>) => withStore(store, run);

  describe(`follow graph: seed key formats (${store.name})`, () => {
    test('an edge is stored exactly as the seed designs it, in the table and in GSI1', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        const { edge, created } = await f.social.follow(a, b);
        assert.equal(created, true);
        const expected = {
          followerId: a,
          SK: `FOLLOWING#${b}`,
          GSI1PK: b,
          GSI1SK: `FOLLOWER#${a}`,
          followedId: b,
          createdAt: '2026-01-01T00:00:00.000Z',
        };
        assert.deepEqual(await f.tables.get(f.names.social, { followerId: a, SK: `FOLLOWING#${b}` }), expected);
        assert.deepEqual(await rawPartition(f.tables, f.names.social, a), [expected]);
        assert.deepEqual(await rawPartition(f.tables, f.names.social, b, 'GSI1'), [expected]);
        assert.deepEqual(edge, { followerId: a, followedId: b, createdAt: expected.createdAt });
      }));
  });

  describe(`follow decisions (${store.name})`, () => {
    test('yourself: BadRequest; unknown user: NotFound; malformed id: BadRequest; nothing written', () =>
      withFixture(async (f) => {
        const [a] = await f.users(1);
        await assert.rejects(f.social.follow(a, a), code(ErrorCode.BadRequest));
        await assert.rejects(f.social.unfollow(a, a), code(ErrorCode.BadRequest));
        await assert.rejects(f.social.follow(a, 'nobody'), code(ErrorCode.NotFound));
        await assert.rejects(f.social.follow('no-profile', a), code(ErrorCode.NotFound));
        for (const bad of ['', 'x#y', 'a'.repeat(257), 42 as unknown as string]) {
          await assert.rejects(f.social.follow(a, bad), code(ErrorCode.BadRequest));
        }
        assert.deepEqual(await rawPartition(f.tables, f.names.social, a), []);
        assert.equal((await f.streamRecords()).length, 0);
      }));

    test('following twice is a no-op returning the existing edge; unfollowing a non-edge returns false', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        const first = await f.social.follow(a, b);
        f.clock.advance(5000);
        const second = await f.social.follow(a, b);
        assert.deepEqual(second, { edge: first.edge, created: false });
        assert.equal(await f.social.isFollowing(a, b), true);
        assert.equal(await f.social.isFollowing(b, a), false);
        assert.equal(await f.social.unfollow(b, a), false);
        assert.equal(await f.social.unfollow(a, b), true);
        assert.equal(await f.social.unfollow(a, b), false);
        assert.equal(await f.social.isFollowing(a, b), false);
        // Only real state changes reach the stream: one INSERT, one REMOVE.
        const records = await f.streamRecords({ atLeast: 2 });
        assert.deepEqual(
          records.map((r) => r.eventName),
          ['INSERT', 'REMOVE'],
        );
      }));

    test('50 identical follows in parallel: one edge, one stream record, counters 1 / 1', () =>
      withFixture(async (f) => {
        const [a, b] = await f.users(2);
        const results = await Promise.all(Array.from({ length: 50 }, () => f.social.follow(a, b)));
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal((await rawPartition(f.tables, f.names.social, a)).length, 1);
        assert.equal((await f.streamRecords({ atLeast: 1 })).length, 1);
        await f.catchUp();
        const [ua, ub] = await Promise.all([a, b].map((userId) => f.tables.get(f.names.users, { userId })));
        assert.equal(ua?.siguiendo, 1);
        assert.equal(ub?.seguidores, 1);
        assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
      }));
  });

  describe(`follower / following lists (${store.name})`, () => {
    test(`walking nextToken through ${sizes.fans} followers returns each exactly once, with profiles`, () =>
      withFixture(async (f) => {
        const [celeb] = await f.users(1, 'celeb');
        const fans = await f.users(sizes.fans, 'fan');
        const page = sizes.fans / 10;
        for (let i = 0; i < fans.length; i += 10) await Promise.all(fans.slice(i, i + 10).map((fan) => f.social.follow(fan, celeb)));
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const result = await f.social.listFollowers(celeb, page, cursor);
          for (const entry of result.items) {
            assert.equal(entry.profile?.userId, entry.userId);
            assert.equal(entry.since, '2026-01-01T00:00:00.000Z');
            seen.push(entry.userId);
          }
          cursor = result.cursor;
          pages++;
        } while (cursor);
        assert.equal(seen.length, sizes.fans);
        assert.deepEqual([...seen].sort(), [...fans].sort());
        assert.ok(pages >= 10 && pages <= 11);

        const following = await f.social.listFollowing(fans[7], 10);
        assert.deepEqual(
          following.items.map((e) => [e.userId, e.profile?.nickname]),
          [[celeb, 'nick_celeb00000']],
        );
        assert.equal(following.cursor, undefined);
      }));

    test('listFollowing pages in followed-id order; bad limits and foreign tokens are BadRequest', () =>
      withFixture(async (f) => {
        const [a, b, ...others] = await f.users(8);
        for (const o of others) await f.social.follow(a, o);
        await f.social.follow(b, a);
        const first = await f.social.listFollowing(a, 4);
        assert.deepEqual(
          first.items.map((e) => e.userId),
          others.slice(0, 4),
        );
        const second = await f.social.listFollowing(a, 4, first.cursor);
        assert.deepEqual(
          [...first.items, ...second.items].map((e) => e.userId),
          others,
        );
        // Default page size when limit is omitted.
        assert.equal((await f.social.listFollowing(a)).items.length, others.length);
        for (const limit of [0, -1, 1.5, 1001]) {
          await assert.rejects(f.social.listFollowing(a, limit), code(ErrorCode.BadRequest));
        }
        await assert.rejects(f.social.listFollowing(a, 2, 'not-a-token'), code(ErrorCode.BadRequest));
        // A token from another list (another user's, or the reverse list) is refused, not misread.
        await assert.rejects(f.social.listFollowing(b, 2, first.cursor), code(ErrorCode.BadRequest));
        await assert.rejects(f.social.listFollowers(a, 2, first.cursor), code(ErrorCode.BadRequest));
        // A user whose profile is gone still appears, with a null profile.
        await f.tables.delete({ table: f.names.users, key: { userId: others[0] } });
        const page = await f.social.listFollowing(a, 1);
        assert.deepEqual(page.items[0], { userId: others[0], since: '2026-01-01T00:00:00.000Z', profile: null });
        assert.deepEqual(await f.social.isFollowing('bad#id', a), false);
      }));
  });
}

if (isEntry(import.meta.url)) socialSuite(sqliteStore);
