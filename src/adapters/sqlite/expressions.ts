/**
 * Condition evaluation and update application with DynamoDB semantics, on plain items.
 *
 * Conditions: a comparison with a missing attribute is false, except `<>` which is true; values of
 * different types are never equal and never ordered; `<`-family operands must be S or N (else a
 * ValidationException in DynamoDB, TableValidationError here); strings order by UTF-8 bytes.
 */
import {
  TableValidationError,
  type AttributeValue,
  type Condition,
  type Item,
  type Key,
  type UpdateRequest,
} from '../../ports/tables.ts';
import type { TableInfo } from './schema-info.ts';
import { compareUtf8, deepEqual, isPlainObject, measureValue } from './values.ts';

const OPS = new Set(['=', '<>', '<', '<=', '>', '>=']);
const MAX_CONDITION_DEPTH = 16;

function attrName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new TableValidationError(`${what} needs a non-empty attribute name`);
  return value;
}

/** Checks the shape of a condition before any work (DynamoDB rejects bad expressions up front). */
export function validateCondition(c: unknown, depth = 0): asserts c is Condition {
  if (!isPlainObject(c)) throw new TableValidationError('A condition must be an object');
  if (depth > MAX_CONDITION_DEPTH) throw new TableValidationError('Condition nested too deeply');
  if ('exists' in c) return void attrName(c.exists, 'exists');
  if ('notExists' in c) return void attrName(c.notExists, 'notExists');
  if ('beginsWith' in c) {
    attrName(c.attr, 'beginsWith');
    if (typeof c.beginsWith !== 'string') throw new TableValidationError('beginsWith needs a string');
    return;
  }
  if ('op' in c) {
    attrName(c.attr, `Condition ${String(c.op)}`);
    if (typeof c.op !== 'string' || !OPS.has(c.op)) throw new TableValidationError(`Unknown condition operator ${String(c.op)}`);
    if (c.value === undefined) throw new TableValidationError(`Condition on ${c.attr} needs a value`);
    measureValue(c.value, `Condition value for ${c.attr}`);
    if (c.op !== '=' && c.op !== '<>' && typeof c.value !== 'string' && typeof c.value !== 'number') {
      throw new TableValidationError(`Operator ${c.op} needs a string or number operand`);
    }
    return;
  }
  for (const group of ['and', 'or'] as const) {
    if (group in c) {
      const list = c[group];
      if (!Array.isArray(list) || list.length === 0) throw new TableValidationError(`${group} needs a non-empty list`);
      for (const sub of list) validateCondition(sub, depth + 1);
      return;
    }
  }
  if ('not' in c) return validateCondition(c.not, depth + 1);
  throw new TableValidationError('Unknown condition');
}

function compare(actual: AttributeValue | undefined, op: string, expected: AttributeValue): boolean {
  if (actual === undefined) return op === '<>';
  if (op === '=') return deepEqual(actual, expected);
  if (op === '<>') return !deepEqual(actual, expected);
  let order: number;
  if (typeof actual === 'number' && typeof expected === 'number') order = actual - expected;
  else if (typeof actual === 'string' && typeof expected === 'string') order = compareUtf8(actual, expected);
  else return false;
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

/** Evaluates a validated condition on the current item (undefined = the item does not exist). */
export function evaluateCondition(c: Condition, item: Item | undefined): boolean {
  if ('exists' in c) return item !== undefined && item[c.exists] !== undefined;
  if ('notExists' in c) return item === undefined || item[c.notExists] === undefined;
  if ('beginsWith' in c) {
    const v = item?.[c.attr];
    return typeof v === 'string' && v.startsWith(c.beginsWith);
  }
  if ('op' in c) return compare(item?.[c.attr], c.op, c.value);
  if ('and' in c) return c.and.every((sub) => evaluateCondition(sub, item));
  if ('or' in c) return c.or.some((sub) => evaluateCondition(sub, item));
  return !evaluateCondition(c.not, item);
}

/**
 * Checks an update request's actions: values valid, no attribute named in two actions (DynamoDB:
 * "Two document paths overlap"), no key attribute touched.
 */
export function validateUpdate(info: TableInfo, req: UpdateRequest): void {
  const seen = new Set<string>();
  const claim = (name: unknown, action: string) => {
    const n = attrName(name, action);
    if (n === info.partitionKey.name || n === info.sortKey?.name) {
      throw new TableValidationError(`Cannot update attribute ${n}. This attribute is part of the key`);
    }
    if (seen.has(n)) throw new TableValidationError(`Two document paths overlap: ${n}`);
    seen.add(n);
  };
  for (const [action, values] of [
    ['set', req.set],
    ['setIfNotExists', req.setIfNotExists],
  ] as const) {
    if (values === undefined) continue;
    if (!isPlainObject(values)) throw new TableValidationError(`${action} must be an object`);
    for (const name in values) {
      claim(name, action);
      if (values[name] === undefined) throw new TableValidationError(`${action} ${name}: undefined is not a value`);
      measureValue(values[name], name, 1);
    }
  }
  if (req.add !== undefined) {
    if (!isPlainObject(req.add)) throw new TableValidationError('add must be an object');
    for (const name in req.add) {
      claim(name, 'add');
      const delta = req.add[name];
      if (typeof delta !== 'number' || !Number.isFinite(delta)) throw new TableValidationError(`add ${name}: the delta must be a number`);
    }
  }
  if (req.remove !== undefined) {
    if (!Array.isArray(req.remove)) throw new TableValidationError('remove must be a list of attribute names');
    for (const name of req.remove) claim(name, 'remove');
  }
}

/**
 * Applies a validated update to the current item (or, when missing, to an item holding only the
 * key: UpdateItem upserts). Returns a new object that may share values with the request: callers
 * serialize it and hand out parsed copies only.
 * ADD on a non-number throws TableValidationError (DynamoDB: operand type mismatch).
 */
export function applyUpdate(current: Item | undefined, key: Key, req: UpdateRequest): Item {
  const next: Item = current ? { ...current } : { ...key };
  if (req.set) for (const name in req.set) next[name] = req.set[name];
  if (req.setIfNotExists) {
    for (const name in req.setIfNotExists) if (next[name] === undefined) next[name] = req.setIfNotExists[name];
  }
  if (req.add) {
    for (const name in req.add) {
      const now = next[name];
      if (now !== undefined && typeof now !== 'number') {
        throw new TableValidationError(`An operand in the update expression has an incorrect data type: ADD ${name}`);
      }
      next[name] = (now ?? 0) + req.add[name];
    }
  }
  if (req.remove) for (const name of req.remove) delete next[name];
  return next;
}
