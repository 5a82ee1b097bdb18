/**
 * Key formats of the rankings table (documented with its definition in ../tables.ts). Every item
 * of a snapshot lives under partitions prefixed by its snapshot id, so a snapshot is written,
 * read and deleted without touching any other.
 */
import { randomBytes } from 'node:crypto';

export type RankingScope = 'GLOBAL' | 'COUNTRY' | 'CITY';
export const SCOPES: readonly RankingScope[] = ['GLOBAL', 'COUNTRY', 'CITY'];

/** Ranks per chunk item; a page of up to 100 rows reads at most two chunks. */
export const CHUNK_SIZE = 200;
/** Users per rank-lookup bucket, on average. */
export const USERS_PER_BUCKET = 200;

export const POINTER_KEY = { pk: 'CURRENT', sk: 'CURRENT' } as const;
export const RUNS_PK = 'RUNS';

/** "<date>.<8 hex>": sorts by date; unique per run, so a retried run never mixes with a crashed one. */
export const newSnapshotId = (date: string): string => `${date}.${randomBytes(4).toString('hex')}`;
export const dateOfSnapshot = (snapshotId: string): string => snapshotId.slice(0, 10);

export const sortKey = (n: number): string => String(n).padStart(8, '0');

export const runKey = (snapshotId: string) => ({ pk: RUNS_PK, sk: snapshotId });

/** Partition of one ranking: GLOBAL, a country (paisKey) or a city (paisKey + ciudadKey). */
export function scopePartition(snapshotId: string, scope: RankingScope, paisKey?: string, ciudadKey?: string): string {
  if (scope === 'GLOBAL') return `${snapshotId}#GLOBAL`;
  if (scope === 'COUNTRY') return `${snapshotId}#COUNTRY#${paisKey}`;
  return `${snapshotId}#CITY#${paisKey}#${ciudadKey}`;
}

export const chunkKey = (partition: string, chunk: number) => ({ pk: partition, sk: sortKey(chunk) });
export const usersPartition = (snapshotId: string) => `${snapshotId}#USERS`;
export const manifestPartition = (snapshotId: string) => `${snapshotId}#MANIFEST`;

/** FNV-1a (32 bit) over UTF-16 code units: which rank-lookup bucket holds a user. */
export function bucketOf(userId: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    h ^= userId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

/** A page position in one ranking of one snapshot (opaque to clients as nextToken). */
export interface RankingCursor {
  /** Snapshot id. */
  s: string;
  /** Scope partition suffix (after the snapshot id). */
  p: string;
  /** Next rank to return (1-based). */
  r: number;
  /** Chunk size of that snapshot. */
  c: number;
}

export const encodeCursor = (cursor: RankingCursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

export function decodeCursor(token: string): RankingCursor | undefined {
  if (token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<RankingCursor>;
    const ok =
      typeof c.s === 'string' &&
      typeof c.p === 'string' &&
      Number.isSafeInteger(c.r) &&
      (c.r as number) >= 1 &&
      Number.isSafeInteger(c.c) &&
      (c.c as number) >= 10 &&
      (c.c as number) <= 10_000;
    return ok ? (c as RankingCursor) : undefined;
  } catch {
    return undefined;
  }
}
