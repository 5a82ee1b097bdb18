/**
 * Fixture for the social, counters and chat suites. Each suite is a function of a Store, run on
 * real SQLite (test/unit/*.test.ts) and on DynamoDB Local (test/adapters/*-dynamodb.test.ts):
 * the project's tables, builders for users, the services wired as app.ts would, and helpers that
 * hide what differs between the two (shard ids, stream lag).
 */
import { realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before } from 'node:test';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { ChatService } from '../../src/domain/chat/chat-service.ts';
import { SocialService } from '../../src/domain/social/social-service.ts';
import { tableDefinitions, type TableNames } from '../../src/domain/tables.ts';
import type { StreamConsumer } from '../../src/functions/stream-consumer.ts';
import { counterBacklog } from '../../src/functions/update-user-counters/backlog.ts';
import { createCountersConsumer, type CountersConsumerOptions } from '../../src/runtime/counters-consumer.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { randomIds } from '../../src/ports/ids.ts';
import { TableValidationError, type ChangeLog, type ChangeRecord, type Item, type Key, type Shard, type Tables } from '../../src/ports/tables.ts';

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

/** Where a suite's tables live. Every open() is a fresh, empty set of the project's tables. */
export interface Store {
  name: string;
  open(clock: ManualClock): Promise<OpenedStore>;
}

export interface OpenedStore {
  tables: Tables;
  /** Another client on the same data, as a second replica has (SQLite: the same store). */
  replica(): Promise<Tables>;
  close(): Promise<void>;
}

