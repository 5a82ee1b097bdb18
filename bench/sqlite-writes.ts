/**
 * Write throughput of the SQLite Tables adapter: conditional puts (notExists, distinct keys, ~200 B
 * items) from N concurrent async callers through the adapter, with group commit off ("before": one
 * BEGIN IMMEDIATE ... COMMIT per write) and on ("after": one commit per batch), for synchronous FULL
 * and NORMAL. Baseline in the same run: raw better-sqlite3, one single-statement INSERT per
 * transaction, same synchronous setting. Files live under the OS temp dir (or BENCH_DIR): put it
 * on the disk the server would use, as fsync cost is the point.
 * fsync latency on shared disks is noisy, so every cell runs `repeats` times, interleaved (before
 * and after alternate which goes first), and the median is reported, with the process CPU per
 * write (overhead, less sensitive to other load on the host).
 * The "before" figures use the adapter's `groupCommit: false` option (kept for this comparison).
 * Prints one JSON object.   node --import tsx bench/sqlite-writes.ts [seconds per cell] [N,N,...] [repeats]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteTables } from '../src/adapters/sqlite/sqlite-tables.ts';
import type { TableDefinition } from '../src/ports/tables.ts';

type Sync = 'FULL' | 'NORMAL';

const seconds = Number(process.argv[2] ?? 1.5);
const callers = (process.argv[3] ?? '1,8,64').split(',').map(Number);
const repeats = Number(process.argv[4] ?? 3);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'biilive-bench-'));
const payload = 'x'.repeat(200);
const table: TableDefinition = { id: 'bench', name: 'bench-items', partitionKey: { name: 'id', type: 'S' } };
let files = 0;
const freshFile = () => join(dir, `db-${files++}.sqlite`);
/** Each cell's file is removed after it, so earlier cells' dirty pages weigh less on later ones. */
const removeFile = (path: string) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
};
const round = (n: number) => Math.round(n * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Raw better-sqlite3: BEGIN IMMEDIATE; INSERT; COMMIT per write, as fast as the disk allows. */
function baseline(synchronous: Sync): number {
  const path = freshFile();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  const tx = db.transaction((k: string) => insert.run(k, payload));
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) tx.immediate(`k${n++}`);
  const rate = n / ((performance.now() - start) / 1000);
  db.close();
  removeFile(path);
  return rate;
}

interface Cell {
  opsPerSec: number;
  /** Process CPU (user + system) per write: overhead, less sensitive to other load on the host. */
  cpuUsPerOp: number;
}

/** N async callers, each looping conditional puts until the time is up. */
async function adapter(synchronous: Sync, groupCommit: boolean, n: number): Promise<Cell> {
  const path = freshFile();
  const tables = openSqliteTables({ path, synchronous, groupCommit });
  await tables.ensure([table]);
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  const cpu = process.cpuUsage();
  let done = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        await tables.put({ table: table.name, item: { id: `c${c}-${i}`, v: payload }, condition: { notExists: 'id' } });
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - start) / 1000);
  const used = process.cpuUsage(cpu);
  await tables.close();
  removeFile(path);
  return { opsPerSec: rate, cpuUsPerOp: (used.user + used.system) / done };
}

const results: Record<string, unknown> = {};
try {
  for (const synchronous of ['FULL', 'NORMAL'] as const) {
    const raw: number[] = [];
    const before = new Map<number, Cell[]>(callers.map((n) => [n, []]));
    const after = new Map<number, Cell[]>(callers.map((n) => [n, []]));
    for (let r = 0; r < repeats; r++) {
      raw.push(baseline(synchronous));
      for (const n of callers) {
        // Alternate which mode runs first, so order effects cancel out in the median.
        for (const groupCommit of r % 2 ? [true, false] : [false, true]) {
          (groupCommit ? after : before).get(n)!.push(await adapter(synchronous, groupCommit, n));
        }
      }
    }
    const base = median(raw);
    const rows: Record<string, unknown> = {};
    for (const n of callers) {
      const b = median(before.get(n)!.map((c) => c.opsPerSec));
      const a = median(after.get(n)!.map((c) => c.opsPerSec));
      rows[`callers_${n}`] = {
        beforeOpsPerSec: round(b),
        afterOpsPerSec: round(a),
        beforeCpuUsPerOp: round(median(before.get(n)!.map((c) => c.cpuUsPerOp))),
        afterCpuUsPerOp: round(median(after.get(n)!.map((c) => c.cpuUsPerOp))),
        afterOverBefore: round(a / b),
        beforeOverBaseline: round(b / base),
        afterOverBaseline: round(a / base),
      };
    }
    results[synchronous] = { baselineRawInsertOpsPerSec: round(base), ...rows };
  }
  console.log(JSON.stringify({ secondsPerCell: seconds, repeats, callers, dir: process.env.BENCH_DIR ?? tmpdir(), results }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
