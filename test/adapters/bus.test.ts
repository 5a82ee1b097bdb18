import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/bus/memory-bus.ts';
import { RedisBus } from '../../src/adapters/bus/redis-bus.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import { busConformance } from './bus.conformance.ts';

busConformance('memory', {
  deployment() {
    const network = new MemoryBusNetwork();
    return async () => new MemoryBus(network);
  },
});

// The Redis server of this machine (127.0.0.1:6379, or BIILIVE_TEST_REDIS_URL); every deployment
// gets its own random channel prefix, so parallel runs never meet.
const url = process.env.BIILIVE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
if (!/^rediss?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) throw new Error(`refusing a non-local Redis: ${url}`);

busConformance('redis', {
  deployment() {
    const prefix = `biilive-test-${randomBytes(6).toString('hex')}`;
    return () => RedisBus.connect({ url, prefix, log: silentLogger });
  },
});

// Connecting to a port where no Redis listens fails at start-up instead of hanging.
test('RedisBus.connect rejects when Redis cannot be reached', async () => {
  await assert.rejects(
    RedisBus.connect({ url: 'redis://127.0.0.1:1', prefix: 'x', log: silentLogger }),
    (err: Error) => /ECONNREFUSED|connect/i.test(err.message),
  );
});
