/**
 * Tables port on one SQLite file (embedded mode): a DynamoDB emulation that passes the same
 * conformance suite as the DynamoDB adapter (test/adapters/tables.conformance.ts).
 *
 * Design (details in database.ts): generic tables `items` and `index_items` keyed like DynamoDB
 * orders keys, definitions in `table_defs`, the change log in `changes`. The port is async, the work
 * is synchronous. Writes (put, delete, update, transactWrite) are validated at once, then queued and
 * group-committed (group-commit.ts): one `BEGIN IMMEDIATE ... COMMIT` per batch, each write in its own
 * savepoint, its promise settled after the COMMIT, so one fsync (synchronous FULL) serves a whole
 * batch and each write is still atomic and durable when acknowledged. The transaction never spans an
 * await, so other processes on the same file (WAL mode, busy_timeout) see each batch as atomic.
 * Reads run at once on committed data: a write is visible once its promise resolved. Items are
 * stored as JSON and every read parses a fresh copy; queued requests keep private copies (the item's
 * JSON, cloned conditions and updates), so callers never share state with the store.
 *
 * Each handle caches table definitions; a table another process creates later is loaded on first
 * use, but an index or stream added to an existing table by another process is only seen by handles
 * opened afterwards (deployments run `ensure` with the same definitions at start-up).
 */
import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../ports/clock.ts';
import {
  ConditionalCheckFailedError,
  TableValidationError,
  TransactionCanceledError,
  type CancellationReason,
  type Condition,
  type DeleteRequest,
  type Item,
  type Key,
  type KeyValue,
  type PutRequest,
  type QueryRequest,
  type QueryResult,
  type ScanRequest,
  type TableDefinition,
  type Tables,
  type TransactOperation,
  type UpdateRequest,
} from '../../ports/tables.ts';
import { SqliteChangeLog } from './changelog.ts';
import { openDatabase, Statements } from './database.ts';
import { applyUpdate, evaluateCondition, validateCondition, validateUpdate } from './expressions.ts';
import { runQuery, runScan } from './query.ts';
import {
  checkIndexKeys,
  indexEntry,
  itemKey,
  keyObject,
  readKey,
  sameKeySchema,
  tableInfo,
  validateDefinition,
  type TableInfo,
} from './schema-info.ts';
import { isPlainObject, measureItem, parseItem } from './values.ts';
import { GroupCommit } from './group-commit.ts';
import { itemOf, Writer, type Version } from './writes.ts';

export interface SqliteTablesOptions {
  /** File path, or ':memory:' (one private database per handle). */
  path: string;
  /** FULL (default): commits survive power loss. NORMAL: faster, may lose the last commits on power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Time source for change records and their 24 h retention. */
  clock?: Clock;
  /** Group commit (default true). false: one transaction per write, for comparisons (bench/sqlite-writes.ts). */
  groupCommit?: boolean;
}

const MAX_BATCH_GET = 100;
const MAX_TRANSACT = 100;
/** Group commit batch limits: enough to amortize an fsync, small enough to keep transactions and the WAL short. */
const BATCH_MAX_OPS = 256;
const BATCH_MAX_BYTES = 4 * 1024 * 1024;

export function openSqliteTables(options: SqliteTablesOptions): Tables {
  return new SqliteTables(options);
}

/** One validated write of a transaction. */
interface Plan {
  info: TableInfo;
  pk: KeyValue;
  sk: KeyValue;
  condition?: Condition;
  put?: Version;
  update?: UpdateRequest;
  delete?: true;
}

const request = <T>(value: T, what: string): T => {
  if (!isPlainObject(value)) throw new TableValidationError(`${what} needs a request object`);
  return value;
};

/** Validated, then copied: the queued write must not see later changes to the caller's object. */
function checkedCondition(condition: unknown): Condition | undefined {
  if (condition === undefined) return undefined;
  validateCondition(condition);
  return structuredClone(condition);
}

