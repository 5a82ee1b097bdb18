import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/ports/clock.ts';
import { Lockout } from '../../src/domain/identity/lockout.ts';
import { Codes } from '../../src/domain/identity/codes.ts';
import { MemoryTables } from '../support/memory-tables.ts';
import { rejectsWith } from '../support/identity-fixture.ts';

const TABLE = 'BIILIVE-IDENTITY';

async function setup() {
  const tables = new MemoryTables();
  await tables.ensure([{ id: 'identity', name: TABLE, partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } }]);
  const clock = new ManualClock();
  return { tables, clock };
}

describe('lockout (manual clock)', () => {
  const policy = { threshold: 5, maxSeconds: 900, idleResetMs: 15 * 60_000 };

  async function failing() {
    const { tables, clock } = await setup();
    const lockout = new Lockout({ tables, table: TABLE, clock, policy });
    const fail = () => lockout.recordFailure('alice');
    const locked = async () => lockout.isLocked(await lockout.state('alice'));
    return { lockout, clock, fail, locked };
  }

  test('four failures do not lock; the fifth locks for 1 s, the sixth for 2 s', async () => {
    const { clock, fail, locked } = await failing();
    for (let i = 0; i < 4; i++) await fail();
    assert.equal(await locked(), false);
    await fail();
    assert.equal(await locked(), true);
    clock.advance(999);
    assert.equal(await locked(), true);
    clock.advance(1);
    assert.equal(await locked(), false);
    await fail();
    clock.advance(1999);
    assert.equal(await locked(), true);
    clock.advance(1);
    assert.equal(await locked(), false);
  });

  test('attempts during a lock are not counted and do not lengthen it', async () => {
    const { lockout, clock, fail, locked } = await failing();
    for (let i = 0; i < 5; i++) await fail();
    const before = await lockout.state('alice');
    // A caller that sees the lock refuses without recording anything, whatever the password.
    for (let i = 0; i < 10; i++) assert.equal(await locked(), true);
    assert.deepEqual(await lockout.state('alice'), before);
    clock.advance(1000);
    assert.equal(await locked(), false);
  });

  test('parallel failures all count (no lost updates when the counter starts)', async () => {
    const { lockout, clock, fail } = await failing();
    await Promise.all(Array.from({ length: 10 }, () => fail()));
    assert.equal((await lockout.state('alice'))?.failures, 10);
    clock.advance(15 * 60_000 + 32_000);
    await Promise.all(Array.from({ length: 3 }, () => fail()));
    assert.equal((await lockout.state('alice'))?.failures, 3, 'a stale counter restarts once, then adds');
  });

  test('the lock is capped at lockoutMaxSeconds', async () => {
    const { clock, fail, locked } = await failing();
    for (let i = 0; i < 20; i++) {
      await fail();
      clock.advance(900_000 - 1); // just short of the 15-minute idle reset
    }
    // 20 failures would mean 2^15 s uncapped; the cap keeps it at 900 s.
    await fail();
    clock.advance(899_999);
    assert.equal(await locked(), true);
    clock.advance(1);
    assert.equal(await locked(), false);
  });

  test('15 minutes without attempts resets the counter', async () => {
    const { lockout, clock, fail, locked } = await failing();
    for (let i = 0; i < 4; i++) await fail();
    clock.advance(15 * 60_000);
    assert.equal(await lockout.state('alice'), undefined);
    await fail();
    assert.equal(await locked(), false, 'the counter started over at 1');
  });

  test('a success once unlocked resets the counter', async () => {
    const { lockout, clock, fail, locked } = await failing();
    for (let i = 0; i < 5; i++) await fail();
    clock.advance(1000);
    await lockout.reset('alice', await lockout.state('alice'));
    for (let i = 0; i < 4; i++) await fail();
    assert.equal(await locked(), false);
  });
});

describe('one-time codes (manual clock)', () => {
  async function codes(options: { maxAttempts?: number; maxSends?: number } = {}) {
    const { tables, clock } = await setup();
    const c = new Codes({ tables, table: TABLE, clock, sealKey: randomBytes(32), outbox: true, validityMs: 24 * 3_600_000, ...options });
    return { c, tables, clock };
  }
  const owner = { username: 'Alice', sub: 'sub-1' };

  test('6 digits; the right code passes until consumed; stored only hashed and sealed', async () => {
    const { c, tables } = await codes();
    const code = await c.issue('alice', 'sign_up', owner);
    assert.match(code, /^\d{6}$/);
    assert.ok(!JSON.stringify(tables.dump(TABLE)).includes(code), 'code is not stored in clear');
    await c.check('alice', 'sign_up', 'sub-1', code);
    await c.consume('alice', 'sign_up');
    await rejectsWith(c.check('alice', 'sign_up', 'sub-1', code), 'ExpiredCodeException');
  });

  test('wrong code: CodeMismatchException; after 5 wrong tries even the right one is refused until a new code', async () => {
    const { c } = await codes();
    const code = await c.issue('alice', 'sign_up', owner);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) {
      await rejectsWith(c.check('alice', 'sign_up', 'sub-1', wrong), 'CodeMismatchException', 'Invalid verification code provided, please try again.');
    }
    await rejectsWith(c.check('alice', 'sign_up', 'sub-1', code), 'LimitExceededException', 'Attempt limit exceeded, please try after some time.');
    const fresh = await c.issue('alice', 'sign_up', owner);
    await c.check('alice', 'sign_up', 'sub-1', fresh);
  });

  test('codes expire after the configured validity', async () => {
    const { c, clock } = await codes();
    const code = await c.issue('alice', 'forgot_password', owner);
    clock.advance(24 * 3_600_000 - 1);
    await c.check('alice', 'forgot_password', 'sub-1', code);
    clock.advance(1);
    await rejectsWith(c.check('alice', 'forgot_password', 'sub-1', code), 'ExpiredCodeException', 'Invalid code provided, please request a code again.');
  });

  test('a code is bound to its purpose and to the user (sub) it was issued to', async () => {
    const { c } = await codes();
    const code = await c.issue('alice', 'sign_up', owner);
    await rejectsWith(c.check('alice', 'forgot_password', 'sub-1', code), 'ExpiredCodeException');
    await rejectsWith(c.check('alice', 'sign_up', 'sub-2', code), 'ExpiredCodeException');
  });

  test('sends are throttled per username and purpose, for unknown users alike', async () => {
    const { c, clock } = await codes({ maxSends: 3 });
    for (let i = 0; i < 3; i++) await c.issue('alice', 'sign_up', owner);
    await rejectsWith(c.issue('alice', 'sign_up', owner), 'LimitExceededException');
    for (let i = 0; i < 3; i++) await c.simulateSend('ghost', 'forgot_password');
    await rejectsWith(c.simulateSend('ghost', 'forgot_password'), 'LimitExceededException');
    clock.advance(3_600_000);
    await c.issue('alice', 'sign_up', owner);
  });

  test('pending() shows unexpired codes to the operator', async () => {
    const { c, clock } = await codes();
    const a = await c.issue('alice', 'sign_up', owner);
    await c.simulateSend('ghost', 'sign_up');
    const pending = await c.pending();
    assert.deepEqual(pending, [{ username: 'Alice', purpose: 'sign_up', code: a, expiresAt: new Date(clock.now() + 24 * 3_600_000).toISOString() }]);
    clock.advance(24 * 3_600_000);
    assert.deepEqual(await c.pending(), []);
  });
});
