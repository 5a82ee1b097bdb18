/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core (one browser for
 * the file), against the real app (SQLite, fs media) with short sampling and alarm periods. An
 * admin signs in with the user pool and sees the four graphs draw a load the test makes, an
 * alarm go to ALARM when the test injects ProcessProfilePhoto errors (a storage fault: a file
 * where the function must create its output folder) and back to OK, finds a user, repairs
 * injected counter drift and runs CalculateRankings; a non-admin and an anonymous visitor are
 * refused. Screenshots of every page go to test-output/console/ (gitignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { childEnv, runCli, signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { graphqlCaller } from '../support/graphql-client.ts';
import { phoneJpeg } from '../support/images.ts';
import type { AlarmTransition } from '../../src/runtime/alarms.ts';

const CHROMIUM = '/usr/bin/chromium';
/** Without the background-networking flags Chromium hangs on this kind of closed network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHOTS = fileURLToPath(new URL('../../test-output/console/', import.meta.url));
const PASSWORD = 'C0nsole-Passw0rd!';
/** Generous bounds for states the server reaches on its own timers. */
const WAIT = { timeout: 60_000 };

let s: TestServer;
let dataDir: string;
let browser: Browser;
let page: Page;
let hook: Server;
const transitions: AlarmTransition[] = [];
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};
const { data } = graphqlCaller(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      transitions.push(JSON.parse(body) as AlarmTransition);
      res.end();
    });
  });
  await new Promise<void>((ok) => hook.listen(0, '127.0.0.1', ok));
  dataDir = mkdtempSync(join(tmpdir(), 'biilive-console-'));
  s = await startTestServer({
    dataDir,
    monitoring: { sampleSeconds: 1, alarmPeriodSeconds: 2, alarmWebhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alarms` },
  });
  for (const name of ['ops', 'pat', 'quin']) {
    ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com`, nickname: name });
  }
  // The admin group, as an operator gives it: the CLI on the same data dir while the server runs.
  const added = await runCli(['users', 'group', 'add', 'ops', 'admin', '--data-dir', dataDir], childEnv());
  assert.equal(added.code, 0, added.stderr);
  for (const name of ['ops', 'pat', 'quin']) tokens[name] = (await signIn(s, name, PASSWORD)).IdToken;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});

after(async () => {
  await browser?.close();
  await s?.stop();
  await new Promise((ok) => hook?.close(ok));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const consoleUrl = (hash = '') => `${s.url}/console${hash}`;

async function signInPage(username: string, password = PASSWORD) {
  await page.goto(consoleUrl());
  await page.waitForSelector('#signin:not([hidden])');
  await page.fill('[data-testid=username]', username);
  await page.fill('[data-testid=password]', password);
  await page.click('[data-testid=signin]');
}

async function api(path: string, init: RequestInit = {}) {
  const res = await fetch(`${s.url}/console/api/${path}`, init);
  return { status: res.status, json: (await res.json()) as { errors?: Array<{ errorType: string; message: string }> } & Record<string, unknown> };
}
const bearer = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });

