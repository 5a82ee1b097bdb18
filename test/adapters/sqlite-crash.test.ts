/**
 * Crash test (SQLite's method, scaled down; the Jepsen set check): a child process does group-
 * committed writes in a loop and prints every key once its promise resolved; it is killed with
 * SIGKILL at a random moment. Reopened, the file must hold every acknowledged key and pass
 * `PRAGMA integrity_check`. (SIGKILL tests application crashes; power loss is what synchronous = FULL,
 * the child's setting, adds, and cannot be simulated here.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import type { TableDefinition } from '../../src/ports/tables.ts';

const dir = mkdtempSync(join(tmpdir(), 'biilive-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const table: TableDefinition = {
  id: 'crash',
  name: 'crash-items',
  partitionKey: { name: 'pk', type: 'S' },
  indexes: [{ name: 'GSI1', partitionKey: { name: 'g', type: 'S' } }],
  stream: true,
};
const ROUNDS = 3;
const CALLERS = 16;

/** Child: CALLERS loops of conditional puts and two-item transactions; prints each acknowledged key. */
function childScript(path: string): string {
  const module = new URL('../../src/adapters/sqlite/sqlite-tables.ts', import.meta.url).href;
  return `
    const { openSqliteTables } = await import(${JSON.stringify(module)});
    const t = openSqliteTables({ path: ${JSON.stringify(path)} });
    const table = ${JSON.stringify(table)};
    await t.ensure([table]);
    const ack = (...keys) => process.stdout.write(keys.join('\\n') + '\\n');
    const pad = 'x'.repeat(300);
    await Promise.all(Array.from({ length: ${CALLERS} }, async (_, c) => {
      for (let i = 0; ; i++) {
        const k = 'c' + c + '-' + i;
        if (i % 4 === 3) {
          await t.transactWrite([
            { put: { table: table.name, item: { pk: k + 'a', g: 'tx', pad } } },
            { put: { table: table.name, item: { pk: k + 'b', g: 'tx', pad }, condition: { notExists: 'pk' } } },
          ]);
          ack(k + 'a', k + 'b');
        } else {
          await t.put({ table: table.name, item: { pk: k, g: 'c' + c, pad }, condition: { notExists: 'pk' } });
          ack(k);
        }
      }
    }));`;
}

/** Runs the child until it acknowledged `threshold` keys, waits `delayMs`, kills it; returns the acknowledged keys. */
async function runAndKill(path: string, threshold: number, delayMs: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript(path)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let acked = 0;
  let killing = false;
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    acked += chunk.split('\n').length - 1;
    if (!killing && acked >= threshold) {
      killing = true;
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    }
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((ok) => child.on('close', (c, s) => ok([c, s])));
  clearTimeout(guard);
  assert.equal(signal, 'SIGKILL', `the child ended by itself (code ${code}) after ${acked} acknowledgements`);
  assert.ok(killing, `the child was killed by the guard after ${acked} acknowledgements`);
  // Only complete lines: the last one may have been cut by the kill.
  return out.split('\n').slice(0, -1);
}

test('SIGKILL at a random moment: every acknowledged write survives, the file is intact', async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const path = join(dir, `crash-${round}.sqlite`);
    const threshold = 50 + Math.floor(Math.random() * 400);
    const delayMs = Math.floor(Math.random() * 150);
    const acked = await runAndKill(path, threshold, delayMs);
    t.diagnostic(`round ${round}: killed ${delayMs} ms after ${threshold} acks; ${acked.length} keys acknowledged`);
    assert.ok(acked.length >= threshold);

    const raw = new Database(path);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    const stored = new Set(raw.prepare('SELECT pk FROM items WHERE tbl = ?').pluck().all(table.name) as string[]);
    const recorded = raw.prepare('SELECT count(*) FROM changes WHERE tbl = ?').pluck().get(table.name) as number;
    const indexed = raw.prepare('SELECT count(*) FROM index_items WHERE tbl = ?').pluck().get(table.name) as number;
    raw.close();
    const missing = acked.filter((k) => !stored.has(k));
    assert.deepEqual(missing, [], 'acknowledged keys missing after the crash');
    // Items, index entries and change records were committed together (every item is indexed and new).
    assert.equal(indexed, stored.size);
    assert.equal(recorded, stored.size);

    // The adapter opens the recovered file and writes on.
    const tables = openSqliteTables({ path });
    await tables.ensure([table]);
    assert.ok(await tables.get(table.name, { pk: acked[acked.length - 1] }));
    await tables.put({ table: table.name, item: { pk: 'after-crash' } });
    assert.ok(await tables.get(table.name, { pk: 'after-crash' }));
    await tables.close();
  }
});
