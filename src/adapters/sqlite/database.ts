/**
 * The SQLite file: connection settings, the generic schema and the prepared statements.
 *
 * Schema (generic, so tables need no DDL and several processes can share one file):
 * - table_defs(name, definition JSON): what `ensure` declared; read by every handle on a cache miss.
 * - items(tbl, pk, sk, data JSON) WITHOUT ROWID: one row per item; sk = '' without sort key. The key
 *   columns have no declared type (no affinity): S keys stay TEXT, compared by memcmp = UTF-8 byte
 *   order (BINARY collation), N keys stay numbers, compared numerically, as DynamoDB orders them.
 * - index_items(tbl, idx, ipk, isk, pk, sk): one row per item per secondary index it belongs to
 *   (sparse), primary key = the index order (index keys, then table keys for ties).
 * - changes(seq AUTOINCREMENT, tbl, ts, record JSON): the change log of stream tables. AUTOINCREMENT
 *   never reuses a sequence number after pruning; writers hold the write lock (BEGIN IMMEDIATE), so
 *   commit order = sequence order, across processes too.
 */
import Database from 'better-sqlite3';

type Db = Database.Database;
type Stmt = Database.Statement<unknown[], unknown>;

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS table_defs (name TEXT PRIMARY KEY, definition TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS items (
  tbl TEXT NOT NULL, pk NOT NULL, sk NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (tbl, pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_items (
  tbl TEXT NOT NULL, idx TEXT NOT NULL, ipk NOT NULL, isk NOT NULL, pk NOT NULL, sk NOT NULL,
  PRIMARY KEY (tbl, idx, ipk, isk, pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, ts INTEGER NOT NULL, record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_table ON changes (tbl, seq);
CREATE INDEX IF NOT EXISTS changes_by_time ON changes (ts);
`;

export interface DatabaseOptions {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
}

/** Opens (creating if needed) the file in WAL mode with the schema in place. */
export function openDatabase(options: DatabaseOptions): Db {
  const db = new Database(options.path, { timeout: options.busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    // Truncate the WAL back to 64 MB after checkpoints instead of keeping its high-water mark.
    db.pragma('journal_size_limit = 67108864');
    db.pragma('temp_store = MEMORY');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`${options.path} was written by a newer BiiLive (schema ${version} > ${SCHEMA_VERSION})`);
    }
    if (version < SCHEMA_VERSION) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }).immediate();
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Prepared statements, fixed ones eagerly, query shapes on first use. */
export class Statements {
  readonly getData: Stmt;
  readonly putData: Stmt;
  readonly deleteData: Stmt;
  readonly tableRows: Stmt;
  readonly insertIndex: Stmt;
  readonly deleteIndex: Stmt;
  readonly dropIndex: Stmt;
  readonly getDefinition: Stmt;
  readonly putDefinition: Stmt;
  readonly insertChange: Stmt;
  readonly readChanges: Stmt;
  readonly pruneChanges: Stmt;
  private readonly cache = new Map<string, Stmt>();

  constructor(private readonly db: Db) {
    this.getData = db.prepare('SELECT data FROM items WHERE tbl = ? AND pk = ? AND sk = ?').pluck();
    this.putData = db.prepare('INSERT OR REPLACE INTO items (tbl, pk, sk, data) VALUES (?, ?, ?, ?)');
    this.deleteData = db.prepare('DELETE FROM items WHERE tbl = ? AND pk = ? AND sk = ?');
    this.tableRows = db.prepare('SELECT pk, sk, data FROM items WHERE tbl = ?').raw();
    this.insertIndex = db.prepare('INSERT OR IGNORE INTO index_items (tbl, idx, ipk, isk, pk, sk) VALUES (?, ?, ?, ?, ?, ?)');
    this.deleteIndex = db.prepare(
      'DELETE FROM index_items WHERE tbl = ? AND idx = ? AND ipk = ? AND isk = ? AND pk = ? AND sk = ?',
    );
    this.dropIndex = db.prepare('DELETE FROM index_items WHERE tbl = ? AND idx = ?');
    this.getDefinition = db.prepare('SELECT definition FROM table_defs WHERE name = ?').pluck();
    this.putDefinition = db.prepare('INSERT OR REPLACE INTO table_defs (name, definition) VALUES (?, ?)');
    this.insertChange = db.prepare('INSERT INTO changes (tbl, ts, record) VALUES (?, ?, ?)');
    this.readChanges = db
      .prepare('SELECT seq, record FROM changes WHERE tbl = ? AND seq > ? AND ts >= ? ORDER BY seq LIMIT ?')
      .raw()
      .safeIntegers(true);
    this.pruneChanges = db.prepare('DELETE FROM changes WHERE ts < ?');
  }

  /** A statement by shape; `build` runs once per shape. */
  shape(name: string, build: () => string, raw = true): Stmt {
    let stmt = this.cache.get(name);
    if (!stmt) {
      stmt = this.db.prepare(build());
      if (raw) stmt.raw();
      this.cache.set(name, stmt);
    }
    return stmt;
  }
}
