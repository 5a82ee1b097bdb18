/**
 * Media through the REAL app (startApp via startTestServer): user-pool tokens from the Cognito
 * endpoint, requestUpload / listPhotos / deletePhoto over GraphQL, direct PUTs to the signed URLs,
 * ProcessProfilePhoto triggered by the store, the processed objects read back through the CDN paths
 * of the same port, and `biilive cdn invalidate` as a child process on the same data dir.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { EmbeddedUrlSigner } from '../../src/adapters/blobs/url-signer.ts';
import { loadMediaSigningSecret } from '../../src/domain/media/signing-secret.ts';
import { randomIds } from '../../src/ports/ids.ts';
import { childEnv, runCli, signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';
import { phoneJpeg } from '../support/images.ts';

const PASSWORD = 'Med1a-Passw0rd!';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies are checked field by field with assert
type Json = any;
interface Reply {
  status: number;
  json: { data?: Record<string, Json> | null; errors?: Array<{ errorType: string | null; message: string }> };
}

let s: TestServer;
let dataDir: string;
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'biilive-'));
  s = await startTestServer({ dataDir, autoConfirm: true, media: { invalidationPollMs: 100 } });
  for (const name of ['ana', 'bea']) {
    ids[name] = await signUpAndConfirm(s, name, PASSWORD, { email: `${name}@example.com` });
    tokens[name] = (await signIn(s, name, PASSWORD)).AccessToken;
  }
});

after(async () => {
  await s?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// ---- helpers --------------------------------------------------------------------------------

async function gql(query: string, variables: Record<string, unknown>, auth: string): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth === 'key') headers['x-api-key'] = s.app.installation.apiKey;
  else headers.authorization = tokens[auth];
  const res = await fetch(s.app.endpoints.graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, json: (await res.json()) as Reply['json'] };
}
async function data(query: string, variables: Record<string, unknown>, auth: string): Promise<Record<string, Json>> {
  const r = await gql(query, variables, auth);
  assert.equal(r.json.errors, undefined, JSON.stringify(r.json.errors));
  return r.json.data!;
}

const REQUEST_UPLOAD = `mutation ($kind: UploadKind!, $type: String!, $len: Int!) {
  requestUpload(kind: $kind, contentType: $type, contentLength: $len) { key uploadUrl method expiresAt headers }
}`;
const GET_USER = 'query ($id: ID!) { getUser(userId: $id) { profilePhotoUrl profileThumbnailUrl } }';
const LIST_PHOTOS = `query ($id: ID!, $limit: Int, $next: String) {
  listPhotos(userId: $id, limit: $limit, nextToken: $next) { items { photoId userId url thumbnailUrl width height createdAt } nextToken }
}`;
const DELETE_PHOTO = 'mutation ($id: ID!) { deletePhoto(photoId: $id) }';

interface Ticket {
  key: string;
  uploadUrl: string;
  method: string;
  expiresAt: string;
  headers: Record<string, string>;
}

async function requestUpload(who: string, kind: string, type: string, len: number): Promise<Ticket> {
  const t = (await data(REQUEST_UPLOAD, { kind, type, len }, who)).requestUpload;
  return { ...t, headers: JSON.parse(t.headers) as Record<string, string> };
}

async function upload(who: string, kind: string, body: Buffer, type = kind === 'VIDEO' ? 'video/mp4' : 'image/jpeg') {
  const ticket = await requestUpload(who, kind, type, body.length);
  const res = await fetch(ticket.uploadUrl, { method: ticket.method, headers: ticket.headers, body: new Uint8Array(body) });
  return { ticket, res, text: await res.text() };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url.startsWith('http') ? url : `${s.url}${url}`, { headers });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const bucketDir = () => join(dataDir, 'media', 'biihlivemedia');
/** Every stored object's relative path (the store's own metadata folder left out). */
const stored = () => {
  try {
    return readdirSync(bucketDir(), { recursive: true })
      .map(String)
      .filter((p) => /\.(jpg|mp4)$/.test(p) && !p.startsWith('.'));
  } catch {
    return [];
  }
};

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : 0;
}


// ---- tests ----------------------------------------------------------------------------------

