/**
 * A real client no one here wrote: Amplify JS v6, configured with this server's endpoints (as
 * `biilive info --amplify` prints them), signs in against the embedded user pool over HTTPS and
 * subscribes over wss:// to the self-signed TLS server, trusting the generated certificate through
 * NODE_EXTRA_CA_CERTS; another user sends a message over HTTPS and Amplify receives it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { amplifyConfig } from '../../src/runtime/endpoints.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'Corr3ct!horse';
const CHILD = fileURLToPath(new URL('./realtime-amplify-child.mjs', import.meta.url));
const ON_MESSAGE = 'subscription OnMessage($r: ID) { onMessageReceived(receiverId: $r) { messageId senderId receiverId message createdAt } }';

type Line = { event: string; [k: string]: unknown };

/** Amplify in its own process; `next(event)` resolves with the next line of that event. */
function amplify(server: TestServer, job: object) {
  const child: ChildProcess = spawn(process.execPath, [CHILD], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: server.app.tls!.certPath, BIILIVE_AMPLIFY_JOB: JSON.stringify(job) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines: Line[] = [];
  const waiters: Array<{ event: string; ok: (l: Line) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    const i = waiters.findIndex((w) => w.event === line.event);
    if (i === -1) lines.push(line);
    else waiters.splice(i, 1)[0].ok(line);
  });
  return {
    lines,
    next(event: string, ms = 20_000): Promise<Line> {
      const i = lines.findIndex((l) => l.event === event);
      if (i !== -1) return Promise.resolve(lines.splice(i, 1)[0]);
      return new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`Amplify sent no ${event}: ${JSON.stringify(lines)} ${stderr}`)), ms);
        waiters.push({ event, ok: (l) => (clearTimeout(timer), ok(l)) });
      });
    },
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', () => ok());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

describe('Amplify JS v6 over TLS', () => {
  let s: TestServer;
  const subs: Record<string, string> = {};
  const children: Array<ReturnType<typeof amplify>> = [];

  /** GraphQL over HTTPS, trusting the server's certificate (fetch cannot take a CA). */
  const gql = (query: string, variables: object, headers: Record<string, string>) =>
    new Promise<{ data?: Record<string, unknown>; errors?: unknown[] }>((resolve, reject) => {
      const body = JSON.stringify({ query, variables });
      const req = request(s.app.endpoints.graphqlUrl, { method: 'POST', ca: s.app.tls!.cert, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      req.end(body);
    });

  const subscribed = async (count: number) => {
    const deadline = Date.now() + 20_000;
    while (s.app.realtime.stats().subscriptions < count) {
      if (Date.now() > deadline) throw new Error('the subscription never reached the server');
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  before(async () => {
    s = await startTestServer({ tls: true, autoConfirm: true });
    for (const name of ['ana', 'ben']) subs[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com` });
  });
  after(async () => {
    for (const c of children) await c.stop();
    await s?.stop();
  });

  test('the server speaks TLS with its generated certificate, and its URLs say so', () => {
    assert.match(s.app.endpoints.graphqlUrl, /^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
    assert.equal(s.app.endpoints.realtimeUrl, s.app.endpoints.graphqlUrl.replace('https:', 'wss:') + '/realtime');
    assert.equal(s.app.endpoints.tlsCertPath, s.app.tls!.certPath);
    assert.match(s.app.tls!.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('Amplify signed in with the user pool receives a message another user sends', async () => {
    const ana = amplify(s, {
      config: amplifyConfig(s.app.endpoints),
      username: 'ana',
      password: PASSWORD,
      query: ON_MESSAGE,
      variables: { r: subs.ana },
      authMode: 'userPool',
    });
    children.push(ana);
    assert.equal((await ana.next('signedIn')).isSignedIn, true);
    await subscribed(1);
    const ben = await signIn(s, 'ben', PASSWORD);
    const sent = await gql(
      'mutation($r: ID!, $m: String!) { sendMessage(receiverId: $r, message: $m) { messageId senderId receiverId message createdAt } }',
      { r: subs.ana, m: '¡Hola desde Amplify!' },
      { authorization: ben.AccessToken },
    );
    assert.equal(sent.errors, undefined);
    const got = await ana.next('data');
    assert.deepEqual(got.data, { onMessageReceived: sent.data!.sendMessage });
    assert.ok(ana.lines.some((l) => l.event === 'state' && l.state === 'Connected'), 'Amplify reported the connection as Connected');
  });

  test('Amplify with the API key is refused with AppSync\'s error (the field is user-pool only)', async () => {
    const config = amplifyConfig(s.app.endpoints);
    config.API.GraphQL.defaultAuthMode = 'apiKey';
    const anon = amplify(s, { config, query: ON_MESSAGE, variables: { r: subs.ana }, authMode: 'apiKey' });
    children.push(anon);
    const err = await anon.next('error');
    assert.match(JSON.stringify(err.error), /Not Authorized to access onMessageReceived on type Subscription/);
  });
});
