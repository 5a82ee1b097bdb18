/**
 * The write path shared by put, update, delete and transactWrite. Everything here runs inside the
 * caller's write transaction (a group commit batch, one savepoint per operation): read the current
 * item, decide, write the item, its index entries and its change record together.
 */
import type { Item, KeyValue } from '../../ports/tables.ts';
import type { SqliteChangeLog } from './changelog.ts';
import type { Statements } from './database.ts';
import { indexEntry, keyObject, type TableInfo } from './schema-info.ts';
import { deepEqual, parseItem } from './values.ts';

/** An item as its stored JSON, parsed on first need (conditions, indexes, streams). */
export interface Version {
  json: string;
  parsed?: Item;
}

export function itemOf(version: Version): Item {
  return (version.parsed ??= parseItem(version.json));
}

export class Writer {
  /** Characters of item JSON written so far (items and change images): the group commit's byte budget. */
  written = 0;

  constructor(
    private readonly statements: Statements,
    private readonly changes: SqliteChangeLog,
  ) {}

  /** The stored item; its parsed form is a private copy the caller may change. */
  current(info: TableInfo, pk: KeyValue, sk: KeyValue): Version | undefined {
    const json = this.statements.getData.get(info.name, pk, sk) as string | undefined;
    return json === undefined ? undefined : { json };
  }

  /**
   * Replaces (next) or deletes (no next) the item and keeps its index entries and change record in
   * step. A write that changes nothing (same item, or deleting a missing one) is skipped: DynamoDB
   * Streams emits no record for a PutItem/UpdateItem that leaves the item as it was.
   */
  write(info: TableInfo, pk: KeyValue, sk: KeyValue, old: Version | undefined, next: Version | undefined): void {
    if (!old && !next) return;
    if (old && next && (old.json === next.json || (info.stream && deepEqual(itemOf(old), itemOf(next))))) return;
    const s = this.statements;
    this.written += (next?.json.length ?? 0) + (info.stream ? (old?.json.length ?? 0) + (next?.json.length ?? 0) : 0);
    if (next) s.putData.run(info.name, pk, sk, next.json);
    else s.deleteData.run(info.name, pk, sk);
    for (const idx of info.indexes) {
      const was = old && indexEntry(idx, itemOf(old));
      const now = next && indexEntry(idx, itemOf(next));
      if (was && now && was[0] === now[0] && was[1] === now[1]) continue;
      if (was) s.deleteIndex.run(info.name, idx.name, was[0], was[1], pk, sk);
      if (now) s.insertIndex.run(info.name, idx.name, now[0], now[1], pk, sk);
    }
    if (info.stream) {
      const event = !old ? 'INSERT' : next ? 'MODIFY' : 'REMOVE';
      this.changes.append(info.name, event, keyObject(info, pk, sk), old?.json, next?.json);
    }
  }
}
