/** Presence over real SQLite: connections, several replicas sharing one store, crashes, heartbeats. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { tableDefinitions, type TableNames } from '../../src/domain/tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { PresenceService, type PresenceChange } from '../../src/domain/presence/presence-service.ts';

const TTL = 30_000;
const HEARTBEAT_TTL = 60_000;

describe('presence', () => {
  let dir: string;
  let tables: Tables;
  let names: TableNames;
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12));
  const changes: PresenceChange[] = [];
  const services: PresenceService[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'biilive-presence-'));
    tables = openSqliteTables({ path: join(dir, 'p.sqlite'), synchronous: 'NORMAL' });
    names = configSchema.parse({}).tables;
    await tables.ensure(tableDefinitions(names));
    for (const userId of ['ana', 'ben', 'cy', 'dee', 'eve', 'fay']) {
      await tables.put({ table: names.users, item: { userId, nickname: userId, isOnline: false } });
    }
  });
  after(async () => {
    for (const s of services) await s.stop();
    await tables.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function replica(id: string) {
    const s = new PresenceService({
      tables,
      tableNames: names,
      clock,
      log: silentLogger,
      replicaId: id,
      ttlMs: TTL,
      heartbeatTtlMs: HEARTBEAT_TTL,
      onChange: (c) => changes.push(c),
    });
    await s.start();
    services.push(s);
    return s;
  }
  const user = async (userId: string) => (await tables.get(names.users, { userId }))!;
  const changesOf = (userId: string) => changes.filter((c) => c.userId === userId).map((c) => c.isOnline);

  test('online from the first connection to the last; lastSeen set when the last one closes', async () => {
    const a = await replica('a1');
    a.connected('ana');
    a.connected('ana');
    await a.idle();
    assert.equal((await user('ana')).isOnline, true);
    a.disconnected('ana');
    await a.idle();
    assert.equal((await user('ana')).isOnline, true);
    clock.advance(1000);
    a.disconnected('ana');
    await a.idle();
    const after = await user('ana');
    assert.equal(after.isOnline, false);
    assert.equal(after.lastSeen, new Date(clock.now()).toISOString());
    assert.deepEqual(changesOf('ana'), [true, false]);
    assert.deepEqual(changes.at(-1), { userId: 'ana', isOnline: false, lastSeen: after.lastSeen });
  });

  test('a quick reconnect publishes nothing; a user without a profile is ignored', async () => {
    const a = await replica('a2');
    a.connected('ben');
    a.disconnected('ben');
    a.connected('ben');
    await a.idle();
    assert.deepEqual(changesOf('ben'), [true]);
    a.connected('ghost');
    await a.idle();
    assert.equal(await tables.get(names.users, { userId: 'ghost' }), undefined);
    assert.deepEqual(changesOf('ghost'), []);
  });

  test('two replicas: the user stays online until both let go', async () => {
    const a = await replica('a3');
    const b = await replica('b3');
    a.connected('cy');
    b.connected('cy');
    await Promise.all([a.idle(), b.idle()]);
    a.disconnected('cy');
    await a.idle();
    assert.equal((await user('cy')).isOnline, true);
    b.disconnected('cy');
    await b.idle();
    assert.equal((await user('cy')).isOnline, false);
    assert.deepEqual(changesOf('cy'), [true, false]);
  });

  test('a crashed replica\'s users go offline once its lease expires, unless held elsewhere', async () => {
    const crashed = await replica('crash');
    const survivor = await replica('alive');
    crashed.connected('dee');
    crashed.connected('eve');
    survivor.connected('eve');
    await Promise.all([crashed.idle(), survivor.idle()]);
    // The crashed replica stops renewing (simulated by never ticking it again).
    services.splice(services.indexOf(crashed), 1);
    clock.advance(TTL / 2);
    await survivor.tick();
    assert.equal((await user('dee')).isOnline, true, 'not yet expired');
    const lastRenewal = clock.now() - TTL / 2;
    clock.advance(TTL);
    await survivor.tick();
    assert.equal((await user('dee')).isOnline, false);
    // Last seen when the crashed replica last proved alive, not when the sweep noticed.
    assert.equal((await user('dee')).lastSeen, new Date(lastRenewal).toISOString());
    assert.equal((await user('eve')).isOnline, true);
    const leftovers = await tables.query({ table: names.system, partition: 'PRESENCE#HOLDER#crash' });
    assert.equal(leftovers.items.length, 0);
    assert.equal(await tables.get(names.system, { pk: 'PRESENCE#REPLICA', sk: 'crash' }), undefined);
  });

  test('a replica declared dead while stalled takes its users back when it renews', async () => {
    const stalled = await replica('stall');
    const other = await replica('sweeper');
    stalled.connected('fay');
    await stalled.idle();
    clock.advance(TTL * 2);
    await other.tick();
    assert.equal((await user('fay')).isOnline, false);
    await stalled.tick();
    await stalled.idle();
    assert.equal((await user('fay')).isOnline, true);
    stalled.disconnected('fay');
    await stalled.idle();
  });

  test('a heartbeat keeps a user online without a connection until it expires', async () => {
    const a = await replica('hb');
    const state = await a.heartbeat('ana');
    assert.equal(state.isOnline, true);
    assert.equal((await user('ana')).isOnline, true);
    clock.advance(HEARTBEAT_TTL / 2);
    await a.heartbeat('ana');
    clock.advance(HEARTBEAT_TTL / 2 + 1);
    await a.tick();
    assert.equal((await user('ana')).isOnline, true, 'renewed by the second heartbeat');
    // A connection outlives the heartbeat.
    a.connected('ana');
    await a.idle();
    clock.advance(HEARTBEAT_TTL);
    await a.tick();
    assert.equal((await user('ana')).isOnline, true);
    a.disconnected('ana');
    await a.idle();
    assert.equal((await user('ana')).isOnline, false);
  });

  test('stop() releases every local user, except those held elsewhere', async () => {
    const keeper = await replica('keeper');
    const a = await replica('stopper');
    keeper.connected('ben');
    a.connected('ben');
    a.connected('cy');
    await Promise.all([a.idle(), keeper.idle()]);
    await a.stop();
    assert.equal((await user('ben')).isOnline, true);
    assert.equal((await user('cy')).isOnline, false);
    assert.equal(await tables.get(names.system, { pk: 'PRESENCE#REPLICA', sk: 'stopper' }), undefined);
    assert.equal((await tables.query({ table: names.system, partition: 'PRESENCE#HOLDER#stopper' })).items.length, 0);
  });
});
