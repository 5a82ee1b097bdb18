/**
 * Tables port: a small, DynamoDB-shaped key-value store.
 *
 * Every adapter (SQLite embedded, DynamoDB scaled out) passes the same conformance suite
 * (test/adapters/tables.conformance.ts). The semantics are DynamoDB's, restricted to what the
 * domain needs, so the DynamoDB adapter is a thin translation and the SQLite adapter an emulation.
 */

/** A stored attribute value. Numbers are JS numbers (DynamoDB N), strings S, booleans BOOL, null NULL,
 * arrays L, plain objects M. Key attributes are strings or numbers only. */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [name: string]: AttributeValue };

export type Item = Record<string, AttributeValue>;
export type KeyValue = string | number;
export type Key = Record<string, KeyValue>;

export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  name: string;
  type: KeyType;
}

export interface IndexDefinition {
  /** e.g. "GSI1". Global secondary index, projection ALL; sparse: items lacking its keys are not in it. */
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Logical name used by the domain (e.g. "users"); stable across deployments. */
  id: string;
  /** Physical table name (configurable; defaults are the seed's, e.g. "BIILIVEDB-USERS"). */
  name: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  indexes?: IndexDefinition[];
  /** When true every write is recorded in the change log (DynamoDB Streams NEW_AND_OLD_IMAGES). */
  stream?: boolean;
}

/**
 * Conditions, structured (never strings), over top-level attributes. The DynamoDB adapter renders
 * them into ConditionExpressions with placeholder names/values.
 */
export type Condition =
  | { exists: string }
  | { notExists: string }
  | { attr: string; op: '=' | '<>' | '<' | '<=' | '>' | '>='; value: AttributeValue }
  | { attr: string; beginsWith: string }
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition };

export type SortKeyCondition =
  | { op: '=' | '<' | '<=' | '>' | '>='; value: KeyValue }
  | { op: 'beginsWith'; value: string }
  | { op: 'between'; value: KeyValue; to: KeyValue };

export interface PutRequest {
  table: string;
  item: Item;
  condition?: Condition;
}

export interface DeleteRequest {
  table: string;
  key: Key;
  condition?: Condition;
}

export interface UpdateRequest {
  table: string;
  key: Key;
  /** SET name = value (top-level attributes). */
  set?: Record<string, AttributeValue>;
  /** SET name = if_not_exists(name, value). */
  setIfNotExists?: Record<string, AttributeValue>;
  /** ADD name delta (numbers; a missing attribute counts as 0). */
  add?: Record<string, number>;
  /** REMOVE name. */
  remove?: string[];
  condition?: Condition;
}

export interface ConditionCheckRequest {
  table: string;
  key: Key;
  condition: Condition;
}

export type TransactOperation =
  | { put: PutRequest }
  | { update: UpdateRequest }
  | { delete: DeleteRequest }
  | { conditionCheck: ConditionCheckRequest };

export interface QueryRequest {
  table: string;
  /** Secondary index name; omitted = the table's primary key. */
  index?: string;
  partition: KeyValue;
  sort?: SortKeyCondition;
  /** Default true (ascending sort key). */
  forward?: boolean;
  /** Maximum items returned in this page (the adapter may return fewer; a cursor means "more may exist"). */
  limit?: number;
  /** Opaque cursor from a previous page of the same query. */
  cursor?: string;
  /** Applied after the key condition, like a DynamoDB FilterExpression (a page may then hold fewer than limit). */
  filter?: Condition;
  /** Strongly consistent read (table queries only; ignored on indexes as in DynamoDB). */
  consistent?: boolean;
}

export interface QueryResult {
  items: Item[];
  /** Present when more items may follow; pass it back as `cursor`. */
  cursor?: string;
}

export interface ScanRequest {
  table: string;
  limit?: number;
  cursor?: string;
}

/** One change-log record: the DynamoDB Streams record shape, with plain (not DynamoDB-JSON) images. */
export interface ChangeRecord {
  /** Unique, increasing within a shard; compare as big integers (DynamoDB's are numeric strings). */
  sequenceNumber: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  table: string;
  keys: Key;
  oldImage?: Item;
  newImage?: Item;
  /** Epoch seconds of the write. */
  approximateCreationDateTime: number;
}

export interface Shard {
  shardId: string;
  parentShardId?: string;
  /** A closed shard receives no new records; once drained, consumers move on to its children. */
  closed: boolean;
}

export interface ReadChangesRequest {
  table: string;
  shardId: string;
  /** Read records strictly after this sequence number; omitted = from the oldest retained record. */
  after?: string;
  limit?: number;
}

export interface ReadChangesResult {
  records: ChangeRecord[];
  /** True when the shard is closed and every record has been returned. */
  endOfShard: boolean;
}

/** Change log of a stream-enabled table (DynamoDB Streams semantics: per-shard order, 24 h retention). */
export interface ChangeLog {
  listShards(table: string): Promise<Shard[]>;
  read(request: ReadChangesRequest): Promise<ReadChangesResult>;
}

export interface Tables {
  /** Creates the tables and indexes if missing (idempotent). */
  ensure(definitions: TableDefinition[]): Promise<void>;
  get(table: string, key: Key, options?: { consistent?: boolean }): Promise<Item | undefined>;
  /** Up to 100 keys of one table; missing items are simply absent from the result. Order not guaranteed. */
  batchGet(table: string, keys: Key[]): Promise<Item[]>;
  /** Throws ConditionalCheckFailedError when the condition does not hold; nothing is written then. */
  put(request: PutRequest): Promise<void>;
  /** Returns the old item if one existed. Throws ConditionalCheckFailedError as put. */
  delete(request: DeleteRequest): Promise<Item | undefined>;
  /** Creates the item if missing (upsert, like UpdateItem). Returns the item after the update. */
  update(request: UpdateRequest): Promise<Item>;
  query(request: QueryRequest): Promise<QueryResult>;
  /** Full-table pages, for maintenance jobs (recounts, rankings). */
  scan(request: ScanRequest): Promise<QueryResult>;
  /**
   * Up to 100 operations on distinct items, all or nothing. Throws TransactionCanceledError with one
   * reason per operation ('ConditionalCheckFailed' or 'None') when any condition fails.
   */
  transactWrite(operations: TransactOperation[]): Promise<void>;
  readonly changes: ChangeLog;
  close(): Promise<void>;
}

export class ConditionalCheckFailedError extends Error {
  override readonly name = 'ConditionalCheckFailedError';
  constructor(message = 'The conditional request failed') {
    super(message);
  }
}

export type CancellationReason = 'None' | 'ConditionalCheckFailed' | 'TransactionConflict' | 'ValidationError';

export class TransactionCanceledError extends Error {
  override readonly name = 'TransactionCanceledError';
  constructor(readonly reasons: CancellationReason[]) {
    super(`Transaction cancelled, reasons [${reasons.join(', ')}]`);
  }
}

/** Bad request to the store: unknown table, missing key attribute, wrong key type, bad cursor, too many items. */
export class TableValidationError extends Error {
  override readonly name = 'TableValidationError';
}

/**
 * The store could not be reached or kept failing (network, 5xx, throttling) after the adapter's
 * own retries. Nothing is known to have been written; the caller may retry later. Edges answer it
 * as a typed "service unavailable", never as a hang or a bare 500.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
