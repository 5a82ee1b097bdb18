/**
 * Opaque page cursors: base64url(JSON) of the last evaluated key plus what it belongs to (table,
 * index or scan, partition), so a cursor from another query is refused, not misread.
 */
import { TableValidationError, type KeyAttribute, type KeyValue } from '../../ports/tables.ts';
import { NO_SORT_KEY, type TableInfo } from './schema-info.ts';
import { isPlainObject } from './values.ts';

interface CursorBody {
  /** Table name. */
  t: string;
  /** Index name, '' for the table, '*' for a scan. */
  i: string;
  /** Partition of the query ('' for a scan). */
  p: KeyValue;
  /** Last evaluated key: [sk] (table query), [isk, pk, sk] (index query), [pk, sk] (scan). */
  k: KeyValue[];
}

export const SCAN = '*';

export function encodeCursor(body: CursorBody): string {
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const bad = () => new TableValidationError('The provided starting key (cursor) is invalid');

function checkPart(value: unknown, attr: KeyAttribute | undefined): KeyValue {
  if (attr === undefined) {
    if (value !== NO_SORT_KEY) throw bad();
    return value;
  }
  if (attr.type === 'S' ? typeof value !== 'string' || value === '' : typeof value !== 'number' || !Number.isFinite(value)) {
    throw bad();
  }
  return value as KeyValue;
}

/**
 * Decodes a cursor and checks it belongs to this table, index (or scan) and partition, with key
 * parts of the declared types. Returns the last evaluated key parts.
 */
export function decodeCursor(cursor: unknown, info: TableInfo, index: string, partition: KeyValue): KeyValue[] {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 16_384 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!isPlainObject(body) || body.t !== info.name || body.i !== index || body.p !== partition || !Array.isArray(body.k)) {
    throw bad();
  }
  const k = body.k as unknown[];
  const table = [info.partitionKey, info.sortKey] as const;
  if (index === SCAN) {
    if (k.length !== 2) throw bad();
    return [checkPart(k[0], table[0]), checkPart(k[1], table[1])];
  }
  if (index === '') {
    if (k.length !== 1) throw bad();
    return [checkPart(k[0], table[1])];
  }
  const idx = info.indexByName.get(index);
  if (!idx || k.length !== 3) throw bad();
  return [checkPart(k[0], idx.sortKey), checkPart(k[1], table[0]), checkPart(k[2], table[1])];
}
