/**
 * Attribute values as DynamoDB sees them: type tags, validation with DynamoDB's limits, item size,
 * deep equality and UTF-8 byte order. Pure functions; the SQLite adapter's emulation builds on them.
 */
import { TableValidationError, type AttributeValue, type Item, type KeyValue } from '../../ports/tables.ts';

export type TypeTag = 'S' | 'N' | 'BOOL' | 'NULL' | 'L' | 'M';

/** DynamoDB's item size limit (400 KB, attribute names included). */
export const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's nesting limit for lists and maps. */
const MAX_DEPTH = 32;

export function typeOf(value: AttributeValue): TypeTag {
  switch (typeof value) {
    case 'string':
      return 'S';
    case 'number':
      return 'N';
    case 'boolean':
      return 'BOOL';
    default:
      if (value === null) return 'NULL';
      return Array.isArray(value) ? 'L' : 'M';
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Validates one attribute value and returns its DynamoDB size estimate in bytes. Accepted: strings,
 * finite numbers within DynamoDB's range, booleans, null, arrays and plain objects of those. Object
 * properties holding `undefined` are skipped (they are dropped on storage, like the SDK's
 * removeUndefinedValues); anything else (undefined in a list, Date, Map, bigint, ...) is rejected.
 */
export function measureValue(value: unknown, path: string, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return utf8Length(value);
    case 'number': {
      if (!Number.isFinite(value)) throw new TableValidationError(`${path}: numbers must be finite`);
      const abs = Math.abs(value);
      if (abs >= 1e126 || (abs !== 0 && abs < 1e-130)) throw new TableValidationError(`${path}: number out of DynamoDB's range`);
      return Math.ceil(String(abs).length / 2) + 1;
    }
    case 'boolean':
      return 1;
    case 'object': {
      if (value === null) return 1;
      if (depth >= MAX_DEPTH) throw new TableValidationError(`${path}: nesting deeper than ${MAX_DEPTH} levels`);
      let size = 3;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) throw new TableValidationError(`${path}[${i}]: undefined is not a value`);
          size += 1 + measureValue(value[i], `${path}[${i}]`, depth + 1);
        }
        return size;
      }
      if (!isPlainObject(value)) throw new TableValidationError(`${path}: only plain objects can be stored`);
      for (const name in value) {
        const v = value[name];
        if (v === undefined) continue;
        size += 1 + utf8Length(name) + measureValue(v, `${path}.${name}`, depth + 1);
      }
      return size;
    }
    default:
      throw new TableValidationError(`${path}: a ${typeof value} cannot be stored`);
  }
}

/** Validates a whole item (a plain object of attributes) and enforces the 400 KB limit. */
export function measureItem(item: unknown): number {
  if (!isPlainObject(item)) throw new TableValidationError('An item must be a plain object');
  let size = 0;
  for (const name in item) {
    const v = item[name];
    if (v === undefined) continue;
    if (name === '') throw new TableValidationError('Attribute names must not be empty');
    size += utf8Length(name) + measureValue(v, name, 1);
  }
  if (size > MAX_ITEM_BYTES) throw new TableValidationError('Item size has exceeded the maximum allowed size');
  return size;
}

/** Deep equality of stored values; object properties holding undefined count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    count++;
    if (!deepEqual(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) count--;
  return count === 0;
}

/** Maps a UTF-16 code unit >= 0xD800 so that code-unit order becomes code-point (= UTF-8 byte) order. */
const fixup = (c: number) => (c >= 0xe000 ? c - 0x800 : c + 0x2000);

/** Compares strings by their UTF-8 bytes, as DynamoDB (and SQLite's BINARY collation) orders S values. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = fixup(x);
      y = fixup(y);
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Orders two key values of the same type (N numerically, S by UTF-8 bytes). */
export function compareKeys(a: KeyValue, b: KeyValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareUtf8(String(a), String(b));
}

/**
 * The smallest string greater than every string starting with `prefix` (in code-point order), or
 * undefined when none exists. Turns begins_with into a range an index can seek.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = Array.from(prefix, (ch) => ch.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last === 0x10ffff) continue;
    cps.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
    return String.fromCodePoint(...cps);
  }
  return undefined;
}

/** Parses stored JSON into a fresh item (every read hands out its own copy). */
export const parseItem = (json: string): Item => JSON.parse(json) as Item;
