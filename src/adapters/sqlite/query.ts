/**
 * Query and Scan pages. A page evaluates up to `limit` items in key order (and at most ~1 MB of
 * data, as DynamoDB), THEN applies the filter, so a filtered page may hold fewer than `limit` items,
 * even none, and still carry a cursor. One extra row is fetched to know whether anything follows:
 * a cursor is returned only when more rows exist after the page.
 */
import {
  TableValidationError,
  type Item,
  type KeyValue,
  type QueryRequest,
  type QueryResult,
  type ScanRequest,
  type SortKeyCondition,
} from '../../ports/tables.ts';
import type { Statements } from './database.ts';
import { decodeCursor, encodeCursor, SCAN } from './cursor.ts';
import { evaluateCondition, validateCondition } from './expressions.ts';
import { checkKeyValue, type TableInfo } from './schema-info.ts';
import { compareKeys, isPlainObject, parseItem, prefixUpperBound } from './values.ts';

/** DynamoDB stops a page after 1 MB of data read. */
const PAGE_BYTES = 1024 * 1024;

type QueryAttr = { name: string; type: 'S' | 'N' } | undefined;

interface Bound {
  value: KeyValue;
  inclusive: boolean;
}

function checkLimit(limit: unknown): number {
  if (limit === undefined) return -1;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw new TableValidationError('limit must be a positive integer');
  return limit;
}

/** Turns a sort-key condition into a range [lo, hi]. */
function sortBounds(cond: SortKeyCondition, attr: QueryAttr): { lo?: Bound; hi?: Bound } {
  if (!isPlainObject(cond)) throw new TableValidationError('sort must be a condition object');
  if (attr === undefined) throw new TableValidationError('This table or index has no sort key to query on');
  const value = checkKeyValue(attr, cond.value, 'Sort key condition on');
  switch (cond.op) {
    case '=':
      return { lo: { value, inclusive: true }, hi: { value, inclusive: true } };
    case '<':
    case '<=':
      return { hi: { value, inclusive: cond.op === '<=' } };
    case '>':
    case '>=':
      return { lo: { value, inclusive: cond.op === '>=' } };
    case 'between': {
      const to = checkKeyValue(attr, cond.to, 'Sort key condition on');
      if (compareKeys(value, to) > 0) throw new TableValidationError('between: the lower bound is greater than the upper bound');
      return { lo: { value, inclusive: true }, hi: { value: to, inclusive: true } };
    }
    case 'beginsWith': {
      if (attr.type !== 'S') throw new TableValidationError('beginsWith needs a string sort key');
      const upper = prefixUpperBound(value as string);
      return { lo: { value, inclusive: true }, hi: upper === undefined ? undefined : { value: upper, inclusive: false } };
    }
    default:
      throw new TableValidationError(`Unknown sort key operator ${String((cond as { op?: unknown }).op)}`);
  }
}

function inBounds(v: KeyValue, lo?: Bound, hi?: Bound): boolean {
  if (lo) {
    const c = compareKeys(v, lo.value);
    if (c < 0 || (c === 0 && !lo.inclusive)) return false;
  }
  if (hi) {
    const c = compareKeys(v, hi.value);
    if (c > 0 || (c === 0 && !hi.inclusive)) return false;
  }
  return true;
}

/** Runs a page statement: rows are [...keyParts, data]; keyParts feed the cursor. */
function page(
  rows: Iterable<unknown[]>,
  limit: number,
  filter: QueryRequest['filter'],
  cursorOf: (row: unknown[]) => string,
): QueryResult {
  const items: Item[] = [];
  let evaluated = 0;
  let bytes = 0;
  let last: unknown[] | undefined;
  let more = false;
  for (const row of rows) {
    if ((limit !== -1 && evaluated === limit) || bytes >= PAGE_BYTES) {
      more = true;
      break;
    }
    const data = row[row.length - 1] as string;
    bytes += data.length;
    evaluated++;
    last = row;
    const item = parseItem(data);
    if (!filter || evaluateCondition(filter, item)) items.push(item);
  }
  return more && last ? { items, cursor: cursorOf(last) } : { items };
}

