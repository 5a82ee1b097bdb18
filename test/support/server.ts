/**
 * Starts the real app (SQLite in a temp data dir, port 0 on 127.0.0.1) for end-to-end tests, with
 * codes captured instead of logged and an AWS SDK Cognito client pointed at it. With
 * `dynamodbLocal`, the same app runs on the DynamoDB store instead (tables created first, as
 * `biilive db init` does, under a table prefix of its own unless one is given).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createIdentity, type Identity } from '../../src/domain/identity/create-identity.ts';
import { randomIds } from '../../src/ports/ids.ts';
import { outboxOnly } from '../../src/ports/code-sender.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import type { CodeSender } from '../../src/ports/code-sender.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { startApp, type App } from '../../src/server/app.ts';
import { initStore } from '../../src/runtime/store.ts';
import { LOCAL_CREDENTIALS, assertLocalEndpoint } from './dynamodb-local.ts';

export interface CapturedCode {
  username: string;
  code: string;
  purpose: string;
  destination?: string;
}

export interface TestServer {
  app: App;
  url: string;
  codes: CapturedCode[];
  cognito: CognitoIdentityProviderClient;
  clientId: string;
  /** The latest code delivered to `username` (case-insensitive) for `purpose`. */
  codeFor(username: string, purpose?: string): string;
  stop(): Promise<void>;
}

export interface TestServerOptions extends Partial<ConfigInput> {
  dataDir?: string;
  /**
   * Endpoint of a DynamoDB Local (test/support/dynamodb-local.ts): store 'dynamodb' there, with dummy
   * credentials, tables created before the app starts. `dynamodb.tablePrefix` defaults to a fresh
   * one, so several servers of one file are isolated; pass the same prefix to share tables
   * (replicas, restarts).
   */
  dynamodbLocal?: string;
  /** Capture delivered codes in `codes` (default); false: deliver through `codes.sender` as configured. */
  captureCodes?: boolean;
  /** Tables instead of the configured store (the app closes them when it stops). */
  sharedTables?: Tables;
}

