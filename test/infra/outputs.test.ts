/**
 * `npx biilive outputs` turns the stack outputs (`npx cdk deploy --outputs-file cdk-outputs.json`)
 * into the same Amplify configuration `biilive info --amplify` prints for the embedded server,
 * plus the identity pool. Run as a user runs it: the real CLI in a child process.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { amplifyConfig } from '../../src/runtime/endpoints.ts';
import { REQUIRED_OUTPUTS } from '../../src/cli/commands/outputs.ts';
import { OUTPUT_IDS } from '../../infra/constructs/outputs.ts';
import { STACK_NAME } from '../../infra/stack.ts';

const bin = fileURLToPath(new URL('../../bin/biilive.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'biilive-outputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BIILIVE_')));
const run = (args: string[]) => spawnSync(process.execPath, [bin, 'outputs', ...args], { encoding: 'utf8', env: cleanEnv, cwd: dir, timeout: 60_000 });

/** What `cdk deploy --outputs-file` writes for the stack (values shaped as AWS returns them). */
const deployed = {
  GraphqlApiId: 'abcdefghijklmnopqrstuvwxyz',
  GraphqlUrl: 'https://abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-3.amazonaws.com/graphql',
  RealtimeUrl: 'wss://abcdefghijklmnopqrstuvwxyz.appsync-realtime-api.eu-west-3.amazonaws.com/graphql',
  ApiKey: 'da2-abcdefghijklmnopqrstuvwxyz',
  UserPoolId: 'eu-west-3_AbCdEfGhI',
  UserPoolClientId: '1example23456789abcdefghij',
  IdentityPoolId: 'eu-west-3:11111111-2222-3333-4444-555555555555',
  Region: 'eu-west-3',
  MediaBucket: 'biihlivemedia',
  DistributionId: 'E1EXAMPLE23456',
  DistributionDomain: 'd111111abcdef8.cloudfront.net',
};

function writeOutputs(name: string, document: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

test('every output the command reads is one the stack declares', () => {
  for (const key of REQUIRED_OUTPUTS) assert.ok((OUTPUT_IDS as readonly string[]).includes(key), key);
  assert.deepEqual(Object.keys(deployed).sort(), [...OUTPUT_IDS].sort());
});

test("prints info --amplify's object for the stack, with the identity pool", () => {
  const file = writeOutputs('cdk-outputs.json', { [STACK_NAME]: deployed });
  const res = run(['--file', file]);
  assert.equal(res.status, 0, res.stderr);
  const printed = JSON.parse(res.stdout);
  assert.deepEqual(printed, {
    API: { GraphQL: { endpoint: deployed.GraphqlUrl, region: 'eu-west-3', defaultAuthMode: 'userPool', apiKey: deployed.ApiKey } },
    // AWS's own Cognito and S3: no endpoint overrides, unlike the embedded server's object.
    Auth: { Cognito: { userPoolId: deployed.UserPoolId, userPoolClientId: deployed.UserPoolClientId, identityPoolId: deployed.IdentityPoolId, allowGuestAccess: false } },
    Storage: { S3: { bucket: deployed.MediaBucket, region: 'eu-west-3' } },
  });
  // The same shape as `biilive info --amplify` for the embedded server, less its overrides.
  const embedded = amplifyConfig({
    graphqlUrl: 'http://127.0.0.1:4000/graphql',
    realtimeUrl: 'ws://127.0.0.1:4000/graphql/realtime',
    cognitoEndpoint: 'http://127.0.0.1:4000/',
    region: 'eu-west-3',
    userPoolId: 'eu-west-3_x',
    userPoolClientId: 'c',
    apiKey: 'k',
    issuer: 'i',
    identityPoolId: 'eu-west-3:x',
    allowGuestAccess: false,
    storageBucket: 'biihlivemedia.local',
    storageEndpoint: '127.0.0.1:4000',
  });
  assert.deepEqual(Object.keys(printed).sort(), Object.keys(embedded).filter((k) => k !== 'biilive').sort());
  assert.deepEqual(
    Object.keys(printed.Auth.Cognito).sort(),
    Object.keys(embedded.Auth.Cognito).filter((k) => !k.endsWith('Endpoint')).sort(),
  );
  // Defaults: ./cdk-outputs.json and the BiiliveStack stack.
  const byDefault = run([]);
  assert.equal(byDefault.status, 0, byDefault.stderr);
  assert.equal(byDefault.stdout, res.stdout);
});

test('another stack by name; an outputs file without the identity pool is refused in one line', () => {
  const mine = run(['--file', writeOutputs('mine.json', { Other: {}, Mine: deployed }), '--stack', 'Mine']);
  assert.equal(mine.status, 0, mine.stderr);
  assert.equal(JSON.parse(mine.stdout).Auth.Cognito.identityPoolId, deployed.IdentityPoolId);
  const { IdentityPoolId: _none, ...rest } = deployed;
  const res = run(['--file', writeOutputs('no-identity.json', { Mine: rest }), '--stack', 'Mine']);
  assert.equal(res.status, 2);
  assert.match(res.stderr, /lacks the outputs IdentityPoolId/);
});

test('a missing file, another stack, missing outputs: one-line errors, exit 2', () => {
  const missing = run(['--file', join(dir, 'nope.json')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.json: no such file \(run `npx cdk deploy --outputs-file cdk-outputs\.json` first\)/);

  const other = run(['--file', writeOutputs('other.json', { SomeStack: deployed })]);
  assert.equal(other.status, 2);
  assert.match(other.stderr, /no stack BiiliveStack in the outputs file \(found: SomeStack\)/);

  const { ApiKey: _key, UserPoolId: _pool, ...partial } = deployed;
  const lacking = run(['--file', writeOutputs('partial.json', { [STACK_NAME]: partial })]);
  assert.equal(lacking.status, 2);
  assert.match(lacking.stderr, /lacks the outputs ApiKey, UserPoolId/);

  const notOutputs = run(['--file', writeOutputs('string.json', 'x')]);
  assert.equal(notOutputs.status, 2);
  assert.match(notOutputs.stderr, /not a cdk outputs file/);

  writeFileSync(join(dir, 'broken.json'), '{ not json');
  const broken = run(['--file', join(dir, 'broken.json')]);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /broken\.json: .*JSON/);
});
