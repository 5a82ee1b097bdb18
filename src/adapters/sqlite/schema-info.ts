/**
 * Table definitions at run time: validation of definitions, keys, items and index entries with the
 * errors DynamoDB would return (all TableValidationError here).
 */
import {
  TableValidationError,
  type IndexDefinition,
  type Item,
  type Key,
  type KeyAttribute,
  type KeyValue,
  type TableDefinition,
} from '../../ports/tables.ts';
import { isPlainObject } from './values.ts';

export interface TableInfo {
  name: string;
  definition: TableDefinition;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  indexes: IndexDefinition[];
  indexByName: Map<string, IndexDefinition>;
  stream: boolean;
}

/** Stored in the sort-key column of tables (and indexes) without a sort key. */
export const NO_SORT_KEY = '';

/** DynamoDB's key size limits (UTF-8 bytes). */
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;

const NAME = /^[A-Za-z0-9_.-]{3,255}$/;
/** Lone surrogates cannot be encoded as UTF-8, so DynamoDB (and SQLite TEXT) cannot hold them. */
const LONE_SURROGATE = /\p{Cs}/u;

function checkKeyAttribute(attr: unknown, where: string): void {
  if (!isPlainObject(attr) || typeof attr.name !== 'string' || attr.name === '' || (attr.type !== 'S' && attr.type !== 'N')) {
    throw new TableValidationError(`${where}: a key attribute needs a name and type 'S' or 'N'`);
  }
}

export function validateDefinition(def: TableDefinition): void {
  if (!isPlainObject(def) || typeof def.name !== 'string' || !NAME.test(def.name)) {
    throw new TableValidationError(`Invalid table name: ${String((def as { name?: unknown })?.name)}`);
  }
  checkKeyAttribute(def.partitionKey, def.name);
  if (def.sortKey !== undefined) {
    checkKeyAttribute(def.sortKey, def.name);
    if (def.sortKey.name === def.partitionKey.name) throw new TableValidationError(`${def.name}: sort key repeats the partition key`);
  }
  const seen = new Set<string>();
  for (const idx of def.indexes ?? []) {
    if (!isPlainObject(idx) || typeof idx.name !== 'string' || !NAME.test(idx.name) || seen.has(idx.name)) {
      throw new TableValidationError(`${def.name}: invalid or duplicate index name`);
    }
    seen.add(idx.name);
    checkKeyAttribute(idx.partitionKey, `${def.name}.${idx.name}`);
    if (idx.sortKey !== undefined) checkKeyAttribute(idx.sortKey, `${def.name}.${idx.name}`);
  }
  // One attribute, one type: DynamoDB's AttributeDefinitions cannot declare a name twice.
  const types = new Map<string, string>();
  for (const a of [def.partitionKey, def.sortKey, ...(def.indexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])]) {
    if (!a) continue;
    const t = types.get(a.name);
    if (t !== undefined && t !== a.type) throw new TableValidationError(`${def.name}: attribute ${a.name} declared with two types`);
    types.set(a.name, a.type);
  }
}

export function tableInfo(def: TableDefinition): TableInfo {
  const indexes = def.indexes ?? [];
  return {
    name: def.name,
    definition: def,
    partitionKey: def.partitionKey,
    sortKey: def.sortKey,
    indexes,
    indexByName: new Map(indexes.map((i) => [i.name, i])),
    stream: def.stream === true,
  };
}

/** Same key schema (what DynamoDB cannot change on an existing table). */
export function sameKeySchema(a: TableDefinition, b: TableDefinition): boolean {
  const eq = (x?: KeyAttribute, y?: KeyAttribute) => x?.name === y?.name && x?.type === y?.type;
  return eq(a.partitionKey, b.partitionKey) && eq(a.sortKey, b.sortKey);
}

/** Checks one key value against its declared type; `role` names it in the error. */
export function checkKeyValue(attr: KeyAttribute, value: unknown, role: string, maxBytes = MAX_PARTITION_KEY_BYTES): KeyValue {
  if (attr.type === 'S') {
    if (typeof value !== 'string') throw new TableValidationError(`${role} ${attr.name} must be a string`);
    if (value === '') throw new TableValidationError(`${role} ${attr.name} must not be an empty string`);
    if (value.length * 3 > maxBytes && Buffer.byteLength(value) > maxBytes) {
      throw new TableValidationError(`${role} ${attr.name} is longer than ${maxBytes} bytes`);
    }
    if (LONE_SURROGATE.test(value)) throw new TableValidationError(`${role} ${attr.name} is not valid UTF-8`);
    return value;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TableValidationError(`${role} ${attr.name} must be a number`);
  return value;
}

/** Validates a Key (exactly the table's key attributes) and returns [pk, sk] for storage. */
export function readKey(info: TableInfo, key: Key): [KeyValue, KeyValue] {
  if (!isPlainObject(key)) throw new TableValidationError('The key must be an object');
  let count = 0;
  for (const name in key) if (key[name] !== undefined) count++;
  if (count !== (info.sortKey ? 2 : 1)) {
    throw new TableValidationError(`The provided key element does not match the schema of ${info.name}`);
  }
  const pk = checkKeyValue(info.partitionKey, key[info.partitionKey.name], 'Key attribute');
  const sk = info.sortKey ? checkKeyValue(info.sortKey, key[info.sortKey.name], 'Key attribute', MAX_SORT_KEY_BYTES) : NO_SORT_KEY;
  return [pk, sk];
}

/** The key attributes of an item, validated, as [pk, sk]. */
export function itemKey(info: TableInfo, item: Item): [KeyValue, KeyValue] {
  const pk = checkKeyValue(info.partitionKey, item[info.partitionKey.name], 'Item key attribute');
  const sk = info.sortKey ? checkKeyValue(info.sortKey, item[info.sortKey.name], 'Item key attribute', MAX_SORT_KEY_BYTES) : NO_SORT_KEY;
  return [pk, sk];
}

export function keyObject(info: TableInfo, pk: KeyValue, sk: KeyValue): Key {
  const key: Key = { [info.partitionKey.name]: pk };
  if (info.sortKey) key[info.sortKey.name] = sk;
  return key;
}

/**
 * The index entry [ipk, isk] of an item, or undefined when the item lacks an index key attribute
 * (sparse index). A present index key attribute of the wrong type or an empty string is rejected,
 * as DynamoDB rejects such writes.
 */
export function indexEntry(idx: IndexDefinition, item: Item): [KeyValue, KeyValue] | undefined {
  const p = item[idx.partitionKey.name];
  const s = idx.sortKey ? item[idx.sortKey.name] : NO_SORT_KEY;
  if (p !== undefined) checkKeyValue(idx.partitionKey, p, `Index ${idx.name} key attribute`);
  if (idx.sortKey && s !== undefined) checkKeyValue(idx.sortKey, s, `Index ${idx.name} key attribute`, MAX_SORT_KEY_BYTES);
  if (p === undefined || s === undefined) return undefined;
  return [p as KeyValue, s as KeyValue];
}

/** Validates every index key attribute of an item (throws on a type mismatch). */
export function checkIndexKeys(info: TableInfo, item: Item): void {
  for (const idx of info.indexes) indexEntry(idx, item);
}