/** The definition as stored: only the port's fields, in a fixed order, so equal definitions compare equal. */
function canonical(def: TableDefinition): TableDefinition {
  const attr = (a: { name: string; type: 'S' | 'N' }) => ({ name: a.name, type: a.type });
  return {
    id: String(def.id),
    name: def.name,
    partitionKey: attr(def.partitionKey),
    ...(def.sortKey ? { sortKey: attr(def.sortKey) } : {}),
    indexes: (def.indexes ?? []).map((i) => ({
      name: i.name,
      partitionKey: attr(i.partitionKey),
      ...(i.sortKey ? { sortKey: attr(i.sortKey) } : {}),
    })),
    stream: def.stream === true,
  };
}

class SqliteTables implements Tables {
  readonly changes: SqliteChangeLog;
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly writer: Writer;
  private readonly commits: GroupCommit;
  private readonly infos = new Map<string, TableInfo>();
  // better-sqlite3 transaction wrapper, run with .immediate() (BEGIN IMMEDIATE).
  private readonly ensureTx;

  constructor(options: SqliteTablesOptions) {
    this.db = openDatabase({
      path: options.path,
      synchronous: options.synchronous ?? 'FULL',
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    });
    this.statements = new Statements(this.db);
    this.changes = new SqliteChangeLog(this.statements, options.clock ?? systemClock, (name) => {
      const info = this.table(name);
      if (!info.stream) throw new TableValidationError(`Table ${info.name} has no stream`);
      return info;
    });
    this.writer = new Writer(this.statements, this.changes);
    this.commits = new GroupCommit(this.db, {
      enabled: options.groupCommit ?? true,
      maxOps: BATCH_MAX_OPS,
      maxBytes: BATCH_MAX_BYTES,
      bytesWritten: () => this.writer.written,
    });
    this.ensureTx = this.db.transaction((defs: TableDefinition[]) => this.ensureWork(defs));
  }

  private table(name: unknown): TableInfo {
    if (typeof name !== 'string') throw new TableValidationError('A table name is required');
    let info = this.infos.get(name);
    if (!info) {
      const json = this.statements.getDefinition.get(name) as string | undefined;
      if (json === undefined) throw new TableValidationError(`Requested resource not found: table ${name}`);
      info = tableInfo(JSON.parse(json) as TableDefinition);
      this.infos.set(name, info);
    }
    return info;
  }

  async ensure(definitions: TableDefinition[]): Promise<void> {
    if (!Array.isArray(definitions)) throw new TableValidationError('ensure needs a list of table definitions');
    const names = new Set<string>();
    for (const def of definitions) {
      validateDefinition(def);
      if (names.has(def.name)) throw new TableValidationError(`Table ${def.name} defined twice`);
      names.add(def.name);
    }
    const defs = definitions.map(canonical);
    // Writes queued before ensure are planned against the old definitions: commit them first.
    this.commits.drain();
    this.ensureTx.immediate(defs);
    for (const def of defs) this.infos.set(def.name, tableInfo(def));
  }

  /** Creates or updates definitions; a new or changed index is built from the existing items. */
  private ensureWork(defs: TableDefinition[]): void {
    const s = this.statements;
    for (const def of defs) {
      const json = JSON.stringify(def);
      const storedJson = s.getDefinition.get(def.name) as string | undefined;
      if (storedJson === json) continue;
      if (storedJson !== undefined) {
        const stored = JSON.parse(storedJson) as TableDefinition;
        if (!sameKeySchema(stored, def)) throw new TableValidationError(`Table ${def.name} exists with another key schema`);
        const before = new Map((stored.indexes ?? []).map((i) => [i.name, JSON.stringify(i)]));
        const fresh = (def.indexes ?? []).filter((i) => before.get(i.name) !== JSON.stringify(i));
        for (const name of before.keys()) {
          if (!def.indexes?.some((i) => i.name === name) || fresh.some((i) => i.name === name)) s.dropIndex.run(def.name, name);
        }
        if (fresh.length > 0) {
          for (const [pk, sk, data] of s.tableRows.all(def.name) as [KeyValue, KeyValue, string][]) {
            const item = parseItem(data);
            for (const idx of fresh) {
              let entry: [KeyValue, KeyValue] | undefined;
              try {
                entry = indexEntry(idx, item);
              } catch {
                continue; // an index key of another type: DynamoDB leaves such items out of the index
              }
              if (entry) s.insertIndex.run(def.name, idx.name, entry[0], entry[1], pk, sk);
            }
          }
        }
      }
      s.putDefinition.run(def.name, json);
    }
  }

