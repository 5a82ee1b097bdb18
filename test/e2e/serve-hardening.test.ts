/**
 * `biilive serve` as an operator runs it: the data directory and every file the server writes are
 * the owner's only (0700 / 0600), a directory or key file others can read is refused with the fix
 * in one line, one server per data directory (a second one exits 2 naming the first, and touches
 * nothing of it), and a request that arrives while the server is still starting is answered 503
 * with Retry-After instead of hanging (/healthz live, /readyz not yet).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { startApp, type App } from '../../src/server/app.ts';
import { runCli, spawnServe, type ServeProcess } from '../support/server.ts';

const PASSWORD = 'Corr3ct!horse';

/** Mode (octal) of the data dir and of everything under it, by relative path. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': (statSync(dir).mode & 0o777).toString(8) };
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    out[entry] = (statSync(join(dir, entry)).mode & 0o777).toString(8);
  }
  return out;
}

async function signUp(cognitoEndpoint: string, clientId: string, username: string) {
  const res = await fetch(cognitoEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp' },
    body: JSON.stringify({ ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }] }),
  });
  assert.equal(res.status, 200, await res.text());
}

describe('file modes', () => {
  const root = mkdtempSync(join(tmpdir(), 'biilive-modes-'));
  const dataDir = join(root, 'data');
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a fresh start: the data dir 0700, every folder 0700 and every file the server writes 0600', async () => {
    const serve = spawnServe(['--port', '0', '--data-dir', dataDir, '--tls', '--log-level', 'warn']);
    try {
      const info = await serve.ready;
      const ca = readFileSync(join(dataDir, 'tls', 'cert.pem'));
      // Some writes first, so the WAL and its index exist too.
      await signUpTls(info.cognitoEndpoint, info.clientId, ca);
      const found = modes(dataDir);
      process.stdout.write(`# modes after a fresh start: ${JSON.stringify(found)}\n`);
      for (const f of ['biilive.sqlite', 'biilive.sqlite-wal', 'biilive.sqlite-shm', 'server.json', 'serve.lock', 'tls/key.pem', 'tls/cert.pem']) {
        assert.ok(found[f], `${f} exists`);
      }
      for (const [path, mode] of Object.entries(found)) {
        const isDir = statSync(join(dataDir, path)).isDirectory();
        assert.equal(mode, isDir ? '700' : '600', `${path} is ${mode}`);
      }
    } finally {
      await serve.stop();
    }
  });

  test('a data dir open to others, or key material others can read: refused (exit 2) with the one-line fix', async () => {
    chmodSync(dataDir, 0o755);
    const open = await runCli(['serve', '--port', '0', '--data-dir', dataDir]);
    assert.equal(open.code, 2, open.stderr);
    assert.match(open.stderr, /^biilive: the data directory .* is open to other users \(mode 0755\)/);
    assert.ok(open.stderr.includes(`fix: chmod -R go-rwx '${dataDir}'`), open.stderr);

    chmodSync(dataDir, 0o700);
    chmodSync(join(dataDir, 'biilive.sqlite'), 0o644);
    chmodSync(join(dataDir, 'tls', 'key.pem'), 0o640);
    const readable = await runCli(['serve', '--port', '0', '--data-dir', dataDir]);
    assert.equal(readable.code, 2, readable.stderr);
    assert.match(readable.stderr, /key material in .* is readable by other users: biilive\.sqlite \(0644\), tls\/key\.pem \(0640\)/);

    // The fix as printed.
    execFileSync('chmod', ['-R', 'go-rwx', dataDir]);

    // A TLS key given by path is key material too.
    const key = join(root, 'key.pem');
    copyFileSync(join(dataDir, 'tls', 'key.pem'), key);
    chmodSync(key, 0o644);
    const tlsKey = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--tls-cert', join(dataDir, 'tls', 'cert.pem'), '--tls-key', key]);
    assert.equal(tlsKey.code, 2, tlsKey.stderr);
    assert.ok(tlsKey.stderr.includes(`the private key ${key} is readable by other users (mode 0644). fix: chmod 600 '${key}'`), tlsKey.stderr);
    const fixed = spawnServe(['--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    try {
      await fixed.ready;
    } finally {
      await fixed.stop();
    }
  });
});

/** SignUp over HTTPS trusting exactly the server's self-signed certificate. */
async function signUpTls(cognitoEndpoint: string, clientId: string, ca: Buffer) {
  const { request } = await import('node:https');
  const body = JSON.stringify({ ClientId: clientId, Username: 'modes', Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: 'modes@example.com' }] });
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(cognitoEndpoint, {
      method: 'POST',
      ca,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(status, 200);
}

describe('one server per data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-lock-'));
  let first: ServeProcess;
  before(async () => {
    first = spawnServe(['--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    await first.ready;
  });
  after(async () => {
    await first?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a second serve exits 2 naming the running one (PID, port) and leaves its server.json alone; commands still work', async () => {
    const info = await first.ready;
    const runtime = readFileSync(join(dataDir, 'server.json'), 'utf8');
    const port = new URL(info.graphqlUrl).port;
    const second = await runCli(['serve', '--port', '0', '--data-dir', dataDir]);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`^biilive: another biilive server \\(PID ${first.child.pid}, port ${port}\\) is serving ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; stop it first`));
    assert.equal(readFileSync(join(dataDir, 'server.json'), 'utf8'), runtime);
    const amplify = await runCli(['info', '--data-dir', dataDir, '--amplify']);
    assert.equal(JSON.parse(amplify.stdout).API.GraphQL.endpoint, info.graphqlUrl);
    // Commands that may run beside a server take no lock.
    await signUp(info.cognitoEndpoint, info.clientId, 'lena');
    const codes = await runCli(['users', 'codes', '--data-dir', dataDir, '--json']);
    assert.equal(codes.code, 0, codes.stderr);
    assert.deepEqual(JSON.parse(codes.stdout).map((c: { username: string }) => c.username), ['lena']);
    const status = await runCli(['rankings', 'status', '--data-dir', dataDir]);
    assert.equal(status.code, 0, status.stderr);
  });

  test('after the first stops (even killed), the directory is free again at once', async () => {
    await first.kill();
    const next = spawnServe(['--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    try {
      await next.ready;
    } finally {
      await next.stop();
    }
  });
});

