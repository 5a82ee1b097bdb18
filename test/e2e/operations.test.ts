/**
 * Operations on the real app: the metrics a short load leaves on /metrics (API per operation and
 * auth mode, identity per action, store per table, functions, realtime, event loop), and the CLI
 * as an operator runs it beside the server: `ops export`, `cost` (model, and projected from the
 * running server's counts), progress on `db init` and `doctor counters`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { parseExposition } from '../../src/domain/monitoring/exposition.ts';
import { grafanaDashboard } from '../../src/domain/monitoring/grafana.ts';
import { prometheusRules, rulesYaml } from '../../src/domain/monitoring/prometheus.ts';
import type { Sample } from '../../src/domain/monitoring/evaluate.ts';
import { childEnv, runCli, signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { graphqlCaller } from '../support/graphql-client.ts';
import { RawClient } from '../support/realtime-client.ts';

const PASSWORD = 'Op3rations-Passw0rd!';
let s: TestServer;
let dataDir: string;
let scratch: string;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
const { data, gql } = graphqlCaller(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'biilive-ops-'));
  scratch = mkdtempSync(join(tmpdir(), 'biilive-ops-files-'));
  s = await startTestServer({ dataDir });
  for (const name of ['ana', 'beto', 'caro']) {
    ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name });
    tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
  }
});

after(async () => {
  await s?.stop();
  for (const dir of [dataDir, scratch]) if (dir) rmSync(dir, { recursive: true, force: true });
});

async function samples(): Promise<Sample[]> {
  return parseExposition(await (await fetch(`${s.url}/metrics`)).text());
}
const value = (all: Sample[], name: string, labels: Record<string, string> = {}) =>
  all.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);
const has = (all: Sample[], name: string, labels: Record<string, string> = {}) =>
  all.some((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('metrics after a load', () => {
  test('API per operation and auth mode with errors by errorType; identity per action; store per table; functions; realtime; event loop', async () => {
    const host = new URL(s.app.endpoints.graphqlUrl).host;
    const client = await RawClient.connect(s.app.endpoints.realtimeUrl, { header: { host, Authorization: tokens.beto } });
    assert.equal((await client.init()).type, 'connection_ack');
    const sub = await client.start('1', 'subscription ($id: ID) { onNewFollower(followedId: $id) { followerId followedId } }', { id: ids.beto }, { host, Authorization: tokens.beto });
    assert.equal(sub.type, 'start_ack');

    for (let i = 0; i < 5; i++) await data('query ($id: ID!) { getUser(userId: $id) { nickname } }', { id: ids.ana }, 'key');
    await data('query { me { nickname } }', null, 'ana');
    // The mutation selects followedId: AppSync filters subscriptions on the fields the mutation returned.
    await data('mutation ($id: ID!) { followUser(followedId: $id) { followerId followedId } }', { id: ids.beto }, 'ana');
    assert.equal((await gql('query { me { nickname } }', null, 'nobody')).status, 401);
    const bad = await gql('mutation { awardPoints(userId: "x", amount: 1, reason: "r", idempotencyKey: "k") { puntos } }', null, 'ana');
    assert.equal(bad.json.errors?.[0] && (bad.json.errors[0] as { errorType: string }).errorType, 'Unauthorized');
    await assert.rejects(
      s.cognito.send(new InitiateAuthCommand({ ClientId: s.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ana', PASSWORD: 'Wr0ng-Passw0rd!' } })),
    );
    await client.nextOfType('data', '1', 10_000);

    const all = await until('UpdateUserCounters to run', async () => {
      const m = await samples();
      return value(m, 'biilive_function_invocations_total', { function: 'UpdateUserCounters' }) > 0 ? m : undefined;
    });
    assert.equal(value(all, 'biilive_api_requests_total', { operation: 'getUser', auth_mode: 'API_KEY' }), 5);
    assert.equal(value(all, 'biilive_api_requests_total', { operation: 'me', auth_mode: 'AMAZON_COGNITO_USER_POOLS' }), 1);
    assert.equal(value(all, 'biilive_api_errors_total', { operation: '-', auth_mode: 'none', error_type: 'UnauthorizedException' }), 1);
    assert.equal(value(all, 'biilive_api_errors_total', { operation: 'awardPoints', auth_mode: 'AMAZON_COGNITO_USER_POOLS', error_type: 'Unauthorized' }), 1);
    assert.equal(value(all, 'biilive_api_request_duration_seconds_count', { operation: 'followUser' }), 1);
    assert.equal(value(all, 'biilive_identity_requests_total', { action: 'SignUp' }), 3);
    assert.equal(value(all, 'biilive_identity_errors_total', { action: 'InitiateAuth', error_type: 'NotAuthorizedException' }), 1);
    assert.ok(value(all, 'biilive_identity_request_duration_seconds_count', { action: 'InitiateAuth' }) >= 4);
    const users = s.app.config.tables.users;
    assert.ok(value(all, 'biilive_store_operations_total', { table: users, operation: 'GetItem' }) >= 5);
    assert.ok(value(all, 'biilive_store_request_units_total', { table: users, kind: 'read' }) > 0);
    assert.ok(has(all, 'biilive_store_throttles_total', { table: users, operation: 'Query' }), 'throttle series exist at 0 for every table');
    assert.ok(has(all, 'biilive_store_transaction_conflicts_total', { table: s.app.config.tables.social }));
    assert.equal(value(all, 'biilive_function_invocations_total', { function: 'PostConfirmation' }), 3);
    assert.equal(value(all, 'biilive_function_errors_total'), 0);
    assert.ok(has(all, 'biilive_function_iterator_age_seconds', { function: 'UpdateUserCounters' }));
    assert.ok(value(all, 'biilive_function_duration_seconds_count', { function: 'UpdateUserCounters' }) >= 1);
    assert.equal(value(all, 'biilive_realtime_connections'), 1);
    assert.equal(value(all, 'biilive_realtime_subscriptions'), 1);
    assert.equal(value(all, 'biilive_realtime_messages_delivered_total', { field: 'onNewFollower' }), 1);
    assert.equal(value(all, 'biilive_realtime_delivery_seconds_count'), 1);
    assert.ok(has(all, 'nodejs_eventloop_lag_seconds'));
    client.close();
  });

  test('/alarms: the four local alarms per instance', async () => {
    const body = (await (await fetch(`${s.url}/alarms`)).json()) as { alarms: Array<{ id: string; instance: string; state: string }> };
    assert.deepEqual([...new Set(body.alarms.map((a) => a.id))], ['ApiLatency', 'DynamoDbThrottles', 'FunctionErrors', 'MediaErrors']);
    // Five-minute periods: nothing complete yet.
    assert.ok(body.alarms.every((a) => a.state === 'INSUFFICIENT_DATA'));
  });
});

describe('operator commands beside the running server', () => {
  test('ops export writes the rules and the dashboard generated from the definition', async () => {
    const rules = join(scratch, 'rules.yml');
    const grafana = join(scratch, 'dashboard.json');
    const r = await runCli(['ops', 'export', '--prometheus-rules', rules, '--grafana', grafana]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(rules, 'utf8'), rulesYaml(prometheusRules()));
    assert.deepEqual(JSON.parse(readFileSync(grafana, 'utf8')), JSON.parse(JSON.stringify(grafanaDashboard())));
    const none = await runCli(['ops', 'export']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--prometheus-rules FILE and\/or --grafana FILE/);
  });

  test("cost: the seed's model with the price date; projected from the running server by URL or data dir", async () => {
    const model = await runCli(['cost']);
    assert.equal(model.code, 0, model.stderr);
    assert.match(model.stdout, /eu-west-3 list prices as of \d{4}-\d{2}-\d{2}/);
    assert.match(model.stdout, /seed's own five figures were not available/);
    for (const line of ['DynamoDB (on demand)', 'S3 (media)', 'CloudFront', 'Lambda', 'AppSync']) assert.match(model.stdout, new RegExp(`^${line.replace(/[()]/g, '\\$&')} .*\\$\\d+\\.\\d\\d$`, 'm'));
    assert.match(model.stdout, /^total\s+\$96\.50$/m);

    const byUrl = await runCli(['cost', '--from-metrics', s.url, '--json']);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    const out = JSON.parse(byUrl.stdout) as { model: { totalUsd: number }; projection: { estimate: { lines: Array<{ service: string; usage: string; usd: number }> }; countedSeconds: number } };
    assert.equal(out.model.totalUsd, 96.5);
    assert.ok(out.projection.countedSeconds > 0);
    const appsync = out.projection.estimate.lines.find((l) => l.service === 'appsync')!;
    assert.ok(appsync.usd > 0, 'the API requests of this run project to a cost');

    const byDir = await runCli(['cost', '--data-dir', dataDir]);
    assert.equal(byDir.code, 0, byDir.stderr);
    assert.match(byDir.stdout, /Projected from http:\/\/127\.0\.0\.1:\d+\/metrics/);
    assert.match(byDir.stdout, /^total\s+\$96\.50\s+\$\d+\.\d\d$/m);

    const noServer = await runCli(['cost', '--data-dir', scratch]);
    assert.equal(noServer.code, 2);
    assert.match(noServer.stderr, /no server is running on/);
    const notMetrics = await runCli(['cost', '--from-metrics', `${s.url}/healthz`]);
    assert.equal(notMetrics.code, 1);
    assert.match(notMetrics.stderr, /not a BiiLive \/metrics page/);
  });

  test('users disable / enable: as AdminDisableUser, no sign-in while disabled', async () => {
    const off = await runCli(['users', 'disable', 'caro', '--data-dir', dataDir], childEnv());
    assert.equal(off.code, 0, off.stderr);
    await assert.rejects(signIn(s, 'caro', PASSWORD), (err: Error) => err.name === 'NotAuthorizedException' && err.message === 'User is disabled.');
    const on = await runCli(['users', 'enable', 'caro', '--data-dir', dataDir], childEnv());
    assert.equal(on.code, 0, on.stderr);
    assert.ok((await signIn(s, 'caro', PASSWORD)).AccessToken);
    const nobody = await runCli(['users', 'disable', 'nobody', '--data-dir', dataDir], childEnv());
    assert.notEqual(nobody.code, 0);
    assert.match(nobody.stderr, /User does not exist/);
  });

  test('progress: plain lines when stderr is not a terminal (db init, doctor counters); --quiet has none', async () => {
    const fresh = mkdtempSync(join(scratch, 'init-'));
    const init = await runCli(['db', 'init', '--data-dir', fresh], childEnv());
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /^db init: tables 0\/\d+ ready$/m);
    assert.match(init.stderr, /^db init: tables (\d+)\/\1 ready$/m);
    const doctor = await runCli(['doctor', 'counters', '--data-dir', dataDir, '--log-level', 'silent'], childEnv());
    assert.equal(doctor.code, 0, doctor.stderr);
    assert.match(doctor.stderr, /^doctor: recount 3 users, 0 drifting counters$/m);
    const quiet = await runCli(['doctor', 'counters', '--data-dir', dataDir, '--log-level', 'silent', '--quiet'], childEnv());
    assert.equal(quiet.stderr, '');
  });
});
