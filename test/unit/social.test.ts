import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';
import { recount } from '../../src/domain/social/recount.ts';
import { openSocialFixture, rawPartition, type SocialFixture } from './support-social.ts';

const code = (c: string) => (err: unknown) => err instanceof AppError && err.code === c;

async function withFixture(run: (f: SocialFixture) => Promise<void>) {
  const f = await openSocialFixture();
  try {
    await run(f);
  } finally {
    await f.close();
  }
}

describe('follow graph: seed key formats', () => {
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

describe('follow decisions', () => {
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
      const { records } = await f.tables.changes.read({ table: f.names.social, shardId: 'shard-0000' });
      assert.equal(records.length, 0);
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
      const { records } = await f.tables.changes.read({ table: f.names.social, shardId: 'shard-0000' });
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
      const { records } = await f.tables.changes.read({ table: f.names.social, shardId: 'shard-0000' });
      assert.equal(records.length, 1);
      await f.consumer().drain();
      const [ua, ub] = await Promise.all([a, b].map((userId) => f.tables.get(f.names.users, { userId })));
      assert.equal(ua?.siguiendo, 1);
      assert.equal(ub?.seguidores, 1);
      assert.deepEqual((await recount({ tables: f.tables, tableNames: f.names })).drift, []);
    }));
});

describe('follower / following lists', () => {
  test('walking nextToken through 1,000 followers returns each exactly once, with profiles', () =>
    withFixture(async (f) => {
      const [celeb] = await f.users(1, 'celeb');
      const fans = await f.users(1000, 'fan');
      for (const fan of fans) await f.social.follow(fan, celeb);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await f.social.listFollowers(celeb, 100, cursor);
        for (const entry of page.items) {
          assert.equal(entry.profile?.userId, entry.userId);
          assert.equal(entry.since, '2026-01-01T00:00:00.000Z');
          seen.push(entry.userId);
        }
        cursor = page.cursor;
        pages++;
      } while (cursor);
      assert.equal(seen.length, 1000);
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
