import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/biilive.js', import.meta.url));
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BIILIVE_')));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...cleanEnv, ...env }, timeout: 60_000 });
}

/** Starts `biilive serve`, resolves with its stdout once it printed the API key. */
function serve(args: string[]) {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/API key:\s+\S+\n/.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  const stop = () =>
    new Promise<void>((ok) => {
      if (child.exitCode !== null) return ok();
      child.once('exit', () => ok());
      child.kill('SIGTERM');
    });
  return { ready, stop };
}

const field = (out: string, label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(out)?.[1];

test('--help lists the commands and exits 0', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /serve/);
  assert.match(r.stdout, /info/);
});

test('invalid configuration: one clear message naming the key, exit code 2', () => {
  const r = run(['serve', '--port', 'eighty'], { BIILIVE_LIMITS_MAX_DEPTH: 'deep' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /port/);
  assert.match(r.stderr, /limits\.maxDepth/);
  const unknown = run(['serve', '--no-such-flag']);
  assert.equal(unknown.status, 2);
});

test('serve prints every endpoint; info --json and --amplify agree; ids and API key survive a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-cli-'));
  try {
    const first = serve(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent']);
    const out = await first.ready;
    const graphqlUrl = field(out, 'GraphQL')!;
    assert.match(graphqlUrl, /^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    assert.equal(field(out, 'Realtime'), graphqlUrl.replace(/^http/, 'ws') + '/realtime');
    assert.match(field(out, 'API key')!, /^da2-[a-z0-9]{26}$/);
    assert.match(field(out, 'User pool id')!, /^eu-west-3_[A-Za-z0-9]+$/);

    const health = await fetch(graphqlUrl.replace('/graphql', '/healthz'));
    assert.equal(health.status, 200);

    const info = run(['info', '--data-dir', dataDir, '--json']);
    assert.equal(info.status, 0, info.stderr);
    const json = JSON.parse(info.stdout);
    assert.deepEqual(
      Object.keys(json).sort(),
      ['apiKey', 'cognitoEndpoint', 'graphqlUrl', 'realtimeUrl', 'region', 'userPoolClientId', 'userPoolId', 'identityPoolId', 'allowGuestAccess', 'storageBucket', 'storageEndpoint'].sort(),
    );
    assert.equal(json.graphqlUrl, graphqlUrl);
    assert.equal(json.apiKey, field(out, 'API key'));
    assert.equal(json.userPoolClientId, field(out, 'Client id'));

    const amplify = JSON.parse(run(['info', '--data-dir', dataDir, '--amplify']).stdout);
    assert.equal(amplify.API.GraphQL.endpoint, graphqlUrl);
    assert.equal(amplify.API.GraphQL.apiKey, json.apiKey);
    assert.equal(amplify.Auth.Cognito.userPoolId, json.userPoolId);
    assert.equal(amplify.Auth.Cognito.userPoolClientId, json.userPoolClientId);
    assert.equal(amplify.Auth.Cognito.userPoolEndpoint, json.cognitoEndpoint);
    assert.match(amplify.Auth.Cognito.identityPoolId, /^eu-west-3:[0-9a-f-]{36}$/);
    assert.equal(amplify.Auth.Cognito.identityPoolEndpoint, json.cognitoEndpoint);
    assert.deepEqual(amplify.Storage, { S3: { bucket: 'biihlivemedia.local', region: 'eu-west-3' } });
    assert.deepEqual(amplify.biilive, {
      storageOptions: { customEndpoint: new URL(graphqlUrl).host },
      storageRequires: 'biilive serve --tls: Amplify Storage dials https:// only',
    });
    const exports = run(['info', '--data-dir', dataDir, '--admin-credentials']);
    assert.equal(exports.status, 0, exports.stderr);
    assert.match(exports.stdout, /^export AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16}\nexport AWS_SECRET_ACCESS_KEY=[\w-]{40}\nexport AWS_DEFAULT_REGION=eu-west-3\n$/);
    await first.stop();

    // Not running: info answers as configured, with the persisted ids.
    const offline = JSON.parse(run(['info', '--data-dir', dataDir, '--json', '--port', '4555']).stdout);
    assert.equal(offline.apiKey, json.apiKey);
    assert.equal(offline.graphqlUrl, 'http://127.0.0.1:4555/graphql');

    const second = serve(['--port', '0', '--data-dir', dataDir, '--log-level', 'silent']);
    const out2 = await second.ready;
    assert.equal(field(out2, 'API key'), json.apiKey);
    assert.equal(field(out2, 'User pool id'), json.userPoolId);
    assert.equal(field(out2, 'Client id'), json.userPoolClientId);
    await second.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
