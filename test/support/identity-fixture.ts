/** Builds the identity service over in-memory tables and a manual clock, for unit tests. */
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { randomIds } from '../../src/ports/ids.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { generateInstallation } from '../../src/domain/installation.ts';
import { createIdentity, type AuthenticationResult, type Identity } from '../../src/domain/identity/create-identity.ts';
import { isChallenge, type AuthResponse } from '../../src/domain/identity/types.ts';
import type { ConfirmedUser } from '../../src/domain/identity/contracts.ts';
import { createPasswordHasher } from '../../src/domain/identity/password-hasher.ts';
import { MemoryTables } from './memory-tables.ts';

/** One KDF gate for every fixture in a test process (its dummy hash is computed once). */
const sharedHasher = createPasswordHasher();

export interface IdentityFixture {
  identity: Identity;
  tables: MemoryTables;
  clock: ManualClock;
  clientId: string;
  poolId: string;
  issuer: string;
  codes: Array<{ username: string; code: string; purpose: string; destination?: string }>;
  confirmed: ConfirmedUser[];
  /** Makes the next PostConfirmation calls fail (count). */
  failPostConfirmation: { count: number; error?: Error };
  config: ReturnType<typeof loadConfig>;
  /** Every log line the service wrote (level, object, message). */
  logs: Array<{ level: string; obj: object; msg?: string }>;
  /** The latest code delivered to `username` for `purpose`. */
  codeFor(username: string, purpose?: string): string;
  /** Another service instance over the same tables (a second replica, or a restart). */
  replica(): Promise<Identity>;
}

export async function identityFixture(
  overrides: Partial<ConfigInput> = {},
  existing?: { tables: MemoryTables; clock: ManualClock },
): Promise<IdentityFixture> {
  const config = loadConfig({ flags: { dataDir: '/nonexistent', logLevel: 'silent', ...overrides } });
  const tables = existing?.tables ?? new MemoryTables();
  const clock = existing?.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
  await tables.ensure(tableDefinitions(config.tables));
  const installation = generateInstallation(randomIds, config.region);
  const issuer = `http://127.0.0.1:4000/${installation.userPoolId}`;
  const codes: IdentityFixture['codes'] = [];
  const confirmed: ConfirmedUser[] = [];
  const failPostConfirmation: IdentityFixture['failPostConfirmation'] = { count: 0 };
  const logs: IdentityFixture['logs'] = [];
  const log = capturingLogger(logs);
  const build = () =>
    createIdentity({
      tables,
      tableNames: config.tables,
      clock,
      ids: randomIds,
      log,
      installation,
      issuer,
      config,
      hasher: sharedHasher,
      postConfirmation: async (user) => {
        if (failPostConfirmation.count > 0) {
          failPostConfirmation.count--;
          throw failPostConfirmation.error ?? new Error('profile store unavailable');
        }
        confirmed.push(user);
      },
      codeSender: { send: async (m) => void codes.push({ username: m.username, code: m.code, purpose: m.purpose, destination: m.destination }), close: async () => {} },
    });
  const identity = await build();
  return {
    identity,
    tables,
    clock,
    clientId: installation.userPoolClientId,
    poolId: installation.userPoolId,
    issuer,
    codes,
    confirmed,
    failPostConfirmation,
    config,
    logs,
    codeFor(username, purpose = 'sign_up') {
      const found = codes.filter((c) => c.username.toLowerCase() === username.toLowerCase() && c.purpose === purpose).at(-1);
      if (!found) throw new Error(`no ${purpose} code for ${username}`);
      return found.code;
    },
    replica: build,
  };
}

function capturingLogger(lines: IdentityFixture['logs'], bindings: object = {}): Logger {
  const at = (level: string) => (obj: object, msg?: string) => {
    const o = obj as { err?: unknown };
    // Errors do not survive JSON: keep their message and stack as text.
    const err = o.err instanceof Error ? { err: `${o.err.message}\n${o.err.stack ?? ''}` } : {};
    lines.push({ level, obj: { ...bindings, ...obj, ...err }, msg });
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => capturingLogger(lines, { ...bindings, ...b }),
  };
}

/** Rejects with an AppError of this code (and message, when given). */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code ?? 'no code'}: ${e.message}`);
    if (typeof message === 'string' && e.message !== message) throw new Error(`expected message "${message}", got "${e.message}"`);
    if (message instanceof RegExp && !message.test(e.message)) throw new Error(`message "${e.message}" does not match ${message}`);
    return;
  }
  throw new Error(`expected ${code}, but it resolved`);
}

/** The tokens of a sign-in that must not have ended in a challenge. */
export async function tokensOf(response: Promise<AuthResponse>): Promise<AuthenticationResult> {
  const r = await response;
  if (isChallenge(r)) throw new Error(`expected tokens, got the ${r.challengeName} challenge`);
  return r;
}