export function runQuery(statements: Statements, info: TableInfo, req: QueryRequest): QueryResult {
  const indexName = req.index;
  const idx = indexName === undefined ? undefined : info.indexByName.get(indexName);
  if (indexName !== undefined && !idx) throw new TableValidationError(`${info.name} has no index ${String(indexName)}`);
  const partition = checkKeyValue(idx ? idx.partitionKey : info.partitionKey, req.partition, 'Partition key');
  const sortAttr: QueryAttr = idx ? idx.sortKey : info.sortKey;
  const { lo, hi } = req.sort === undefined ? {} : sortBounds(req.sort, sortAttr);
  const forward = req.forward ?? true;
  if (typeof forward !== 'boolean') throw new TableValidationError('forward must be a boolean');
  const limit = checkLimit(req.limit);
  if (req.filter !== undefined) validateCondition(req.filter);
  const at = req.cursor === undefined ? undefined : decodeCursor(req.cursor, info, indexName ?? '', partition);
  if (at && sortAttr && !inBounds(at[0], lo, hi)) {
    throw new TableValidationError('The provided starting key is outside query boundaries based on provided conditions');
  }

  // With a cursor (checked to lie within the range) the start-side bound is implied by it; leaving it
  // out lets SQLite seek straight to the cursor with the row-value comparison.
  const from = at ? undefined : forward ? lo : hi;
  const lower = forward ? from : lo;
  const upper = forward ? hi : from;
  const col = idx ? 'x.isk' : 'sk';
  const flag = (b: Bound | undefined, c: string) => (b ? (b.inclusive ? c.toUpperCase() : c) : '-');
  const shape = `q${idx ? 'i' : 't'}${flag(lower, 'l')}${flag(upper, 'h')}${at ? 'c' : '-'}${forward ? 'f' : 'b'}`;
  const stmt = statements.shape(shape, () => {
    const where = idx ? ['x.tbl = ?', 'x.idx = ?', 'x.ipk = ?'] : ['tbl = ?', 'pk = ?'];
    if (lower) where.push(`${col} ${lower.inclusive ? '>=' : '>'} ?`);
    if (upper) where.push(`${col} ${upper.inclusive ? '<=' : '<'} ?`);
    const cmp = forward ? '>' : '<';
    const dir = forward ? 'ASC' : 'DESC';
    if (idx) {
      if (at) where.push(`(x.isk, x.pk, x.sk) ${cmp} (?, ?, ?)`);
      return (
        'SELECT x.isk, x.pk, x.sk, i.data FROM index_items x CROSS JOIN items i ' +
        `ON i.tbl = x.tbl AND i.pk = x.pk AND i.sk = x.sk WHERE ${where.join(' AND ')} ` +
        `ORDER BY x.isk ${dir}, x.pk ${dir}, x.sk ${dir} LIMIT ?`
      );
    }
    if (at) where.push(`sk ${cmp} ?`);
    return `SELECT sk, data FROM items WHERE ${where.join(' AND ')} ORDER BY sk ${dir} LIMIT ?`;
  });
  const params: unknown[] = idx ? [info.name, idx.name, partition] : [info.name, partition];
  if (lower) params.push(lower.value);
  if (upper) params.push(upper.value);
  if (at) params.push(...at);
  params.push(limit === -1 ? -1 : limit + 1);
  const rows = limit === -1 ? stmt.iterate(...params) : stmt.all(...params);
  return page(rows as Iterable<unknown[]>, limit, req.filter, (row) =>
    encodeCursor({ t: info.name, i: indexName ?? '', p: partition, k: row.slice(0, -1) as KeyValue[] }),
  );
}

export function runScan(statements: Statements, info: TableInfo, req: ScanRequest): QueryResult {
  const limit = checkLimit(req.limit);
  const at = req.cursor === undefined ? undefined : decodeCursor(req.cursor, info, SCAN, '');
  const stmt = statements.shape(
    at ? 'scan-c' : 'scan',
    () => `SELECT pk, sk, data FROM items WHERE tbl = ? ${at ? 'AND (pk, sk) > (?, ?)' : ''} ORDER BY pk, sk LIMIT ?`,
  );
  const params: unknown[] = at ? [info.name, ...at] : [info.name];
  params.push(limit === -1 ? -1 : limit + 1);
  const rows = limit === -1 ? stmt.iterate(...params) : stmt.all(...params);
  return page(rows as Iterable<unknown[]>, limit, undefined, (row) =>
    encodeCursor({ t: info.name, i: SCAN, p: '', k: row.slice(0, -1) as KeyValue[] }),
  );
}