describe('media over the real app', () => {
  let profilePhotoUrl: string;

  test('profile photo: requestUpload, PUT, ProcessProfilePhoto, served upright and stripped through the CDN path', async () => {
    const original = await phoneJpeg();
    const meta = await sharp(original).metadata();
    assert.equal(meta.orientation, 6);
    assert.ok(meta.exif && meta.exif.length > 0, 'the upload carries EXIF');

    const { ticket, res, text } = await upload('ana', 'PROFILE_PHOTO', original);
    assert.equal(res.status, 200, text);
    assert.equal(ticket.method, 'PUT');
    assert.match(ticket.key, new RegExp(`^profile-photos/${ids.ana}/photo_\\d{13}\\.jpg$`));
    assert.ok(ticket.uploadUrl.startsWith(`${s.url}/media/upload/`), ticket.uploadUrl);
    assert.ok(Date.parse(ticket.expiresAt) > Date.now(), 'expiresAt is in the future');
    assert.equal(ticket.headers['content-type'], 'image/jpeg');

    const user = await until('profilePhotoUrl', async () => {
      const u = (await data(GET_USER, { id: ids.ana }, 'key')).getUser;
      return u.profilePhotoUrl ? u : undefined;
    });
    profilePhotoUrl = user.profilePhotoUrl;
    assert.equal(user.profilePhotoUrl, `${s.url}/${ticket.key}`);
    assert.equal(user.profileThumbnailUrl, `${s.url}/${ticket.key.replace('/photo_', '/thumbnail_')}`);
    assert.deepEqual((await data('{ me { profilePhotoUrl } }', {}, 'ana')).me, { profilePhotoUrl });

    for (const [url, w, h] of [[user.profilePhotoUrl, 810, 1080], [user.profileThumbnailUrl, 200, 200]] as const) {
      const { res: got, body } = await get(url);
      assert.equal(got.status, 200, url);
      assert.equal(got.headers.get('content-type'), 'image/jpeg');
      assert.equal(got.headers.get('cache-control'), 'public, max-age=86400');
      assert.match(got.headers.get('etag')!, /^"[0-9a-f]{32}"$/);
      const out = await sharp(body).metadata();
      assert.deepEqual([out.format, out.width, out.height], ['jpeg', w, h], url);
      assert.equal(out.exif, undefined, 'no EXIF (so no GPS) left');
      assert.ok(!out.orientation || out.orientation === 1, 'no orientation flag left');
      assert.equal((await get(url, { 'if-none-match': got.headers.get('etag')! })).res.status, 304);
    }
    // Upright: the stored top (red) is now the right side, the stored bottom (blue) the left.
    const { data: px, info } = await sharp((await get(profilePhotoUrl)).body).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...px.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    assert.ok(at(20, 540)[2] > 200 && at(20, 540)[0] < 60, `left is blue: ${at(20, 540)}`);
    assert.ok(at(info.width - 20, 540)[0] > 200 && at(info.width - 20, 540)[2] < 60, `right is red: ${at(info.width - 20, 540)}`);
    assert.ok((await metric('biilive_media_requests_total', 'method="PUT"')) >= 1, 'media PUTs are counted');
  });

  test('gallery: listPhotos shows full and thumbnail URLs; another user cannot delete; the owner can', async () => {
    const jpeg = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#aa5500' } }).jpeg().toBuffer();
    const { ticket, res } = await upload('ana', 'PHOTO', jpeg);
    assert.equal(res.status, 200);
    assert.match(ticket.key, new RegExp(`^fotos/${ids.ana}/full_\\d{13}\\.jpg$`));
    const photo = await until('listPhotos', async () => {
      const page = (await data(LIST_PHOTOS, { id: ids.ana, limit: 10 }, 'key')).listPhotos;
      return page.items.find((p: Json) => p.url === `${s.url}/${ticket.key}`);
    });
    assert.equal(photo.userId, ids.ana);
    assert.equal(photo.thumbnailUrl, `${s.url}/${ticket.key.replace('/full_', '/thumbnail_')}`);
    assert.deepEqual([photo.width, photo.height], [1080, 540]);
    assert.match(photo.createdAt, /^\d{4}-\d{2}-\d{2}T/);

    const full = await get(photo.url);
    assert.equal(full.res.status, 200);
    assert.equal(full.res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const thumb = await get(photo.thumbnailUrl);
    assert.equal(thumb.res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const t = await sharp(thumb.body).metadata();
    assert.deepEqual([t.width, t.height], [200, 200]);

    // Another user: by id it is not theirs (false, nothing deleted); by ana's key, Unauthorized.
    assert.equal((await data(DELETE_PHOTO, { id: photo.photoId }, 'bea')).deletePhoto, false);
    const byKey = await gql(DELETE_PHOTO, { id: ticket.key }, 'bea');
    assert.equal(byKey.json.errors?.[0]?.errorType, 'Unauthorized', JSON.stringify(byKey.json));
    assert.equal((await gql(DELETE_PHOTO, { id: photo.photoId }, 'key')).json.errors?.[0]?.errorType, 'Unauthorized');
    assert.equal((await get(photo.url)).res.status, 200);

    assert.equal((await data(DELETE_PHOTO, { id: photo.photoId }, 'ana')).deletePhoto, true);
    const after = (await data(LIST_PHOTOS, { id: ids.ana }, 'ana')).listPhotos;
    assert.ok(!after.items.some((p: Json) => p.photoId === photo.photoId), 'gone from the listing');
    // The cached copy goes once the shared invalidation is polled.
    await until('the deleted photo to 404', async () => ((await get(photo.url)).res.status === 404 ? true : undefined));
    assert.equal((await get(photo.thumbnailUrl)).res.status, 404);
  });

  test('video: Range returns exactly the bytes (206), out of range 416, no-cache', async () => {
    const video = randomBytes(200_000);
    const { ticket, res, text } = await upload('bea', 'VIDEO', video);
    assert.equal(res.status, 200, text);
    assert.match(ticket.key, new RegExp(`^videos/${ids.bea}/video_\\d{13}\\.mp4$`));
    const part = await get(`/${ticket.key}`, { range: 'bytes=1000-1999' });
    assert.equal(part.res.status, 206);
    assert.equal(part.res.headers.get('content-range'), `bytes 1000-1999/${video.length}`);
    assert.deepEqual(part.body, video.subarray(1000, 2000));
    const out = await get(`/${ticket.key}`, { range: `bytes=${video.length}-` });
    assert.equal(out.res.status, 416);
    const whole = await get(`/${ticket.key}`);
    assert.deepEqual(whole.body, video);
    assert.equal(whole.res.headers.get('cache-control'), 'no-cache');
    assert.equal(whole.res.headers.get('content-type'), 'video/mp4');
  });

  test('expired or tampered URLs and another user key are refused; nothing stored', async () => {
    const before = stored();
    const body = randomBytes(500);
    const ticket = await requestUpload('bea', 'PHOTO', 'image/jpeg', body.length);
    const put = async (url: string) => {
      const res = await fetch(url, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(body) });
      return { status: res.status, text: await res.text() };
    };
    const url = new URL(ticket.uploadUrl);
    const tampered = new URL(url);
    const sig = tampered.searchParams.get('sig')!;
    tampered.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const t = await put(tampered.href);
    assert.equal(t.status, 403);
    assert.match(t.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    const other = await put(url.href.replace(`/${ids.bea}/`, `/${ids.ana}/`));
    assert.equal(other.status, 403);

    // Genuinely signed by this installation, but already expired.
    const secret = await loadMediaSigningSecret(s.app.tables, s.app.config.tables.system, randomIds);
    const signer = new EmbeddedUrlSigner({ secret, baseUrl: s.url });
    const key = url.pathname.slice('/media/upload/'.length).split('/').map(decodeURIComponent).join('/');
    const expired = await put(signer.signPut(key, 'image/jpeg', body.length, Date.now() - 60_000));
    assert.equal(expired.status, 403);
    assert.match(expired.text, /<Code>AccessDenied<\/Code>.*expired/s);
    assert.deepEqual(stored(), before, 'nothing stored');
  });

  test('non-image bytes named .jpg: rejected and counted, profile unchanged, server up', async () => {
    const failuresBefore = await metric('biilive_photo_processing_failures_total', 'reason="not-an-image"');
    const { res } = await upload('ana', 'PROFILE_PHOTO', Buffer.from('definitely not a JPEG, only text named .jpg'));
    assert.equal(res.status, 200);
    await until('the failure to be counted', async () =>
      (await metric('biilive_photo_processing_failures_total', 'reason="not-an-image"')) > failuresBefore ? true : undefined,
    );
    assert.deepEqual(stored().filter((p) => p.startsWith('incoming')), [], 'the refused upload left quarantine');
    assert.equal((await data(GET_USER, { id: ids.ana }, 'key')).getUser.profilePhotoUrl, profilePhotoUrl);
    assert.equal((await get(profilePhotoUrl)).res.status, 200);
  });

  test('requestUpload: bad input is a BadRequestException; the API key cannot upload', async () => {
    const bad = await gql(REQUEST_UPLOAD, { kind: 'PHOTO', type: 'image/svg+xml', len: 10 }, 'ana');
    assert.equal(bad.json.errors?.[0]?.errorType, 'BadRequestException');
    const big = await gql(REQUEST_UPLOAD, { kind: 'PROFILE_PHOTO', type: 'image/jpeg', len: 2_000_000_000 }, 'ana');
    assert.equal(big.json.errors?.[0]?.errorType, 'BadRequestException');
    const key = await gql(REQUEST_UPLOAD, { kind: 'PHOTO', type: 'image/jpeg', len: 10 }, 'key');
    assert.equal(key.json.errors?.[0]?.errorType, 'Unauthorized');
  });

  test('`biilive cdn invalidate --paths` records an invalidation beside the running server; bad paths exit 2', async () => {
    const run = await runCli(['cdn', 'invalidate', '--data-dir', dataDir, '--paths', '/profile-photos/*', '--paths', '/fotos/*'], childEnv());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^invalidation I\d+ created at \S+\n {2}\/profile-photos\/\*\n {2}\/fotos\/\*\n$/);
    assert.equal((await get(profilePhotoUrl)).res.status, 200, 'still served (from the store) after the invalidation');
    const bad = await runCli(['cdn', 'invalidate', '--data-dir', dataDir, '--paths', 'no-slash'], childEnv());
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /cdn invalidate refused/);
  });
});