/** A profile photo through the real upload path; resolves once the server has the upload. */
async function uploadPhoto(who: string): Promise<void> {
  const body = await phoneJpeg();
  const t = (await data('mutation ($l: Int!) { requestUpload(kind: PROFILE_PHOTO, contentType: "image/jpeg", contentLength: $l) { uploadUrl method headers } }', { l: body.length }, who))
    .requestUpload as { uploadUrl: string; method: string; headers: string };
  const res = await fetch(t.uploadUrl, { method: t.method, headers: JSON.parse(t.headers) as Record<string, string>, body: new Uint8Array(body) });
  assert.equal(res.status, 200, await res.text());
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('console API', () => {
  test('the same authorization as GraphQL, and the admin group: anonymous, API key, bad token, non-admin refused', async () => {
    const anonymous = await api('overview');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.errors![0].errorType, 'UnauthorizedException');
    assert.equal((await api('overview', { headers: { 'x-api-key': s.app.installation.apiKey } })).status, 401);
    assert.equal((await api('overview', { headers: { authorization: 'Bearer not.a.jwt' } })).status, 401);
    const member = await api('overview', { headers: bearer('pat') });
    assert.equal(member.status, 403);
    assert.equal(member.json.errors![0].errorType, 'Unauthorized');
    assert.equal((await api('overview', { headers: bearer('ops') })).status, 200);
    const config = await api('config');
    assert.equal(config.status, 200, 'the sign-in page needs the client id before anyone signs in');
    assert.equal(config.json.clientId, s.app.installation.userPoolClientId);
    // Bad input gets the same error shape.
    const json = { ...bearer('ops'), 'content-type': 'application/json' };
    assert.equal((await api(`users/${ids.pat}/groups`, { method: 'POST', headers: json, body: '{nope' })).json.errors![0].errorType, 'BadRequestException');
    assert.equal((await api(`users/${ids.pat}/groups`, { method: 'POST', headers: json, body: '{"group":"staff","member":true}' })).status, 400);
    assert.equal((await api('users/nobody-at-all', { headers: bearer('ops') })).status, 404);
    assert.equal((await api('nothing-here', { headers: bearer('ops') })).status, 404);
    assert.equal((await api('rankings/run', { headers: bearer('ops') })).status, 405);
  });
});

