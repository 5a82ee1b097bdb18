import Database from 'better-sqlite3';

/** An exclusive lock held by this process until `release()` or its death. */
export interface FileLock {
  release(): void;
}

/**
 * Takes SQLite's own exclusive lock on `path` (a small lock database), or returns undefined when
 * another process (or another connection of this one) holds it. The operating system drops the
 * lock with the holder, so a crashed (kill -9) holder never leaves a stale lock behind, and no
 * timer or lease is involved. The file is created 0600.
 */
export function tryExclusiveLock(path: string): FileLock | undefined {
  const db = new Database(path, { timeout: 0 });
  try {
    // In EXCLUSIVE locking mode the lock taken by the first write is kept until the connection closes.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
