import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Item, type Key, type Tables } from '../../ports/tables.ts';
import { badRequest, notFound } from '../errors.ts';
import type { TableNames } from '../tables.ts';
import { toProfile, type MediaUrl, type UserProfile } from '../users/profile.ts';
import { FOLLOWER_PREFIX, FOLLOWERS_INDEX, FOLLOWING_PREFIX, edgeItem, edgeKey, isUserId, requireUserId } from './keys.ts';
import { pageSize, withCursor } from './paging.ts';

export interface SocialServiceDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'social' | 'users'>;
  clock: Clock;
  limits: Pick<Config['limits'], 'pageSizeMax' | 'pageSizeDefault'>;
  /** Builds photo URLs from stored keys, per request (the current CDN base); without it, only stored URLs are read. */
  mediaUrl?: MediaUrl;
}

export interface FollowEdge {
  followerId: string;
  followedId: string;
  createdAt: string;
}

export interface FollowResult {
  edge: FollowEdge;
  /** False when the caller already followed: the existing edge is returned, nothing is written. */
  created: boolean;
}

/** One row of a follower / following list: the other user and their profile (null if it is gone). */
export interface FollowEntry {
  userId: string;
  /** When the edge was created (ISO). */
  since: string;
  profile: UserProfile | null;
}

export interface FollowPage {
  items: FollowEntry[];
  /** The store's cursor when more may follow (AppSync's nextToken). */
  cursor?: string;
}

const BATCH_GET_MAX = 100;

/**
 * The follow graph. The caller is always the follower; counters (`seguidores`/`siguiendo`) are
 * never written here: UpdateUserCounters derives them from the table's stream, exactly once.
 *
 * Decisions (tested):
 * - following yourself, or unfollowing yourself: BadRequest;
 * - following a user without a profile: NotFound (the caller's own profile must exist too);
 * - following twice: a no-op returning the existing edge (`created: false`), so retries are safe;
 * - unfollowing someone you do not follow: a no-op returning false.
 * Edge writes are conditional (put: attribute_not_exists, delete: attribute_exists), so a retried
 * or concurrent duplicate never produces a second stream record and never double-counts.
 */
export class SocialService {
  private readonly tables: Tables;
  private readonly socialTable: string;
  private readonly usersTable: string;
  private readonly clock: Clock;
  private readonly limits: SocialServiceDeps['limits'];
  private readonly mediaUrl: MediaUrl | undefined;

  constructor(deps: SocialServiceDeps) {
    this.tables = deps.tables;
    this.socialTable = deps.tableNames.social;
    this.usersTable = deps.tableNames.users;
    this.clock = deps.clock;
    this.limits = deps.limits;
    this.mediaUrl = deps.mediaUrl;
  }

  async follow(callerSub: string, followedId: string): Promise<FollowResult> {
    requireUserId(followedId, 'followedId');
    if (followedId === callerSub) throw badRequest('You cannot follow yourself', { field: 'followedId' });
    const found = await this.tables.batchGet(this.usersTable, [{ userId: followedId }, { userId: callerSub }]);
    const ids = new Set(found.map((u) => u.userId));
    if (!ids.has(followedId)) throw notFound('User not found');
    if (!ids.has(callerSub)) throw notFound('Your profile does not exist');

    const createdAt = new Date(this.clock.now()).toISOString();
    try {
      await this.tables.put({
        table: this.socialTable,
        item: edgeItem(callerSub, followedId, createdAt),
        condition: { notExists: 'followerId' },
      });
      return { edge: { followerId: callerSub, followedId, createdAt }, created: true };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
    }
    const existing = await this.tables.get(this.socialTable, edgeKey(callerSub, followedId), { consistent: true });
    // Unfollowed again between the failed put and this read: the caller's intent (following) was
    // true a moment ago; report the edge as it was rather than re-creating it behind their back.
    return { edge: toEdge(existing) ?? { followerId: callerSub, followedId, createdAt }, created: false };
  }

