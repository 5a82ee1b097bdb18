/**
 * In-process harness for the GraphQL handler tests: the real handler on a real loopback server,
 * a real UsersService on real SQLite, a fake TokenVerifier, and a call-counting spy around the
 * users service so tests can prove a rejected request reached no resolver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { Principal, TokenVerifier } from '../../src/domain/identity/contracts.ts';
import { AppError } from '../../src/domain/errors.ts';
import { UsersService } from '../../src/domain/users/users-service.ts';
import { readBody } from '../../src/server/http.ts';
import { ServerMetrics } from '../../src/server/metrics.ts';
import { createGraphqlHandler, type GraphqlHandlerDeps } from '../../src/server/graphql/handler.ts';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import type { Tables } from '../../src/ports/tables.ts';

export const API_KEY = 'da2-abcdefghijklmnopqrstuvwxyz';

/** Fake tokens: `<header>.<base64url JSON of the principal>.<sig>`; sig "forged" or a revoked sub fails. */
export function fakeToken(p: Partial<Principal> & { sub: string }, sig = 'sig'): string {
  const principal: Principal = { username: p.sub, groups: [], tokenUse: 'access', claims: {}, ...p };
  return `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(principal)).toString('base64url')}.${sig}`;
}

export class FakeVerifier implements TokenVerifier {
  readonly revoked = new Set<string>();
  /** When true, verify fails as a store outage would (not a refusal). */
  unavailable = false;
  calls = 0;
  async verify(token: string): Promise<Principal> {
    this.calls++;
    const [, payload, sig] = token.split('.');
    // The pool's own refusals are AppErrors (Cognito names); any other error means "could not check".
    if (this.unavailable) throw new Error('store unavailable');
    if (sig !== 'sig') throw new AppError('NotAuthorizedException', 'Invalid Token');
    const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Principal;
    if (this.revoked.has(p.sub)) throw new AppError('NotAuthorizedException', 'Token has been revoked');
    const exp = p.claims?.exp;
    if (typeof exp === 'number' && exp * 1000 <= Date.now()) throw new AppError('NotAuthorizedException', 'Token has expired');
    return p;
  }
}

/** Counts every method call on the wrapped service (a stand-in for "resolver or DB call"). */
export function spy<T extends object>(target: T): { service: T; calls: () => number; reset(): void; fail?: Error } {
  let calls = 0;
  const state: { service: T; calls: () => number; reset(): void; fail?: Error } = {
    service: new Proxy(target, {
      get(t, prop, receiver) {
        const v = Reflect.get(t, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls++;
          if (state.fail) throw state.fail;
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    }),
    calls: () => calls,
    reset: () => {
      calls = 0;
    },
  };
  return state;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface Harness {
  config: Config;
  users: UsersService;
  usersSpy: ReturnType<typeof spy<UsersService>>;
  verifier: FakeVerifier;
  metrics: ServerMetrics;
  logged: unknown[];
  url: string;
  post(body: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** POST {query, variables} with the API key. */
  asKey(query: string, variables?: unknown): Promise<Reply>;
  /** POST {query, variables} with a fake JWT of `sub`. */
  asUser(sub: string, query: string, variables?: unknown, extra?: Partial<Principal>): Promise<Reply>;
  errorCount(errorType: string): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(options: { config?: ConfigInput; schemaOptions?: GraphqlHandlerDeps['schemaOptions'] } = {}): Promise<Harness> {
  const config = configSchema.parse(options.config ?? {});
  const store = await openTestTables();
  const users = new UsersService({ tables: store.tables, tableNames: config.tables, clock: new ManualClock(), limits: config.limits });
  const usersSpy = spy(users);
  const verifier = new FakeVerifier();
  const metrics = new ServerMetrics(false);
  const logged: unknown[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn() {},
    error(obj) {
      logged.push(obj);
    },
    child() {
      return log;
    },
  };
  const handler = createGraphqlHandler({
    config,
    apiKey: API_KEY,
    verifier,
    users: usersSpy.service,
    metrics,
    log,
    schemaOptions: options.schemaOptions,
  });
  const server: Server = createServer((req, res) => {
    readBody(req, config.limits.bodyBytes)
      .then((body) => handler(req, res, body))
      .catch((err) => {
        res.writeHead(500).end(String(err));
      });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

  const post = async (body: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };

  return {
    config,
    users,
    usersSpy,
    verifier,
    metrics,
    logged,
    url,
    post,
    asKey: (query, variables) => post({ query, variables: variables ?? null }, { 'x-api-key': API_KEY }),
    asUser: (sub, query, variables, extra) =>
      post({ query, variables: variables ?? null }, { authorization: fakeToken({ sub, ...extra }) }),
    async errorCount(errorType) {
      const m = await metrics.m.apiErrors.get();
      return m.values.filter((v) => v.labels.error_type === errorType).reduce((n, v) => n + v.value, 0);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await store.close();
    },
  };
}

/** A confirmed user with a profile; returns its sub. */
export async function seedUser(h: Harness, nickname: string, sub = `sub-${nickname.toLowerCase()}`): Promise<string> {
  await h.users.createProfile({ sub, username: nickname, attributes: { nickname } });
  return sub;
}

/** Real SQLite tables (temp dir, removed on close) with the project's table definitions. */
export async function openTestTables(): Promise<{ tables: Tables; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  const tables = openSqliteTables({ path: join(dir, 'test.sqlite'), synchronous: 'NORMAL' });
  await tables.ensure(tableDefinitions(configSchema.parse({}).tables));
  return {
    tables,
    async close() {
      await tables.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