  async get(table: string, key: Key): Promise<Item | undefined> {
    const info = this.table(table);
    const [pk, sk] = readKey(info, key);
    const json = this.statements.getData.get(info.name, pk, sk) as string | undefined;
    return json === undefined ? undefined : parseItem(json);
  }

  async batchGet(table: string, keys: Key[]): Promise<Item[]> {
    const info = this.table(table);
    if (!Array.isArray(keys)) throw new TableValidationError('batchGet needs a list of keys');
    if (keys.length > MAX_BATCH_GET) throw new TableValidationError(`batchGet takes at most ${MAX_BATCH_GET} keys`);
    const seen = new Set<string>();
    const parsed = keys.map((key) => {
      const k = readKey(info, key);
      const id = JSON.stringify(k);
      if (seen.has(id)) throw new TableValidationError('Provided list of item keys contains duplicates');
      seen.add(id);
      return k;
    });
    const items: Item[] = [];
    for (const [pk, sk] of parsed) {
      const json = this.statements.getData.get(info.name, pk, sk) as string | undefined;
      if (json !== undefined) items.push(parseItem(json));
    }
    return items;
  }

  async put(req: PutRequest): Promise<void> {
    const plan = this.planPut(request(req, 'put'));
    return this.commits.run(() => this.putWork(plan));
  }

  private putWork(plan: Plan): void {
    const old = this.writer.current(plan.info, plan.pk, plan.sk);
    this.check(plan.condition, old);
    this.writer.write(plan.info, plan.pk, plan.sk, old, plan.put);
  }

  async delete(req: DeleteRequest): Promise<Item | undefined> {
    const plan = this.planDelete(request(req, 'delete'));
    return this.commits.run(() => this.deleteWork(plan));
  }

  private deleteWork(plan: Plan): Item | undefined {
    const old = this.writer.current(plan.info, plan.pk, plan.sk);
    this.check(plan.condition, old);
    this.writer.write(plan.info, plan.pk, plan.sk, old, undefined);
    return old && itemOf(old);
  }

  async update(req: UpdateRequest): Promise<Item> {
    const plan = this.planUpdate(request(req, 'update'));
    return parseItem(await this.commits.run(() => this.updateWork(plan)));
  }

  private updateWork(plan: Plan): string {
    const old = this.writer.current(plan.info, plan.pk, plan.sk);
    this.check(plan.condition, old);
    const next = this.updated(plan, old);
    this.writer.write(plan.info, plan.pk, plan.sk, old, next);
    return next.json;
  }

  async query(req: QueryRequest): Promise<QueryResult> {
    return runQuery(this.statements, this.table(request(req, 'query').table), req);
  }

  async scan(req: ScanRequest): Promise<QueryResult> {
    return runScan(this.statements, this.table(request(req, 'scan').table), req);
  }

  async transactWrite(operations: TransactOperation[]): Promise<void> {
    if (!Array.isArray(operations)) throw new TableValidationError('transactWrite needs a list of operations');
    if (operations.length > MAX_TRANSACT) throw new TableValidationError(`transactWrite takes at most ${MAX_TRANSACT} operations`);
    const seen = new Set<string>();
    const plans = operations.map((op) => {
      const plan = this.planOperation(op);
      const id = JSON.stringify([plan.info.name, plan.pk, plan.sk]);
      if (seen.has(id)) {
        throw new TableValidationError('Transaction request cannot include multiple operations on one item');
      }
      seen.add(id);
      return plan;
    });
    if (plans.length > 0) await this.commits.run(() => this.transactWork(plans));
  }