export async function startTestServer(overrides: TestServerOptions = {}): Promise<TestServer> {
  const { dynamodbLocal, captureCodes = true, sharedTables, ...flags } = overrides;
  if (dynamodbLocal !== undefined) {
    assertLocalEndpoint(dynamodbLocal);
    flags.store = 'dynamodb';
    flags.dynamodb = { tablePrefix: `t${randomBytes(4).toString('hex')}-`, ...flags.dynamodb, endpoint: dynamodbLocal };
  }
  const ownDir = flags.dataDir === undefined;
  const dataDir = flags.dataDir ?? mkdtempSync(join(tmpdir(), 'biilive-'));
  const config = loadConfig({ flags: { port: 0, host: '127.0.0.1', logLevel: 'silent', ...flags, dataDir } });
  if (config.store === 'dynamodb') {
    assertLocalEndpoint(config.dynamodb.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? 'AWS');
    // The standard AWS chain, as in production, fed dummy keys: DynamoDB Local accepts any.
    process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    await initStore(config, { clock: systemClock });
  }
  const codes: CapturedCode[] = [];
  const codeSender: CodeSender = {
    send: async (m) => void codes.push({ username: m.username, code: m.code, purpose: m.purpose, destination: m.destination }),
    close: async () => {},
  };
  const app = await startApp(config, { log: silentLogger, tables: sharedTables, ...(captureCodes ? { codeSender } : {}) });
  const url = app.endpoints.cognitoEndpoint.replace(/\/$/, '');
  if (!/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) {
    await app.close();
    throw new Error(`refusing to test against a non-local endpoint: ${url}`);
  }
  const cognito = new CognitoIdentityProviderClient({
    region: config.region,
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    // With --tls the server's certificate is self-signed: trust exactly it.
    ...(app.tls ? { requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: app.tls.cert }) }) } : {}),
  });
  return {
    app,
    url,
    codes,
    cognito,
    clientId: app.installation.userPoolClientId,
    codeFor(username, purpose = 'sign_up') {
      const found = codes.filter((c) => c.username.toLowerCase() === username.toLowerCase() && c.purpose === purpose).at(-1);
      if (!found) throw new Error(`no ${purpose} code delivered for ${username}`);
      return found.code;
    },
    async stop() {
      cognito.destroy();
      await app.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs a user up and confirms them with the delivered code; returns their sub. */
export async function signUpAndConfirm(
  server: TestServer,
  username: string,
  password: string,
  attrs: Record<string, string> = {},
): Promise<string> {
  const out = await server.cognito.send(
    new SignUpCommand({
      ClientId: server.clientId,
      Username: username,
      Password: password,
      UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
    }),
  );
  if (!out.UserConfirmed) {
    await server.cognito.send(
      new ConfirmSignUpCommand({ ClientId: server.clientId, Username: username, ConfirmationCode: server.codeFor(username) }),
    );
  }
  return out.UserSub!;
}

/** USER_PASSWORD_AUTH sign-in; returns the AuthenticationResult (AccessToken, IdToken, RefreshToken, ...). */
export async function signIn(server: TestServer, username: string, password: string): Promise<Required<Pick<AuthenticationResultType, 'AccessToken' | 'IdToken' | 'RefreshToken'>> & AuthenticationResultType> {
  const out = await server.cognito.send(
    new InitiateAuthCommand({
      ClientId: server.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  const r = out.AuthenticationResult;
  if (!r?.AccessToken || !r.IdToken || !r.RefreshToken) throw new Error('sign-in returned no tokens');
  return r as Required<Pick<AuthenticationResultType, 'AccessToken' | 'IdToken' | 'RefreshToken'>> & AuthenticationResultType;
}

// ---- `biilive` as a child process (CLI tests, replicas) ------------------------------------------

export const biiliveBin = fileURLToPath(new URL('../../bin/biilive.js', import.meta.url));

/**
 * Environment for a `biilive` child: the caller's, minus every BIILIVE_* and AWS_* setting (no
 * profile, no endpoint, no real keys), plus dummy keys DynamoDB Local accepts and `extra`.
 * The AWS SDK's Node-version notice is switched off so stderr holds only what biilive says.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BIILIVE_') && !k.startsWith('AWS_')));
  return {
    ...env,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

export interface CliResult {
  code: number | null;
  /** Set when the run was killed for exceeding its time bound. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `biilive <args>` to completion (killed after `timeoutMs`); never blocks the event loop. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = childEnv(), timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [biiliveBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** What `biilive serve` prints once ready. */
export interface ServeInfo {
  graphqlUrl: string;
  realtimeUrl: string;
  cognitoEndpoint: string;
  userPoolId: string;
  clientId: string;
  apiKey: string;
}

export interface ServeProcess {
  child: ChildProcess;
  /** Resolves once the server printed its endpoints; rejects if it exits first. */
  ready: Promise<ServeInfo>;
  stderr(): string;
  /** What it printed on stdout so far (the banner). */
  stdout(): string;
  /** SIGTERM (clean shutdown), resolves on exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), resolves on exit. */
  kill(): Promise<void>;
}

/** Starts `biilive serve <args>` in a child process. */
export function spawnServe(args: string[], env: NodeJS.ProcessEnv = childEnv()): ServeProcess {
  const child = spawn(process.execPath, [biiliveBin, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const field = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(out)![1];
  const ready = new Promise<ServeInfo>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (/API key:\s+\S+\n/.test(out)) {
        resolve({
          graphqlUrl: field('GraphQL'),
          realtimeUrl: field('Realtime'),
          cognitoEndpoint: field('Identity endpoint'),
          userPoolId: field('User pool id'),
          clientId: field('Client id'),
          apiKey: field('API key'),
        });
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`biilive serve exited (${code ?? signal}) before it was ready:\n${err}`)));
  });
  ready.catch(() => undefined); // observed by the caller
  const exited = new Promise<void>((ok) => (child.exitCode !== null || child.signalCode !== null ? ok() : child.once('exit', () => ok())));
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    return exited;
  };
  return { child, ready, stderr: () => err, stdout: () => out, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/**
 * Another user-pool instance over the test server's store and keys, as a second replica or the
 * operator's CLI (`biilive users group add`) would run it.
 */
export function replicaIdentity(server: TestServer): Promise<Identity> {
  const app = server.app;
  return createIdentity({
    tables: app.tables,
    tableNames: app.config.tables,
    clock: systemClock,
    ids: randomIds,
    log: silentLogger,
    installation: app.installation,
    issuer: app.endpoints.issuer,
    config: app.config,
    postConfirmation: async () => {},
    codeSender: outboxOnly,
  });
}
