/**
 * Fixture for the social, counters and chat tests: a real SQLite store in a temp file with the
 * project's table definitions, builders for users, and the services wired as app.ts would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { ChatService } from '../../src/domain/chat/chat-service.ts';
import { SocialService } from '../../src/domain/social/social-service.ts';
import { tableDefinitions, type TableNames } from '../../src/domain/tables.ts';
import type { FaultInjector } from '../../src/functions/batch-ledger.ts';
import type { StreamConsumer } from '../../src/functions/stream-consumer.ts';
import { createCountersConsumer } from '../../src/functions/update-user-counters/embedded.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { randomIds } from '../../src/ports/ids.ts';
import type { Item, Tables } from '../../src/ports/tables.ts';

export const config = configSchema.parse({});
export const limits = config.limits;

export const build = {
  user(overrides: Partial<Item> & { userId: string }): Item {
    const now = '2026-01-01T00:00:00.000Z';
    return {
      nickname: `nick_${overrides.userId.replace(/[^a-z0-9]/gi, '').slice(0, 20)}`,
      seguidores: 0,
      siguiendo: 0,
      puntos: 0,
      nivel: 1,
      isOnline: false,
      createdAt: now,
      updatedAt: now,
      ...overrides,
    };
  },
};

export interface SocialFixture {
  tables: Tables;
  names: TableNames;
  clock: ManualClock;
  social: SocialService;
  chat: ChatService;
  /** Creates profiles u0..u{n-1} with the given prefix; returns their ids. */
  users(n: number, prefix?: string): Promise<string[]>;
  consumer(options?: { faultInjector?: FaultInjector; batchSize?: number; tables?: Tables }): StreamConsumer;
  close(): Promise<void>;
}

export async function openSocialFixture(options: { clock?: ManualClock } = {}): Promise<SocialFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
  // NORMAL: these tests exercise logic, not power-loss durability; it keeps them fast.
  const tables = openSqliteTables({ path: join(dir, 'test.sqlite'), synchronous: 'NORMAL', clock });
  const names = config.tables;
  await tables.ensure(tableDefinitions(names));
  const social = new SocialService({ tables, tableNames: names, clock, limits });
  const chat = new ChatService({ tables, tableNames: names, clock, ids: randomIds, limits });
  return {
    tables,
    names,
    clock,
    social,
    chat,
    async users(n, prefix = 'user') {
      const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
      for (let i = 0; i < ids.length; i += 100) {
        await tables.transactWrite(ids.slice(i, i + 100).map((userId) => ({ put: { table: names.users, item: build.user({ userId }) } })));
      }
      return ids;
    },
    consumer(opts = {}) {
      return createCountersConsumer({ tables: opts.tables ?? tables, tableNames: names, idleMs: 5, ...opts });
    },
    async close() {
      await tables.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads every item of a partition (raw, as stored). */
export async function rawPartition(tables: Tables, table: string, partition: string, index?: string): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await tables.query({ table, index, partition, cursor, limit: 1000 });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** Deterministic PRNG (mulberry32) so a failing property run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The same store, but every call first yields to the event loop, as a networked store (DynamoDB)
 * would: lets concurrent jobs in one process truly interleave between their reads and writes.
 */
export function yielding(tables: Tables): Tables {
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return new Proxy(tables, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'changes') return yielding(value as never);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        await tick();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
