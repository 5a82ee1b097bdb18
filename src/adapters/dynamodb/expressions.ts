/**
 * Renders the port's structured conditions and updates into DynamoDB expressions. Every attribute
 * name and value goes through a placeholder (#nN / :vN), so reserved words (`name`, `timestamp`) and
 * odd characters (`#`, `.`, spaces) are safe; no name is ever interpolated into expression text.
 */
import {
  TableValidationError,
  type AttributeValue,
  type Condition,
  type Key,
  type KeyValue,
  type SortKeyCondition,
  type UpdateRequest,
} from '../../ports/tables.ts';

export interface ExpressionParams {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);

/** One builder per request: key condition, filter, update and condition share one placeholder space. */
export class ExpressionBuilder {
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, AttributeValue> = {};
  private valueCount = 0;

  name(attribute: string): string {
    if (typeof attribute !== 'string' || attribute.length === 0) {
      throw new TableValidationError('Attribute names must be non-empty strings');
    }
    let placeholder = this.names.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.names.size}`;
      this.names.set(attribute, placeholder);
    }
    return placeholder;
  }

  value(value: AttributeValue): string {
    if (value === undefined) throw new TableValidationError('Expression values must not be undefined');
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  condition(condition: Condition): string {
    if (!condition || typeof condition !== 'object') throw new TableValidationError('Invalid condition');
    if ('exists' in condition) return `attribute_exists(${this.name(condition.exists)})`;
    if ('notExists' in condition) return `attribute_not_exists(${this.name(condition.notExists)})`;
    if ('and' in condition) return this.junction(condition.and, 'AND');
    if ('or' in condition) return this.junction(condition.or, 'OR');
    if ('not' in condition) return `(NOT ${this.condition(condition.not)})`;
    if ('beginsWith' in condition) {
      if (typeof condition.beginsWith !== 'string') throw new TableValidationError('beginsWith needs a string');
      return `begins_with(${this.name(condition.attr)}, ${this.value(condition.beginsWith)})`;
    }
    if ('op' in condition && COMPARATORS.has(condition.op)) {
      return `${this.name(condition.attr)} ${condition.op} ${this.value(condition.value)}`;
    }
    throw new TableValidationError(`Unsupported condition ${JSON.stringify(condition)}`);
  }

  private junction(parts: Condition[], op: 'AND' | 'OR'): string {
    if (!Array.isArray(parts) || parts.length === 0) {
      throw new TableValidationError(`${op.toLowerCase()} needs a non-empty list of conditions`);
    }
    return `(${parts.map((p) => this.condition(p)).join(` ${op} `)})`;
  }

  /** SET/ADD/REMOVE clauses. An update that changes nothing still upserts the key (the port's rule), and
   * transactions require an UpdateExpression: removing an attribute nobody writes does exactly that. */
  update(request: Pick<UpdateRequest, 'set' | 'setIfNotExists' | 'add' | 'remove'>): string {
    const sets: string[] = [];
    for (const [attr, value] of Object.entries(request.set ?? {})) {
      sets.push(`${this.name(attr)} = ${this.value(value)}`);
    }
    for (const [attr, value] of Object.entries(request.setIfNotExists ?? {})) {
      const n = this.name(attr);
      sets.push(`${n} = if_not_exists(${n}, ${this.value(value)})`);
    }
    const adds: string[] = [];
    for (const [attr, delta] of Object.entries(request.add ?? {})) {
      if (typeof delta !== 'number' || !Number.isFinite(delta)) {
        throw new TableValidationError(`add.${attr} must be a finite number`);
      }
      adds.push(`${this.name(attr)} ${this.value(delta)}`);
    }
    const removes = (request.remove ?? []).map((attr) => this.name(attr));
    const clauses: string[] = [];
    if (sets.length) clauses.push(`SET ${sets.join(', ')}`);
    if (adds.length) clauses.push(`ADD ${adds.join(', ')}`);
    if (removes.length) clauses.push(`REMOVE ${removes.join(', ')}`);
    return clauses.length ? clauses.join(' ') : `REMOVE ${this.name('__biilive_noop')}`;
  }

  keyCondition(partitionAttr: string, partition: KeyValue, sortAttr: string | undefined, sort?: SortKeyCondition): string {
    const pk = `${this.name(partitionAttr)} = ${this.value(partition)}`;
    if (!sort) return pk;
    if (!sortAttr) throw new TableValidationError('Sort key condition on a key schema without a sort key');
    const sk = this.name(sortAttr);
    switch (sort.op) {
      case '=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return `${pk} AND ${sk} ${sort.op} ${this.value(sort.value)}`;
      case 'beginsWith':
        return `${pk} AND begins_with(${sk}, ${this.value(sort.value)})`;
      case 'between':
        return `${pk} AND ${sk} BETWEEN ${this.value(sort.value)} AND ${this.value(sort.to)}`;
      default:
        throw new TableValidationError(`Unsupported sort key condition ${JSON.stringify(sort)}`);
    }
  }

  /** Placeholder maps, omitted when empty (DynamoDB rejects empty maps). */
  params(): ExpressionParams {
    const out: ExpressionParams = {};
    if (this.names.size) out.ExpressionAttributeNames = Object.fromEntries([...this.names].map(([n, p]) => [p, n]));
    if (this.valueCount) out.ExpressionAttributeValues = this.values;
    return out;
  }
}

/** ConditionExpression plus placeholders for a single-condition request (put/delete/condition check). */
export function renderCondition(condition: Condition): { ConditionExpression: string } & ExpressionParams;
export function renderCondition(condition: Condition | undefined): { ConditionExpression?: string } & ExpressionParams;
export function renderCondition(condition: Condition | undefined): { ConditionExpression?: string } & ExpressionParams {
  if (!condition) return {};
  const b = new ExpressionBuilder();
  const ConditionExpression = b.condition(condition);
  return { ConditionExpression, ...b.params() };
}

/** UpdateExpression + optional ConditionExpression with shared placeholders. */
export function renderUpdate(request: UpdateRequest): { UpdateExpression: string; ConditionExpression?: string } & ExpressionParams {
  const b = new ExpressionBuilder();
  const UpdateExpression = b.update(request);
  const ConditionExpression = request.condition ? b.condition(request.condition) : undefined;
  return {
    UpdateExpression,
    ...(ConditionExpression ? { ConditionExpression } : {}),
    ...b.params(),
  };
}

/** Opaque page cursor: base64url JSON of DynamoDB's LastEvaluatedKey (plain values). */
export function encodeCursor(lastEvaluatedKey: Record<string, unknown> | undefined): string | undefined {
  if (!lastEvaluatedKey) return undefined;
  return Buffer.from(JSON.stringify(lastEvaluatedKey), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Key | undefined {
  if (cursor === undefined) return undefined;
  const bad = () => new TableValidationError('Invalid pagination cursor');
  if (typeof cursor !== 'string' || cursor.length === 0 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad();
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0 || entries.length > 4) throw bad();
  for (const [, v] of entries) {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) throw bad();
  }
  return parsed as Key;
}
