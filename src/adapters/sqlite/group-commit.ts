/**
 * Group commit: many writes, one durable commit.
 *
 * With synchronous = FULL every COMMIT costs one WAL fsync, and better-sqlite3 is synchronous, so
 * one transaction per write caps a process at one write per fsync. Instead, writes are queued
 * (FIFO) and a flush, scheduled with setImmediate when the first write of a batch arrives, runs up
 * to `maxOps` of them (or until `maxBytes` were written) in ONE `BEGIN IMMEDIATE ... COMMIT`:
 * - each write runs inside its own SAVEPOINT: when it throws (failed condition, validation, SQLite
 *   error) only its changes are rolled back and only its promise is rejected;
 * - later writes of the batch see earlier ones, exactly as if they had run one after another;
 * - promises are settled only after COMMIT returned, so an acknowledged write is as durable as the
 *   synchronous setting makes a commit; when BEGIN or COMMIT fails (or SQLite dropped the
 *   transaction), every write of the batch is rejected and nothing of it is stored;
 * - a write that failed on its own is told one event-loop turn after the commit (fairness, see
 *   flush); successes are told at once;
 * - the transaction never spans an await or a timer: a flush is one synchronous call.
 * Works are synchronous functions that only touch this connection.
 */
import type Database from 'better-sqlite3';

export interface GroupCommitOptions {
  /** false: each write is its own transaction, run at once (the behaviour before group commit). */
  enabled: boolean;
  /** Most writes in one transaction. */
  maxOps: number;
  /** A batch takes no further write once this many bytes were written in it. */
  maxBytes: number;
  /** Bytes written so far on this connection (a growing counter), for the byte budget. */
  bytesWritten: () => number;
}

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  private queue: Pending[] = [];
  private head = 0;
  private scheduled = false;
  private closed = false;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  private readonly savepoint;
  private readonly release;
  private readonly rollbackTo;

  constructor(
    private readonly db: Database.Database,
    private readonly options: GroupCommitOptions,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT write_op');
    this.release = db.prepare('RELEASE write_op');
    this.rollbackTo = db.prepare('ROLLBACK TO write_op');
  }

  /** Queues one write; resolves with its result once the transaction holding it committed. */
  run<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new TypeError('The database connection is not open'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.options.enabled) this.schedule();
      else this.flush();
    });
  }

  /** Commits everything queued, now (before ensure changes definitions, and on close). */
  drain(): void {
    while (this.pending() > 0) this.flush();
  }

  /**
   * Drains, then refuses further writes. Resolves one turn later, once the failures told late (see
   * flush) were delivered too: when close resolves, every write has its answer.
   */
  close(): Promise<void> {
    this.drain();
    this.closed = true;
    return new Promise((ok) => setImmediate(ok));
  }

  private pending(): number {
    return this.queue.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
      if (this.pending() > 0) this.schedule();
    });
  }

  /** Rolls back the current write only; false when the whole transaction is gone. */
  private undo(): boolean {
    // Some errors (I/O, disk full, ...) make SQLite roll the whole transaction back by itself.
    if (!this.db.inTransaction) return false;
    try {
      this.rollbackTo.run();
      this.release.run();
      return true;
    } catch {
      this.abort();
      return false;
    }
  }

  private abort(): void {
    try {
      if (this.db.inTransaction) this.rollback.run();
    } catch {
      // The batch is rejected either way; the next flush retries the rollback before its BEGIN.
    }
  }

  private take(): Pending | undefined {
    if (this.head >= this.queue.length) return undefined;
    const op = this.queue[this.head];
    // Drop the slot's reference now: a long burst must not keep every settled write alive.
    this.queue[this.head++] = undefined as unknown as Pending;
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return op;
  }

  /** One transaction over the next batch; settles every write of it. */
  private flush(): void {
    if (this.pending() === 0) return;
    const batch: Pending[] = [];
    const outcomes: Outcome[] = [];
    if (this.db.inTransaction) this.abort();
    try {
      this.begin.run();
    } catch (error) {
      for (let i = 0; i < this.options.maxOps; i++) this.take()?.reject(error);
      return;
    }
    const budget = this.options.bytesWritten() + this.options.maxBytes;
    let lost: { error: unknown } | undefined;
    while (batch.length < this.options.maxOps && this.options.bytesWritten() < budget) {
      const op = this.take();
      if (!op) break;
      batch.push(op);
      try {
        this.savepoint.run();
        const value = op.work();
        this.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        outcomes.push({ ok: false, error });
        if (!this.undo()) {
          lost = { error };
          break;
        }
      }
    }
    if (!lost) {
      try {
        this.commit.run();
      } catch (error) {
        lost = { error };
        this.abort();
      }
    }
    if (lost) {
      for (const op of batch) op.reject(lost.error);
      return;
    }
    const failed: [Pending, unknown][] = [];
    batch.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) op.resolve(outcome.value);
      else failed.push([op, outcome.error]);
    });
    if (failed.length === 0) return;
    const rejectAll = () => {
      for (const [op, error] of failed) op.reject(error);
    };
    // Fairness under contention: a write that lost (typically its condition) learns it one turn
    // later, so its immediate retry queues behind the writes that arrived in the meantime. Told at
    // once, immediate retriers would win every batch and callers that back off could starve.
    if (this.options.enabled) setImmediate(rejectAll);
    else rejectAll();
  }
}
