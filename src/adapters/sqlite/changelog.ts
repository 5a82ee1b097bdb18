/**
 * The change log of stream tables (DynamoDB Streams, NEW_AND_OLD_IMAGES) kept in the `changes` table.
 * Records are appended inside the write's own transaction, so a record exists iff its write committed.
 * Embedded mode has one shard per table that never closes or splits. Retention: 24 h by the clock,
 * enforced exactly on read and by an occasional prune on write.
 */
import {
  TableValidationError,
  type ChangeLog,
  type ChangeRecord,
  type Key,
  type ReadChangesRequest,
  type ReadChangesResult,
  type Shard,
} from '../../ports/tables.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Statements } from './database.ts';
import type { TableInfo } from './schema-info.ts';
import { isPlainObject } from './values.ts';

export const SHARD_ID = 'shard-0000';
export const RETENTION_MS = 24 * 60 * 60 * 1000;
/** How often (by the clock) a writer deletes expired records. */
const PRUNE_EVERY_MS = 60_000;
/** DynamoDB's GetRecords maximum. */
const MAX_READ = 1000;
const SEQUENCE_DIGITS = 21;

export class SqliteChangeLog implements ChangeLog {
  private nextPruneAt = 0;

  constructor(
    private readonly statements: Statements,
    private readonly clock: Clock,
    private readonly streamTable: (name: string) => TableInfo,
  ) {}

  /**
   * Appends one record; call inside the write transaction. Images are the stored JSON strings, so a
   * record costs no extra serialization of the item.
   */
  append(table: string, eventName: ChangeRecord['eventName'], keys: Key, oldJson?: string, newJson?: string): void {
    const now = this.clock.now();
    if (now >= this.nextPruneAt) {
      this.statements.pruneChanges.run(now - RETENTION_MS);
      this.nextPruneAt = now + PRUNE_EVERY_MS;
    }
    const record =
      `{"eventName":"${eventName}","table":${JSON.stringify(table)},"keys":${JSON.stringify(keys)}` +
      (oldJson !== undefined ? `,"oldImage":${oldJson}` : '') +
      (newJson !== undefined ? `,"newImage":${newJson}` : '') +
      `,"approximateCreationDateTime":${Math.floor(now / 1000)}}`;
    this.statements.insertChange.run(table, now, record);
  }

  async listShards(table: string): Promise<Shard[]> {
    this.streamTable(table);
    return [{ shardId: SHARD_ID, closed: false }];
  }

  async read(request: ReadChangesRequest): Promise<ReadChangesResult> {
    if (!isPlainObject(request)) throw new TableValidationError('read needs a request object');
    const info = this.streamTable(request.table);
    if (request.shardId !== SHARD_ID) throw new TableValidationError(`Unknown shard ${String(request.shardId)} of ${info.name}`);
    let after = 0n;
    if (request.after !== undefined) {
      if (typeof request.after !== 'string' || !/^\d{1,30}$/.test(request.after)) {
        throw new TableValidationError('after must be a sequence number');
      }
      after = BigInt(request.after);
    }
    const limit = request.limit ?? MAX_READ;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ) throw new TableValidationError(`limit must be 1..${MAX_READ}`);
    // Above int64 nothing can follow; clamp so the binding stays a valid SQLite integer.
    if (after > 0x7fffffffffffffffn) return { records: [], endOfShard: false };
    const rows = this.statements.readChanges.all(info.name, after, this.clock.now() - RETENTION_MS, limit) as [bigint, string][];
    const records = rows.map(([seq, json]) => {
      const record = JSON.parse(json) as Omit<ChangeRecord, 'sequenceNumber'>;
      return { sequenceNumber: seq.toString().padStart(SEQUENCE_DIGITS, '0'), ...record };
    });
    return { records, endOfShard: false };
  }
}
