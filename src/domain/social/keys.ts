/**
 * Key formats of the follow graph (BIIHLIVE-SOCIAL-V2), exactly the seed's: one edge item per
 * (follower, followed) pair, PK `followerId`, SK `FOLLOWING#{followedId}`, and its reverse
 * in GSI1: GSI1PK = followedId, GSI1SK = `FOLLOWER#{followerId}`.
 */
import type { Item } from '../../ports/tables.ts';
import { badRequest } from '../errors.ts';

export const FOLLOWING_PREFIX = 'FOLLOWING#';
export const FOLLOWER_PREFIX = 'FOLLOWER#';
export const FOLLOWERS_INDEX = 'GSI1';

/** User ids are identity `sub`s (UUIDs). '#' is refused: it is the separator of derived keys. */
export const MAX_USER_ID_LENGTH = 256;

/**
 * Words the chat table uses as key prefixes (`INBOX#<owner>`, `DEDUP#<conversation>`): a "user"
 * with such an id would turn a conversation id into one of those partitions.
 */
export const RESERVED_USER_IDS: ReadonlySet<string> = new Set(['INBOX', 'DEDUP']);

export function isUserId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_USER_ID_LENGTH &&
    !value.includes('#') &&
    !RESERVED_USER_IDS.has(value) &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f]/.test(value)
  );
}

export function requireUserId(value: unknown, field: string): string {
  if (!isUserId(value)) throw badRequest(`${field} must be a user id`, { field });
  return value;
}

export const edgeKey = (followerId: string, followedId: string) => ({
  followerId,
  SK: `${FOLLOWING_PREFIX}${followedId}`,
});

export function edgeItem(followerId: string, followedId: string, createdAt: string): Item {
  return {
    ...edgeKey(followerId, followedId),
    GSI1PK: followedId,
    GSI1SK: `${FOLLOWER_PREFIX}${followerId}`,
    followedId,
    createdAt,
  };
}

export interface Edge {
  followerId: string;
  followedId: string;
}

/**
 * The edge an item (or just its key) stands for, or undefined for anything else the table may
 * hold. Reads only the key attributes, so a KEYS_ONLY stream image is enough. Self-edges are
 * never counted (the service refuses them; a raw one written by hand is ignored everywhere).
 */
export function parseEdge(item: Item | undefined): Edge | undefined {
  if (!item) return undefined;
  const { followerId, SK } = item;
  if (typeof followerId !== 'string' || typeof SK !== 'string' || !SK.startsWith(FOLLOWING_PREFIX)) return undefined;
  const followedId = SK.slice(FOLLOWING_PREFIX.length);
  if (!followerId || !followedId || followerId === followedId) return undefined;
  return { followerId, followedId };
}