describe('console in Chromium', () => {
  test('an anonymous visitor gets only the sign-in form; a wrong password and a non-admin are refused', async () => {
    await page.goto(consoleUrl('#users'));
    await page.waitForSelector('#signin:not([hidden])');
    assert.equal(await page.isHidden('#app'), true);
    await shot('01-signin');
    await signInPage('pat', 'Wr0ng-Passw0rd!');
    await page.waitForFunction(() => document.querySelector('[data-testid=signin-error]')?.textContent?.includes('Incorrect'));
    await signInPage('pat');
    await page.waitForFunction(() => document.querySelector('[data-testid=signin-error]')?.textContent?.includes('admin group'));
    assert.equal(await page.isHidden('#app'), true, 'a non-admin never sees the console');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'and keeps no token');
    await shot('02-refused-non-admin');
  });

  test('an admin signs in; the four graphs draw the load the test makes', async () => {
    await signInPage('ops');
    await page.waitForSelector('[data-testid=who]:has-text("ops")');
    await page.waitForSelector('[data-testid=graph] >> nth=3');
    // A short load touching every row: API requests, store calls, functions (follows, a photo), media.
    await data('mutation ($id: ID!) { followUser(followedId: $id) { followerId } }', { id: ids.pat }, 'ops');
    await data('mutation ($id: ID!) { followUser(followedId: $id) { followerId } }', { id: ids.quin }, 'pat');
    await data('mutation ($id: ID!) { sendMessage(receiverId: $id, message: "hola") { messageId } }', { id: ids.quin }, 'pat');
    for (let i = 0; i < 20; i++) await data('query ($id: ID!) { getUser(userId: $id) { nickname } }', { id: ids.pat }, 'key');
    await uploadPhoto('ops');
    const thumb = await until('the processed thumbnail', async () => {
      const u = (await data('query ($id: ID!) { getUser(userId: $id) { profileThumbnailUrl } }', { id: ids.ops }, 'key')).getUser as { profileThumbnailUrl: string | null };
      return u.profileThumbnailUrl ?? undefined;
    });
    assert.equal((await fetch(thumb)).status, 200);
    await page.waitForFunction(
      () => {
        const graphs = [...document.querySelectorAll<HTMLElement>('[data-testid=graph]')];
        return graphs.length === 4 && graphs.every((g) => Number(g.dataset.nonzero) > 0);
      },
      undefined,
      WAIT,
    );
    const titles = await page.$$eval('[data-testid=graph]', (els) => els.map((e) => (e as HTMLElement).dataset.title));
    assert.deepEqual(titles, ['API requests and errors', 'DynamoDB throttles', 'Function invocations and errors', 'Media GET/PUT requests']);
    assert.equal(await page.textContent('[data-testid=fact-store]'), 'sqlite');
    assert.ok((await page.$$('canvas')).length >= 4, 'uPlot drew on canvases');
    await shot('03-overview');
  });

  test('function errors above 1 % put FunctionErrors in ALARM, then back to OK: on the page, at /alarms and to the webhook', async () => {
    const row = (state: string) => `[data-testid=alarm][data-alarm=FunctionErrors][data-instance=ProcessProfilePhoto][data-state=${state}]`;
    await page.waitForSelector(row('OK'), WAIT);
    // The fault: a file where ProcessProfilePhoto must create quin's output folder, so every run (and retry) fails.
    writeFileSync(join(dataDir, 'media', 'biihlivemedia', 'profile-photos', ids.quin), 'in the way');
    await uploadPhoto('quin');
    await page.waitForSelector(row('ALARM'), WAIT);
    await shot('04-alarm');
    const alarms = (await (await fetch(`${s.url}/alarms`)).json()) as { alarms: Array<{ id: string; instance: string; state: string }> };
    assert.equal(alarms.alarms.find((a) => a.id === 'FunctionErrors' && a.instance === 'ProcessProfilePhoto')?.state, 'ALARM');
    // The retries end; a period without invocations is 0 % again.
    await page.waitForSelector(row('OK'), WAIT);
    const mine = () => transitions.filter((t) => t.alarm === 'FunctionErrors' && t.instance === 'ProcessProfilePhoto').map((t) => t.to);
    await until('the webhook calls', async () => (mine().includes('OK') && mine().indexOf('ALARM') < mine().lastIndexOf('OK') ? true : undefined), 10_000);
    const alarm = transitions.find((t) => t.alarm === 'FunctionErrors' && t.to === 'ALARM')!;
    assert.ok(alarm.value! > 1, `value ${alarm.value} above the 1 % threshold`);
    await shot('05-alarm-ok-again');
  });

  test('finds a user by nickname: counters, followers, groups; adds and removes admin; disables and enables', async () => {
    await page.click('[data-testid=nav-users]');
    await page.fill('[data-testid=user-search]', 'pa');
    await page.click('[data-testid=user-search-go]');
    await page.click('[data-testid=user-link]:has-text("pat")');
    await page.waitForSelector('[data-testid=profile-nickname]:has-text("pat")');
    assert.equal(await page.textContent('[data-testid=profile-followers]'), '1');
    assert.equal(await page.textContent('[data-testid=profile-following]'), '1');
    assert.equal(await page.textContent('[data-testid=profile-conversations]'), '1');
    assert.equal(await page.textContent('[data-testid=profile-groups]'), 'none');
    assert.deepEqual(await page.$$eval('[data-testid=followers] li', (els) => els.map((e) => e.textContent)), ['ops']);
    assert.deepEqual(await page.$$eval('[data-testid=following] li', (els) => els.map((e) => e.textContent)), ['quin']);
    await page.click('[data-testid=toggle-admin]');
    await page.waitForSelector('[data-testid=profile-groups]:has-text("admin")');
    await page.click('[data-testid=toggle-admin]');
    await page.waitForSelector('[data-testid=profile-groups]:has-text("none")');
    await page.click('[data-testid=toggle-enabled]');
    await page.waitForSelector('[data-testid=profile-status]:has-text("DISABLED")');
    await shot('06-users');
    // Disabled as Cognito's AdminDisableUser: no sign-in, and the token already issued is refused.
    await assert.rejects(
      s.cognito.send(new InitiateAuthCommand({ ClientId: s.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'pat', PASSWORD } })),
      (err: Error) => err.name === 'NotAuthorizedException' && /disabled/.test(err.message),
    );
    const refused = await fetch(s.app.endpoints.graphqlUrl, { method: 'POST', headers: { authorization: tokens.pat, 'content-type': 'application/json' }, body: '{"query":"{ me { userId } }"}' });
    assert.equal(refused.status, 401);
    await page.click('[data-testid=toggle-enabled]');
    await page.waitForSelector('[data-testid=profile-status]:text-is("CONFIRMED")');
    tokens.pat = (await signIn(s, 'pat', PASSWORD)).IdToken;
  });

  test('repairs injected counter drift (what `biilive doctor counters --fix` does); counts conversations, not contents', async () => {
    await s.app.tables.update({ table: s.app.config.tables.users, key: { userId: ids.quin }, set: { seguidores: 42 } });
    await page.click('[data-testid=nav-social]');
    await page.click('[data-testid=check-counters]');
    await page.waitForSelector('[data-testid=counters][data-state=done] [data-testid=drift-summary][data-drift="1"]', WAIT);
    assert.match((await page.textContent('[data-testid=drift]'))!, new RegExp(`${ids.quin}\\s*seguidores\\s*42\\s*1`));
    await shot('07-social-drift');
    await page.click('[data-testid=repair-counters]');
    await page.waitForSelector('[data-testid=counters][data-state=done] [data-testid=drift-summary][data-fixed="1"]', WAIT);
    await page.click('[data-testid=check-counters]');
    await page.waitForSelector('[data-testid=counters][data-state=done] [data-testid=drift-summary][data-drift="0"]', WAIT);
    const quin = (await data('query ($id: ID!) { getUser(userId: $id) { seguidores } }', { id: ids.quin }, 'key')).getUser as { seguidores: number };
    assert.equal(quin.seguidores, 1);
    await page.fill('[data-testid=conversation-search]', 'qu');
    await page.press('[data-testid=conversation-search]', 'Enter');
    await page.waitForSelector('[data-testid=conversation-counts] td:text-is("1")');
    assert.ok(!(await page.content()).includes('hola'), 'no message contents');
    await shot('08-social-repaired');
  });

  test('media: recent uploads with thumbnails, failures with their reasons', async () => {
    await page.click('[data-testid=nav-media]');
    await page.waitForSelector('[data-testid=media-event][data-status=processed] img');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=media-event] img')].some((i) => i.complete && i.naturalWidth > 0));
    const failed = await page.textContent('[data-testid=media-event][data-status=failed]');
    assert.match(failed!, /BlobKeyError: key profile-photos\/.* conflicts with another key used as a folder/);
    await shot('09-media');
  });

  test('rankings: runs CalculateRankings now, with progress, and shows the snapshot by scope', async () => {
    await page.click('[data-testid=nav-rankings]');
    await page.waitForSelector('[data-testid=rankings-snapshot]:has-text("none yet")');
    await page.click('[data-testid=run-rankings]');
    await page.waitForSelector('[data-testid=rankings-run][data-state=done]', WAIT);
    await page.waitForSelector('[data-testid=ranking] >> nth=2');
    assert.match((await page.textContent('[data-testid=rankings-snapshot]'))!, /^\d{4}-\d{2}-\d{2}$/);
    assert.match((await page.textContent('[data-testid=rankings-run]'))!, /demand.*done/);
    await shot('10-rankings');
  });

  test('GraphQL explorer runs a query with the signed-in token', async () => {
    await page.click('[data-testid=nav-graphql]');
    await page.waitForSelector('.graphiql-container', WAIT);
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => document.querySelector('.graphiql-response')?.textContent?.includes('"nickname": "ops"'), undefined, WAIT);
    await shot('11-graphql');
  });

  test('cost: the model and the projected month, five lines each', async () => {
    await page.click('[data-testid=nav-cost]');
    await page.waitForSelector('[data-testid=cost-line] >> nth=4');
    assert.equal((await page.$$('[data-testid=cost-line]')).length, 5);
    assert.equal(await page.textContent('[data-testid=cost-total]'), '$96.50');
    await shot('12-cost');
  });
});