  /** True when an edge was removed, false when there was none (a no-op). */
  async unfollow(callerSub: string, followedId: string): Promise<boolean> {
    requireUserId(followedId, 'followedId');
    if (followedId === callerSub) throw badRequest('You cannot unfollow yourself', { field: 'followedId' });
    try {
      await this.tables.delete({
        table: this.socialTable,
        key: edgeKey(callerSub, followedId),
        condition: { exists: 'followerId' },
      });
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedError) return false;
      throw err;
    }
  }

  /**
   * Removes every edge from and to `userId` (account deleted); the counters of the users on the
   * other end follow through UpdateUserCounters, which never touches a profile that is gone.
   * Returns how many edges were removed.
   */
  async removeAllEdgesOf(userId: string): Promise<number> {
    requireUserId(userId, 'userId');
    let removed = 0;
    const drain = async (query: (cursor?: string) => Promise<{ items: Item[]; cursor?: string }>, keyOf: (item: Item) => Key) => {
      let cursor: string | undefined;
      do {
        const page = await query(cursor);
        for (const item of page.items) {
          await this.tables.delete({ table: this.socialTable, key: keyOf(item) });
          removed++;
        }
        cursor = page.cursor;
      } while (cursor);
    };
    await drain(
      (cursor) => this.tables.query({ table: this.socialTable, partition: userId, sort: { op: 'beginsWith', value: FOLLOWING_PREFIX }, limit: 100, cursor }),
      (item) => ({ followerId: String(item.followerId), SK: String(item.SK) }),
    );
    await drain(
      (cursor) =>
        this.tables.query({ table: this.socialTable, index: FOLLOWERS_INDEX, partition: userId, sort: { op: 'beginsWith', value: FOLLOWER_PREFIX }, limit: 100, cursor }),
      (item) => ({ followerId: String(item.followerId), SK: String(item.SK) }),
    );
    return removed;
  }

  /** Public fact; malformed ids simply read as false. */
  async isFollowing(followerId: string, followedId: string): Promise<boolean> {
    if (!isUserId(followerId) || !isUserId(followedId) || followerId === followedId) return false;
    return (await this.tables.get(this.socialTable, edgeKey(followerId, followedId))) !== undefined;
  }

  /** Users `userId` follows, in followed-id order (the table's sort key). */
  async listFollowing(userId: string, limit?: number | null, cursor?: string | null): Promise<FollowPage> {
    requireUserId(userId, 'userId');
    const size = pageSize(limit, this.limits);
    const page = await withCursor(cursor, (c) =>
      this.tables.query({
        table: this.socialTable,
        partition: userId,
        sort: { op: 'beginsWith', value: FOLLOWING_PREFIX },
        limit: size,
        cursor: c,
      }),
    );
    const rows = page.items
      .map((item) => ({ userId: String(item.SK).slice(FOLLOWING_PREFIX.length), since: String(item.createdAt ?? '') }))
      .filter((row) => row.userId !== userId);
    return { items: await this.withProfiles(rows), cursor: page.cursor };
  }

  /** Users following `userId`, through GSI1 (eventually consistent on DynamoDB, as GSIs are). */
  async listFollowers(userId: string, limit?: number | null, cursor?: string | null): Promise<FollowPage> {
    requireUserId(userId, 'userId');
    const size = pageSize(limit, this.limits);
    const page = await withCursor(cursor, (c) =>
      this.tables.query({
        table: this.socialTable,
        index: FOLLOWERS_INDEX,
        partition: userId,
        sort: { op: 'beginsWith', value: FOLLOWER_PREFIX },
        limit: size,
        cursor: c,
      }),
    );
    const rows = page.items
      .map((item) => ({ userId: String(item.followerId), since: String(item.createdAt ?? '') }))
      .filter((row) => row.userId !== userId);
    return { items: await this.withProfiles(rows), cursor: page.cursor };
  }

  private async withProfiles(rows: Array<{ userId: string; since: string }>): Promise<FollowEntry[]> {
    const profiles = new Map<string, Item>();
    for (let i = 0; i < rows.length; i += BATCH_GET_MAX) {
      const keys = rows.slice(i, i + BATCH_GET_MAX).map((r) => ({ userId: r.userId }));
      for (const item of await this.tables.batchGet(this.usersTable, keys)) profiles.set(String(item.userId), item);
    }
    return rows.map((row) => {
      const item = profiles.get(row.userId);
      return { ...row, profile: item ? toProfile(item, this.mediaUrl) : null };
    });
  }
}

function toEdge(item: Item | undefined): FollowEdge | undefined {
  if (!item) return undefined;
  return {
    followerId: String(item.followerId),
    followedId: String(item.followedId ?? String(item.SK).slice(FOLLOWING_PREFIX.length)),
    createdAt: String(item.createdAt ?? ''),
  };
}