  /** All conditions are checked against the state before the transaction; then all writes happen. */
  private transactWork(plans: Plan[]): void {
    const reasons: CancellationReason[] = [];
    const olds: (Version | undefined)[] = [];
    const nexts: (Version | undefined)[] = [];
    for (const plan of plans) {
      const old = this.writer.current(plan.info, plan.pk, plan.sk);
      let next = plan.put;
      let reason: CancellationReason = 'None';
      if (plan.condition && !evaluateCondition(plan.condition, old && itemOf(old))) reason = 'ConditionalCheckFailed';
      else if (plan.update) {
        try {
          next = this.updated(plan, old);
        } catch (err) {
          if (!(err instanceof TableValidationError)) throw err;
          reason = 'ValidationError';
        }
      }
      olds.push(old);
      nexts.push(next);
      reasons.push(reason);
    }
    if (reasons.some((r) => r !== 'None')) throw new TransactionCanceledError(reasons);
    plans.forEach((plan, i) => {
      if (plan.put || plan.update || plan.delete) this.writer.write(plan.info, plan.pk, plan.sk, olds[i], nexts[i]);
    });
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    const settled = this.commits.close();
    this.db.close();
    await settled;
  }

  private check(condition: Condition | undefined, old: Version | undefined): void {
    if (condition && !evaluateCondition(condition, old && itemOf(old))) throw new ConditionalCheckFailedError();
  }

  /** The item after an update (validated: size, index key types); throws TableValidationError. */
  private updated(plan: Plan, old: Version | undefined): Version {
    const item = applyUpdate(old && itemOf(old), keyObject(plan.info, plan.pk, plan.sk), plan.update!);
    measureItem(item);
    checkIndexKeys(plan.info, item);
    return { json: JSON.stringify(item), parsed: item };
  }

  private planPut(req: PutRequest): Plan {
    const info = this.table(req.table);
    measureItem(req.item);
    const [pk, sk] = itemKey(info, req.item);
    checkIndexKeys(info, req.item);
    // Serialized now: what is stored no longer depends on the caller's object, which is not kept
    // (the write runs later); index entries and stream comparisons parse the JSON when they need it.
    const json = JSON.stringify(req.item);
    return { info, pk, sk, condition: checkedCondition(req.condition), put: { json } };
  }

  private planDelete(req: DeleteRequest): Plan {
    const info = this.table(req.table);
    const [pk, sk] = readKey(info, req.key);
    return { info, pk, sk, condition: checkedCondition(req.condition), delete: true };
  }

  private planUpdate(req: UpdateRequest): Plan {
    const info = this.table(req.table);
    const [pk, sk] = readKey(info, req.key);
    validateUpdate(info, req);
    const { set, setIfNotExists, add, remove } = req;
    const update: UpdateRequest = { table: info.name, key: req.key, ...structuredClone({ set, setIfNotExists, add, remove }) };
    return { info, pk, sk, condition: checkedCondition(req.condition), update };
  }

  private planOperation(op: TransactOperation): Plan {
    if (!isPlainObject(op)) throw new TableValidationError('Each transaction operation must be an object');
    const kinds = Object.keys(op).filter((k) => (op as Record<string, unknown>)[k] !== undefined);
    if (kinds.length !== 1) throw new TableValidationError('Each transaction operation holds exactly one of put, update, delete, conditionCheck');
    if ('put' in op) return this.planPut(request(op.put, 'put'));
    if ('update' in op) return this.planUpdate(request(op.update, 'update'));
    if ('delete' in op) return this.planDelete(request(op.delete, 'delete'));
    if ('conditionCheck' in op) {
      const req = request(op.conditionCheck, 'conditionCheck');
      const info = this.table(req.table);
      const [pk, sk] = readKey(info, req.key);
      if (req.condition === undefined) throw new TableValidationError('conditionCheck needs a condition');
      return { info, pk, sk, condition: checkedCondition(req.condition) };
    }
    throw new TableValidationError(`Unknown transaction operation ${kinds[0]}`);
  }
}