export const sqliteStore: Store = {
  name: 'sqlite',
  async open(clock) {
    const dir = await mkdtemp(join(tmpdir(), 'biilive-'));
    // NORMAL: these tests exercise logic, not power-loss durability; it keeps them fast.
    const tables = openSqliteTables({ path: join(dir, 'test.sqlite'), synchronous: 'NORMAL', clock });
    await tables.ensure(tableDefinitions(config.tables));
    return {
      tables,
      replica: async () => tables,
      async close() {
        await tables.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

/**
 * DynamoDB Local for the whole test file (started in a top-level before hook, stopped after);
 * every open() gets its own table prefix. The adapter is imported lazily, so SQLite runs never
 * load the AWS SDK.
 */
export function dynamoStoreForFile(): Store {
  let local: { endpoint: string; stop(): Promise<void> } | undefined;
  let opened = 0;
  before(async () => {
    const { startDynamoLocal } = await import('../support/dynamodb-local.ts');
    local = await startDynamoLocal();
  });
  after(async () => {
    await local?.stop();
  });
  return {
    name: 'dynamodb local',
    async open() {
      if (!local) throw new Error('DynamoDB Local is not running');
      const { createDynamoTables } = await import('../../src/adapters/dynamodb/dynamodb-tables.ts');
      const { localClientOptions } = await import('../support/dynamodb-local.ts');
      const options = { ...localClientOptions(local.endpoint), tablePrefix: `f${++opened}-` };
      const tables = createDynamoTables(options);
      await tables.ensure(tableDefinitions(config.tables));
      const clients: Tables[] = [tables];
      return {
        tables,
        async replica() {
          const other = createDynamoTables(options);
          clients.push(other);
          return other;
        },
        async close() {
          await Promise.all(clients.map((c) => c.close()));
        },
      };
    },
  };
}

/** True when `url` (import.meta.url) is the file node was started with: suites register their own store only then. */
export function isEntry(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(realpathSync(resolve(entry))).href === url;
}

export interface SocialFixture {
  store: Store;
  tables: Tables;
  names: TableNames;
  clock: ManualClock;
  social: SocialService;
  chat: ChatService;
  /** Creates profiles u0..u{n-1} with the given prefix; returns their ids. */
  users(n: number, prefix?: string): Promise<string[]>;
  consumer(options?: Partial<CountersConsumerOptions>): StreamConsumer;
  /** Another client on the same tables (a second replica). */
  replica(): Promise<Tables>;
  /** The social table's shard ids, parents first. */
  shardIds(): Promise<string[]>;
  /** Every record of the social table's change log; waits (stream lag) until at least `atLeast` are visible. */
  streamRecords(options?: { atLeast?: number }): Promise<ChangeRecord[]>;
  /** Drains a fresh consumer until nothing is left unapplied (the stream may show writes late). */
  catchUp(): Promise<void>;
  close(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function openSocialFixture(store: Store, options: { clock?: ManualClock } = {}): Promise<SocialFixture> {
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
  const opened = await store.open(clock);
  const { tables } = opened;
  const names = config.tables;
  const social = new SocialService({ tables, tableNames: names, clock, limits });
  const chat = new ChatService({ tables, tableNames: names, clock, ids: randomIds, limits });
  const consumers: StreamConsumer[] = [];

  async function shardIds(): Promise<string[]> {
    const shards = await tables.changes.listShards(names.social);
    const ids = new Set(shards.map((s) => s.shardId));
    const roots = shards.filter((s) => !s.parentShardId || !ids.has(s.parentShardId));
    const ordered = [...roots];
    for (let i = 0; i < ordered.length; i++) ordered.push(...shards.filter((s) => s.parentShardId === ordered[i].shardId));
    return ordered.map((s) => s.shardId);
  }

  async function readAll(): Promise<ChangeRecord[]> {
    const out: ChangeRecord[] = [];
    for (const shardId of await shardIds()) {
      for (let after: string | undefined; ; ) {
        const page = await tables.changes.read({ table: names.social, shardId, after });
        out.push(...page.records);
        if (page.records.length === 0) break;
        after = page.records[page.records.length - 1].sequenceNumber;
      }
    }
    return out;
  }

  const fixture: SocialFixture = {
    store,
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
      const consumer = createCountersConsumer({ tables, tableNames: names, idleMs: 5, ...opts });
      consumers.push(consumer);
      return consumer;
    },
    replica: () => opened.replica(),
    shardIds,
    async streamRecords(opts = {}) {
      for (let attempt = 0; ; attempt++) {
        const records = await readAll();
        if (records.length >= (opts.atLeast ?? 0) || attempt >= 50) return records;
        await pause(50);
      }
    },
    async catchUp() {
      const backlog = counterBacklog({ tables, tableNames: names });
      for (let attempt = 0; attempt < 50; attempt++) {
        await fixture.consumer().drain();
        if ((await backlog.snapshot()).pending.size === 0) return;
        await pause(50);
      }
      throw new Error('the counters consumer did not catch up');
    },
    async close() {
      // A test that failed midway may leave a consumer polling: stop it before closing the store.
      await Promise.all(consumers.map((c) => c.stop({ release: false })));
      await opened.close();
    },
  };
  return fixture;
}

/** Runs `run` on a fresh fixture of `store`, closing it after. */
export async function withFixture(store: Store, run: (f: SocialFixture) => Promise<void>): Promise<void> {
  const f = await openSocialFixture(store);
  try {
    await run(f);
  } finally {
    await f.close();
  }
}

/** Reads every item of a partition (raw, as stored). */
export async function rawPartition(tables: Tables, table: string, partition: string, index?: string): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await tables.query({ table, index, partition, cursor, limit: 1000, consistent: index === undefined });
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

/**
 * A change log with real splits, over a single-shard one (SQLite's, or DynamoDB Local's, which
 * never splits): split() closes an open shard at the log's current end and opens two children;
 * after it, each record goes to the child picked by a bit of its item key's hash, so one item's
 * records stay in order along its lineage, as in DynamoDB Streams. Every replica wraps its own
 * client; the shard layout is shared.
 */
export interface ShardedChangeLog {
  /** `tables` with the log of the table replaced by the sharded one. */
  wrap(tables: Tables): Tables;
  /** Closes an open shard at the log's current end; returns the two children's ids. */
  split(shardId: string): Promise<[string, string]>;
  openShards(): string[];
}

interface SyntheticShard {
  shard: Shard;
  /** Records strictly after `start`, up to and including `end` (closed shards). */
  start?: string;
  end?: string;
  depth: number;
  bits: number;
}

const newer = (a: string, b: string | undefined) => b === undefined || BigInt(a) > BigInt(b);

function keyHash(keys: Key): number {
  const text = Object.keys(keys).sort().map((k) => `${k}=${keys[k]}`).join('|');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export async function shardedChangeLog(base: Tables, table: string): Promise<ShardedChangeLog> {
  const [baseShard, ...more] = await base.changes.listShards(table);
  if (!baseShard || more.length > 0) throw new Error('shardedChangeLog needs a single-shard change log');
  const shards: SyntheticShard[] = [{ shard: { shardId: 'split-r', closed: false }, depth: 0, bits: 0 }];
  let tail: string | undefined;

  const member = (s: SyntheticShard, r: ChangeRecord) => {
    const mask = (1 << s.depth) - 1;
    return ((keyHash(r.keys) & mask) >>> 0) === s.bits;
  };
  const find = (shardId: string) => {
    const s = shards.find((x) => x.shard.shardId === shardId);
    if (!s) throw new TableValidationError(`Unknown shard ${shardId}`);
    return s;
  };

  async function read(log: ChangeLog, s: SyntheticShard, after: string | undefined, limit: number) {
    const records: ChangeRecord[] = [];
    const closed = s.end !== undefined;
    let cursor = after !== undefined && s.start !== undefined && !newer(after, s.start) ? s.start : (after ?? s.start);
    for (;;) {
      const page = await log.read({ table, shardId: baseShard.shardId, after: cursor, limit: 1000 });
      for (const r of page.records) {
        if (closed && newer(r.sequenceNumber, s.end)) return { records, endOfShard: true };
        if (!member(s, r)) continue;
        records.push(r);
        if (records.length === limit) return { records, endOfShard: false };
      }
      if (page.records.length === 0) return { records, endOfShard: closed };
      cursor = page.records[page.records.length - 1].sequenceNumber;
    }
  }

  return {
    wrap(tables) {
      const changes: ChangeLog = {
        listShards: async (t) => (t === table ? shards.map((s) => ({ ...s.shard })) : tables.changes.listShards(t)),
        read: async (request) => {
          if (request.table !== table) return tables.changes.read(request);
          return read(tables.changes, find(request.shardId), request.after, request.limit ?? 1000);
        },
      };
      return new Proxy(tables, {
        get: (target, prop, receiver) => (prop === 'changes' ? changes : Reflect.get(target, prop, receiver)),
      });
    },
    async split(shardId) {
      const parent = find(shardId);
      if (parent.end !== undefined) throw new Error(`${shardId} is closed already`);
      for (;;) {
        const page = await base.changes.read({ table, shardId: baseShard.shardId, after: tail, limit: 1000 });
        if (page.records.length === 0) break;
        tail = page.records[page.records.length - 1].sequenceNumber;
      }
      // A shard closed before any record reads as empty: it ends where it starts.
      parent.end = tail ?? '0';
      parent.shard.closed = true;
      const children = [0, 1].map((bit) => ({
        shard: { shardId: `${shardId}.${bit}`, parentShardId: shardId, closed: false },
        start: tail,
        depth: parent.depth + 1,
        bits: parent.bits | (bit << parent.depth),
      }));
      shards.push(...children);
      return [children[0].shard.shardId, children[1].shard.shardId];
    },
    openShards: () => shards.filter((s) => s.end === undefined).map((s) => s.shard.shardId),
  };
}