/** A port that is free right now. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** The HTTP status a WebSocket upgrade request to /graphql/realtime gets. */
const upgradeStatus = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: '/graphql/realtime',
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'graphql-ws' },
      timeout: 5000,
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('timeout', () => req.destroy(new Error('no answer to the upgrade')));
    req.on('error', reject);
    req.end();
  });

describe('while starting', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-starting-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('requests get 503 + Retry-After (GraphQL, Cognito and WebSocket alike), /healthz 200, /readyz 503; then 200', async () => {
    const port = await freePort();
    const config = loadConfig({ flags: { port, host: '127.0.0.1', dataDir, logLevel: 'silent' } });
    // Hold the start after the port opened: the user pool's keys load only once this resolves.
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    const sqlite = openSqliteTables({ path: join(dataDir, 'held.sqlite'), synchronous: 'NORMAL' });
    const tables = new Proxy(sqlite, {
      get(target, prop, receiver) {
        if (prop === 'get') {
          return async (table: string, key: Record<string, unknown>, opts?: unknown) => {
            if (key.pk === 'IDENTITY') await held;
            return target.get(table, key as never, opts as never);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Tables;
    const starting = startApp(config, { log: silentLogger, tables });
    let app: App | undefined;
    try {
      const base = `http://127.0.0.1:${port}`;
      const answered = async (path: string, init?: RequestInit) => {
        for (let i = 0; ; i++) {
          try {
            return await fetch(base + path, { ...init, signal: AbortSignal.timeout(5000) });
          } catch (err) {
            // Not listening yet (connection refused): the store is still opening. A timeout fails the test.
            if ((err as Error).name === 'TimeoutError' || i > 200) throw err;
            await new Promise((ok) => setTimeout(ok, 25));
          }
        }
      };
      const gql = await answered('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      assert.equal(gql.status, 503);
      assert.equal(gql.headers.get('retry-after'), '1');
      assert.deepEqual(await gql.json(), { errors: [{ errorType: 'ServiceUnavailableException', message: 'The server is starting; retry shortly.' }] });
      const cognito = await answered('/', {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp' },
        body: '{}',
      });
      assert.equal(cognito.status, 503);
      assert.equal((await cognito.json()).__type, 'ServiceUnavailableException');
      assert.equal(await upgradeStatus(port), 503);
      assert.equal((await answered('/healthz')).status, 200);
      assert.equal((await answered('/readyz')).status, 503);

      release();
      app = await starting;
      assert.equal((await answered('/readyz')).status, 200);
      const ok = await answered('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': app.installation.apiKey }, body: '{"query":"{ __typename }"}' });
      assert.equal(ok.status, 200);
      assert.equal(await app.close(), true, 'a clean shutdown');
      app = undefined;
    } finally {
      release();
      await (app ?? (await starting.catch(() => undefined)))?.close();
    }
  });
});
