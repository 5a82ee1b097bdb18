/**
 * A small in-memory Tables for unit tests of the identity service (not a conformance-tested adapter:
 * enough DynamoDB semantics for conditions, updates, queries and transactions, no change log).
 */
import {
  ConditionalCheckFailedError,
  TableValidationError,
  TransactionCanceledError,
  type AttributeValue,
  type Condition,
  type Item,
  type Key,
  type KeyValue,
  type QueryRequest,
  type QueryResult,
  type TableDefinition,
  type Tables,
  type TransactOperation,
  type UpdateRequest,
} from '../../src/ports/tables.ts';

interface MemTable {
  def: TableDefinition;
  items: Map<string, Item>;
}

const clone = <T>(v: T): T => structuredClone(v);

function compare(a: KeyValue, b: KeyValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function equal(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function evaluate(condition: Condition, item: Item | undefined): boolean {
  if ('and' in condition) return condition.and.every((c) => evaluate(c, item));
  if ('or' in condition) return condition.or.some((c) => evaluate(c, item));
  if ('not' in condition) return !evaluate(condition.not, item);
  if ('exists' in condition) return item !== undefined && item[condition.exists] !== undefined;
  if ('notExists' in condition) return item === undefined || item[condition.notExists] === undefined;
  const value = item?.[condition.attr];
  if ('beginsWith' in condition) return typeof value === 'string' && value.startsWith(condition.beginsWith);
  if (condition.op === '=') return equal(value, condition.value);
  if (condition.op === '<>') return !equal(value, condition.value);
  if (value === undefined || value === null || typeof value === 'object' || typeof value === 'boolean') return false;
  if (typeof value !== typeof condition.value) return false;
  const c = compare(value, condition.value as KeyValue);
  switch (condition.op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

export class MemoryTables implements Tables {
  private readonly tables = new Map<string, MemTable>();
  /** Number of calls per method, for tests that want to see the store was not touched. */
  readonly calls: Record<string, number> = {};

  readonly changes = {
    listShards: async () => [],
    read: async () => ({ records: [], endOfShard: true }),
  };

  private count(name: string) {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  private table(name: string): MemTable {
    const t = this.tables.get(name);
    if (!t) throw new TableValidationError(`unknown table ${name}`);
    return t;
  }

  private keyOf(t: MemTable, item: Key | Item): string {
    const pk = item[t.def.partitionKey.name];
    if (pk === undefined) throw new TableValidationError(`missing key ${t.def.partitionKey.name}`);
    const sk = t.def.sortKey ? item[t.def.sortKey.name] : '';
    if (sk === undefined) throw new TableValidationError(`missing key ${t.def.sortKey!.name}`);
    return JSON.stringify([pk, sk]);
  }

  async ensure(definitions: TableDefinition[]): Promise<void> {
    for (const def of definitions) if (!this.tables.has(def.name)) this.tables.set(def.name, { def, items: new Map() });
  }

  async get(table: string, key: Key): Promise<Item | undefined> {
    this.count('get');
    const t = this.table(table);
    const item = t.items.get(this.keyOf(t, key));
    return item && clone(item);
  }

  async batchGet(table: string, keys: Key[]): Promise<Item[]> {
    this.count('batchGet');
    const t = this.table(table);
    return keys.flatMap((k) => {
      const item = t.items.get(this.keyOf(t, k));
      return item ? [clone(item)] : [];
    });
  }

  async put(request: { table: string; item: Item; condition?: Condition }): Promise<void> {
    this.count('put');
    this.applyPut(request);
  }

  private applyPut(request: { table: string; item: Item; condition?: Condition }, check = true) {
    const t = this.table(request.table);
    const k = this.keyOf(t, request.item);
    if (check && request.condition && !evaluate(request.condition, t.items.get(k))) throw new ConditionalCheckFailedError();
    t.items.set(k, clone(request.item));
  }

  async delete(request: { table: string; key: Key; condition?: Condition }): Promise<Item | undefined> {
    this.count('delete');
    const t = this.table(request.table);
    const k = this.keyOf(t, request.key);
    const old = t.items.get(k);
    if (request.condition && !evaluate(request.condition, old)) throw new ConditionalCheckFailedError();
    t.items.delete(k);
    return old && clone(old);
  }

  async update(request: UpdateRequest): Promise<Item> {
    this.count('update');
    return this.applyUpdate(request, true);
  }

  private applyUpdate(request: UpdateRequest, check: boolean): Item {
    const t = this.table(request.table);
    const k = this.keyOf(t, request.key);
    const old = t.items.get(k);
    if (check && request.condition && !evaluate(request.condition, old)) throw new ConditionalCheckFailedError();
    const next: Item = old ? clone(old) : clone(request.key as Item);
    for (const [n, v] of Object.entries(request.set ?? {})) next[n] = clone(v);
    for (const [n, v] of Object.entries(request.setIfNotExists ?? {})) if (next[n] === undefined) next[n] = clone(v);
    for (const [n, d] of Object.entries(request.add ?? {})) next[n] = (typeof next[n] === 'number' ? (next[n] as number) : 0) + d;
    for (const n of request.remove ?? []) delete next[n];
    t.items.set(k, next);
    return clone(next);
  }

  async query(request: QueryRequest): Promise<QueryResult> {
    this.count('query');
    const t = this.table(request.table);
    let pkName = t.def.partitionKey.name;
    let skName = t.def.sortKey?.name;
    if (request.index) {
      const idx = t.def.indexes?.find((i) => i.name === request.index);
      if (!idx) throw new TableValidationError(`unknown index ${request.index}`);
      pkName = idx.partitionKey.name;
      skName = idx.sortKey?.name;
    }
    let rows = [...t.items.values()].filter((i) => i[pkName] === request.partition && (!skName || i[skName] !== undefined));
    const s = request.sort;
    if (s && skName) {
      rows = rows.filter((i) => {
        const v = i[skName!] as KeyValue;
        if (s.op === 'beginsWith') return String(v).startsWith(s.value);
        if (s.op === 'between') return compare(v, s.value) >= 0 && compare(v, s.to) <= 0;
        return evaluate({ attr: 'v', op: s.op, value: s.value }, { v });
      });
    }
    if (skName) rows.sort((a, b) => compare(a[skName!] as KeyValue, b[skName!] as KeyValue));
    if (request.forward === false) rows.reverse();
    const offset = request.cursor ? Number(Buffer.from(request.cursor, 'base64url').toString()) : 0;
    const limit = request.limit ?? Infinity;
    const page = rows.slice(offset, offset + limit);
    const more = offset + page.length < rows.length;
    const items = (request.filter ? page.filter((i) => evaluate(request.filter!, i)) : page).map(clone);
    return { items, cursor: more ? Buffer.from(String(offset + page.length)).toString('base64url') : undefined };
  }

  async scan(request: { table: string; limit?: number; cursor?: string }): Promise<QueryResult> {
    this.count('scan');
    const rows = [...this.table(request.table).items.values()];
    const offset = request.cursor ? Number(Buffer.from(request.cursor, 'base64url').toString()) : 0;
    const page = rows.slice(offset, offset + (request.limit ?? 100));
    const more = offset + page.length < rows.length;
    return { items: page.map(clone), cursor: more ? Buffer.from(String(offset + page.length)).toString('base64url') : undefined };
  }

  async transactWrite(operations: TransactOperation[]): Promise<void> {
    this.count('transactWrite');
    const reasons = operations.map((op) => {
      const [table, key, condition] =
        'put' in op
          ? [op.put.table, op.put.item, op.put.condition]
          : 'update' in op
            ? [op.update.table, op.update.key, op.update.condition]
            : 'delete' in op
              ? [op.delete.table, op.delete.key, op.delete.condition]
              : [op.conditionCheck.table, op.conditionCheck.key, op.conditionCheck.condition];
      const t = this.table(table);
      const ok = !condition || evaluate(condition, t.items.get(this.keyOf(t, key)));
      return ok ? ('None' as const) : ('ConditionalCheckFailed' as const);
    });
    if (reasons.some((r) => r !== 'None')) throw new TransactionCanceledError(reasons);
    for (const op of operations) {
      if ('put' in op) this.applyPut(op.put, false);
      else if ('update' in op) this.applyUpdate(op.update, false);
      else if ('delete' in op) {
        const t = this.table(op.delete.table);
        t.items.delete(this.keyOf(t, op.delete.key));
      }
    }
  }

  /** Every item of a table (tests inspect what was stored). */
  dump(table: string): Item[] {
    return [...this.table(table).items.values()].map(clone);
  }

  async close(): Promise<void> {}
}
