/**
 * Table definitions and helpers for the Tables conformance suite. Names carry a random prefix so
 * runs can share one DynamoDB Local without seeing each other's data.
 */
import { randomBytes } from 'node:crypto';
import type { ChangeRecord, TableDefinition, Tables } from '../../src/ports/tables.ts';

export interface ConformanceTables {
  /** PK `id` (S); index `by-group`: partition `group` (S), no sort key. */
  simple: string;
  /** PK `pk` (S) + SK `sk` (S); index `GSI1`: `gpk` (S) / `gsk` (S). */
  sorted: string;
  /** PK `pk` (S) + SK `n` (N); index `by-score`: `board` (S) / `score` (N). */
  numbered: string;
  /** PK `pk` (S) + SK `sk` (S), stream enabled. */
  streamed: string;
  /** PK `pk` (S) + SK `n` (N), used by the scan tests only (scans see the whole table). */
  scanned: string;
}

export function conformanceTables(prefix = `conf-${randomBytes(4).toString('hex')}`): {
  names: ConformanceTables;
  definitions: TableDefinition[];
} {
  const names: ConformanceTables = {
    simple: `${prefix}-simple`,
    sorted: `${prefix}-sorted`,
    numbered: `${prefix}-numbered`,
    streamed: `${prefix}-streamed`,
    scanned: `${prefix}-scanned`,
  };
  const definitions: TableDefinition[] = [
    {
      id: 'simple',
      name: names.simple,
      partitionKey: { name: 'id', type: 'S' },
      indexes: [{ name: 'by-group', partitionKey: { name: 'group', type: 'S' } }],
    },
    {
      id: 'sorted',
      name: names.sorted,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      indexes: [{ name: 'GSI1', partitionKey: { name: 'gpk', type: 'S' }, sortKey: { name: 'gsk', type: 'S' } }],
    },
    {
      id: 'numbered',
      name: names.numbered,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'n', type: 'N' },
      indexes: [{ name: 'by-score', partitionKey: { name: 'board', type: 'S' }, sortKey: { name: 'score', type: 'N' } }],
    },
    {
      id: 'streamed',
      name: names.streamed,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      stream: true,
    },
    { id: 'scanned', name: names.scanned, partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'n', type: 'N' } },
  ];
  return { names, definitions };
}

let counter = 0;
/** A value unique within the run (partition keys per test keep tests independent on a shared table). */
export const uid = (label = 'k') => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomBytes(3).toString('hex')}`;

/** Runs `fn` in chunks of `size` concurrent calls (DynamoDB Local dislikes thousands at once). */
export async function inChunks<T>(values: T[], size: number, fn: (value: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < values.length; i += size) await Promise.all(values.slice(i, i + size).map(fn));
}

export interface ShardRecord {
  shardId: string;
  record: ChangeRecord;
}

/** Every retained record of a stream table, shard by shard, each shard in order. */
export async function readAllChanges(tables: Tables, table: string): Promise<ShardRecord[]> {
  const out: ShardRecord[] = [];
  for (const shard of await tables.changes.listShards(table)) out.push(...(await readShard(tables, table, shard.shardId)));
  return out;
}

/** Records of one shard strictly after `after` (all retained ones without it). */
export async function readShard(tables: Tables, table: string, shardId: string, after?: string): Promise<ShardRecord[]> {
  const out: ShardRecord[] = [];
  let from = after;
  for (let pages = 0; pages < 1000; pages++) {
    const { records, endOfShard } = await tables.changes.read({ table, shardId, after: from, limit: 1000 });
    for (const record of records) out.push({ shardId, record });
    if (records.length === 0 || endOfShard) break;
    from = records[records.length - 1].sequenceNumber;
  }
  return out;
}

/**
 * Retries `read` until `done` accepts its result (stream records may surface with a delay on
 * DynamoDB); returns the last result either way so the caller's assertion reports what was seen.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
