/**
 * Media end to end over real HTTP: a minimal server (node:http + the media handler) on the
 * filesystem blob store and SQLite tables, assembled by createMediaModule as app.ts does; uploads
 * go through requestUpload and a real PUT, ProcessProfilePhoto runs from the store's events with
 * sharp, and everything is read back through the CDN paths.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { deflateSync, crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { toProfile } from '../../src/domain/users/profile.ts';
import { loadConfig } from '../../src/config/load.ts';
import { AppError } from '../../src/domain/errors.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { randomIds } from '../../src/ports/ids.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import type { Tables } from '../../src/ports/tables.ts';
import { createMediaModule, type MediaModule } from '../../src/runtime/media.ts';
import { createMediaEndpoint } from '../../src/server/media/endpoint.ts';
import type { MediaHandler } from '../../src/server/media/handler.ts';
import { phoneJpeg } from '../support/images.ts';

const A = '3f1c2b7e-0000-4000-8000-00000000000a';
const B = '3f1c2b7e-0000-4000-8000-00000000000b';

let dataDir: string;
let tables: Tables;
let media: MediaModule;
let handler: MediaHandler;
let server: Server;
let base: string;
const clock = new ManualClock(Date.now());
const failures: string[] = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'biilive-'));
  const config = loadConfig({ flags: { dataDir, logLevel: 'silent', media: { invalidationPollMs: 60_000 } } });
  tables = openSqliteTables({ path: join(dataDir, 'biilive.sqlite'), synchronous: 'NORMAL', clock });
  await tables.ensure(tableDefinitions(config.tables));
  for (const userId of [A, B]) {
    await tables.put({ table: config.tables.users, item: { userId, nickname: `user_${userId.slice(-1)}`, createdAt: '2026-01-01T00:00:00.000Z' } });
  }
  media = await createMediaModule({
    config,
    tables,
    clock,
    ids: randomIds,
    log: silentLogger,
    publicUrl: () => base,
    onFailure: (reason) => failures.push(reason),
  });
  handler = createMediaEndpoint({ media, settings: config.media, clock, log: silentLogger });
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"message":"Not found"}');
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  await media.start();
});

after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  await handler?.close();
  await media?.close();
  await tables?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// ---- helpers --------------------------------------------------------------------------------

/** The profile as the API reads it: photo URLs built from the stored keys on the current base. */
const user = async (userId: string) => toProfile((await tables.get('BIILIVEDB-USERS', { userId }, { consistent: true }))!, media.urlFor);


/** Whether an EXIF block holds the GPS IFD pointer (tag 0x8825), in either byte order. */
const hasGps = (exif: Buffer) => exif.includes(Buffer.from([0x88, 0x25, 0x00, 0x04])) || exif.includes(Buffer.from([0x25, 0x88, 0x04, 0x00]));

/** A single-colour 20000x20000 PNG of about 50 KB: 1-bit grey, every row zero. */
function pngBomb(size = 20_000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const raw = Buffer.alloc((1 + Math.ceil(size / 8)) * size);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function upload(userId: string, kind: 'PROFILE_PHOTO' | 'PHOTO' | 'VIDEO', body: Buffer, contentType = kind === 'VIDEO' ? 'video/mp4' : 'image/jpeg') {
  const ticket = await media.service.requestUpload(userId, kind, contentType, body.length);
  const res = await fetch(ticket.uploadUrl, { method: 'PUT', headers: { 'content-type': ticket.headers['content-type'] }, body: new Uint8Array(body) });
  return { ticket, res, text: await res.text() };
}

async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(`${base}${path}`, { method, headers });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

/** A raw request (no URL normalisation by the client), for traversal attempts. */
function raw(method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: new URL(base).port, method, path }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const incoming = () => {
  try {
    return readdirSync(join(dataDir, 'media', 'biihlivemedia', 'incoming'), { recursive: true }).filter((p) => String(p).endsWith('.jpg'));
  } catch {
    return [];
  }
};

// ---- tests ----------------------------------------------------------------------------------

describe('profile photo: upload, ProcessProfilePhoto, CDN', () => {
  let ticketKey: string;

  test('a phone JPEG with EXIF orientation and GPS comes out upright, resized and stripped', async () => {
    const original = await phoneJpeg();
    const meta = await sharp(original).metadata();
    assert.equal(meta.orientation, 6);
    assert.ok(meta.exif && hasGps(meta.exif), 'the upload carries EXIF with a GPS directory');

    const { ticket, res, text } = await upload(A, 'PROFILE_PHOTO', original);
    assert.equal(res.status, 200, text);
    assert.match(ticket.key, new RegExp(`^profile-photos/${A}/photo_\\d{13}\\.jpg$`));
    assert.ok(Date.parse(ticket.expiresAt) > clock.now(), "Date.parse(ticket.expiresAt) > clock.now()");
    ticketKey = ticket.key;
    await media.trigger.idle();

    const profile = await user(A);
    assert.equal(profile.profilePhotoUrl, `${base}/${ticket.key}`);
    const thumbKey = ticket.key.replace('/photo_', '/thumbnail_');
    assert.equal(profile.profileThumbnailUrl, `${base}/${thumbKey}`);
    assert.deepEqual(incoming(), [], 'the original upload left quarantine');

    for (const [key, w, h] of [[ticket.key, 810, 1080], [thumbKey, 200, 200]] as const) {
      const { res: got, body } = await get(`/${key}`);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'image/jpeg');
      assert.equal(got.headers.get('cache-control'), 'public, max-age=86400');
      assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
      assert.match(got.headers.get('etag')!, /^"[0-9a-f]{32}"$/);
      assert.equal(Number(got.headers.get('content-length')), body.length);
      const out = await sharp(body).metadata();
      assert.equal(out.format, 'jpeg');
      assert.deepEqual([out.width, out.height], [w, h], key);
      assert.equal(out.exif, undefined, 'no EXIF/GPS left');
      assert.equal(out.xmp, undefined);
      assert.equal(out.iptc, undefined);
      assert.equal(out.icc, undefined);
      assert.ok(!out.orientation || out.orientation === 1, "!out.orientation || out.orientation === 1");
    }
    // Upright: the stored top (red) is the displayed right side, the stored bottom (blue) the left.
    const { body } = await get(`/${ticket.key}`);
    const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    const [lr, , lb] = px(20, 540);
    const [rr, , rb] = px(info.width - 20, 540);
    assert.ok(lb > 200 && lr < 60, `left is blue: ${px(20, 540)}`);
    assert.ok(rr > 200 && rb < 60, `right is red: ${px(info.width - 20, 540)}`);
  });

  test('the original upload is never served: the quarantine key is not a CDN path', async () => {
    assert.equal((await get(`/incoming/${ticketKey}`)).res.status, 404);
    assert.equal((await raw('GET', `/profile-photos/../incoming/${ticketKey}`)).status, 400);
  });

  test('If-None-Match -> 304; HEAD has the headers and no body', async () => {
    const first = await get(`/${ticketKey}`);
    const etag = first.res.headers.get('etag')!;
    const cachedHit = await get(`/${ticketKey}`);
    for (const h of ['content-type', 'content-length', 'cache-control', 'etag', 'last-modified', 'x-content-type-options', 'accept-ranges']) {
      assert.equal(cachedHit.res.headers.get(h), first.res.headers.get(h), h);
    }
    assert.ok(cachedHit.body.equals(first.body), 'the cached copy is the same bytes');
    const ranged = await get(`/${ticketKey}`, { range: 'bytes=0-9' });
    assert.equal(ranged.res.status, 206);
    assert.ok(ranged.body.equals(first.body.subarray(0, 10)), 'ranges work on cached objects too');
    const again = await get(`/${ticketKey}`, { 'if-none-match': etag });
    assert.equal(again.res.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.res.headers.get('etag'), etag);
    assert.equal(again.res.headers.get('cache-control'), 'public, max-age=86400');
    assert.equal((await get(`/${ticketKey}`, { 'if-none-match': `"nope", W/${etag}` })).res.status, 304);
    assert.equal((await get(`/${ticketKey}`, { 'if-none-match': '"other"' })).res.status, 200);
    const head = await get(`/${ticketKey}`, {}, 'HEAD');
    assert.equal(head.res.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.res.headers.get('content-length'), first.res.headers.get('content-length'));
    assert.equal(head.res.headers.get('etag'), etag);
  });

  test('a used upload URL cannot replace the published photo', async () => {
    const original = await phoneJpeg();
    const ticket = await media.service.requestUpload(A, 'PROFILE_PHOTO', 'image/jpeg', original.length);
    const put = () => fetch(ticket.uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(original) });
    assert.equal((await put()).status, 200);
    await media.trigger.idle();
    const reuse = await put();
    assert.equal(reuse.status, 403);
    assert.match(await reuse.text(), /<Code>AccessDenied<\/Code>/);
    assert.deepEqual(incoming(), []);
  });
});

describe('refused uploads: nothing stored', () => {
  const body = randomBytes(1000);

  async function refused(url: string, init: RequestInit, status: number, code: string) {
    const before = failures.length;
    const res = await fetch(url, { method: 'PUT', ...init });
    const text = await res.text();
    assert.equal(res.status, status, text);
    assert.equal(res.headers.get('content-type'), 'application/xml');
    assert.match(text, new RegExp(`<Code>${code}</Code>`));
    await media.trigger.idle();
    assert.deepEqual(incoming(), []);
    assert.equal(failures.length, before, 'nothing reached processing');
  }

  test('expired, tampered, other content type, larger or smaller body, another user key, no length', async () => {
    const ticket = await media.service.requestUpload(A, 'PHOTO', 'image/jpeg', body.length);
    const url = new URL(ticket.uploadUrl);
    const ok = { headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(body) };

    const tampered = new URL(url);
    const sig = tampered.searchParams.get('sig')!;
    tampered.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    await refused(tampered.href, ok, 403, 'SignatureDoesNotMatch');

    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    await refused(longer.href, ok, 403, 'SignatureDoesNotMatch');

    const bigger = new URL(url);
    bigger.searchParams.set('len', String(body.length + 1));
    await refused(bigger.href, { headers: ok.headers, body: new Uint8Array(randomBytes(body.length + 1)) }, 403, 'SignatureDoesNotMatch');

    await refused(url.href, { headers: { 'content-type': 'image/png' }, body: ok.body }, 403, 'SignatureDoesNotMatch');
    await refused(url.href, { headers: ok.headers, body: new Uint8Array(randomBytes(body.length + 1)) }, 400, 'EntityTooLarge');
    await refused(url.href, { headers: ok.headers, body: new Uint8Array(randomBytes(body.length - 1)) }, 400, 'EntityTooSmall');

    // B's prefix with A's signature.
    await refused(url.href.replace(`/fotos/${A}/`, `/fotos/${B}/`), ok, 403, 'SignatureDoesNotMatch');

    // Chunked (no Content-Length).
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'PUT', headers: { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(chunked.status, 411);
    assert.match(chunked.body, /MissingContentLength/);

    clock.advance(301_000);
    try {
      await refused(url.href, ok, 403, 'AccessDenied');
    } finally {
      clock.advance(-301_000);
    }
    // The untouched URL still works within its lifetime.
    const res = await fetch(url, { method: 'PUT', ...ok });
    assert.equal(res.status, 200);
    await media.trigger.idle();
    assert.deepEqual(failures.splice(0), ['not-an-image']);
  });

  test('requestUpload refuses unknown kinds, types outside the allowlist and oversize lengths', async () => {
    const bad = async (kind: unknown, type: unknown, length: unknown, field: string) => {
      await assert.rejects(media.service.requestUpload(A, kind, type, length), (err: unknown) => {
        assert.ok(err instanceof AppError, "err instanceof AppError");
        assert.equal(err.code, 'BadRequestException');
        assert.equal(err.info?.field, field);
        return true;
      });
    };
    await bad('AVATAR', 'image/jpeg', 10, 'kind');
    await bad('PHOTO', 'image/svg+xml', 10, 'contentType');
    await bad('PHOTO', 'image/gif', 10, 'contentType');
    await bad('VIDEO', 'image/jpeg', 10, 'contentType');
    await bad('PROFILE_PHOTO', 'image/jpeg', 10 * 1024 * 1024 + 1, 'contentLength');
    await bad('PHOTO', 'image/jpeg', 0, 'contentLength');
    await bad('PHOTO', 'image/jpeg', 1.5, 'contentLength');
    await assert.rejects(media.service.requestUpload('../etc', 'PHOTO', 'image/jpeg', 10), AppError);
    await assert.rejects(media.service.requestUpload('no-profile-user', 'PHOTO', 'image/jpeg', 10), (err: unknown) => err instanceof AppError && err.code === 'NotFound');
  });
});

describe('bad images are rejected, the server stays up, the profile is unchanged', () => {
  test('not an image, truncated JPEG, 20000x20000 PNG bomb, SVG and GIF named .jpg, all at once', async () => {
    const before = await user(A);
    assert.ok(before.profilePhotoUrl, "before.profilePhotoUrl");
    const noise = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><script>alert(1)</script><rect width="10" height="10"/></svg>');
    const gif = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#00ff00' } }).gif().toBuffer();
    const bomb = pngBomb();
    assert.ok(bomb.length < 1024 * 1024, `bomb is ${bomb.length} bytes`);
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('this is not an image, just text named .jpg'), 'image/jpeg'],
      [noise.subarray(0, Math.floor(noise.length * 0.6)), 'image/jpeg'],
      [bomb, 'image/png'],
      [svg, 'image/jpeg'],
      [gif, 'image/jpeg'],
    ];
    failures.length = 0;
    const results = await Promise.all(cases.map(([bytes, type]) => upload(A, 'PROFILE_PHOTO', bytes, type)));
    for (const r of results) assert.equal(r.res.status, 200, r.text);
    await media.trigger.idle();
    assert.deepEqual([...failures].sort(), ['corrupt', 'not-an-image', 'too-many-pixels', 'unsupported-format', 'unsupported-format']);
    assert.deepEqual(incoming(), [], 'refused uploads are removed from quarantine');
    for (const r of results) assert.equal((await get(`/${r.ticket.key}`)).res.status, 404);
    const after = await user(A);
    assert.equal(after.profilePhotoUrl, before.profilePhotoUrl);
    assert.equal(after.profileThumbnailUrl, before.profileThumbnailUrl);
    // Still serving, and the bomb was refused from its header, before any decode.
    assert.equal((await get(new URL(String(after.profilePhotoUrl)).pathname)).res.status, 200);
    const rss = process.memoryUsage().rss;
    assert.ok(rss < 512 * 1024 * 1024, `RSS ${Math.round(rss / 1048576)} MB stays under 512 MB`);
  });

  test('a polyglot (script after the JPEG end) is re-encoded: the trailing bytes are gone', async () => {
    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const payload = '<script>alert("polyglot")</script>';
    const { ticket, res } = await upload(B, 'PHOTO', Buffer.concat([jpeg, Buffer.from(payload)]));
    assert.equal(res.status, 200);
    await media.trigger.idle();
    const { res: got, body } = await get(`/${ticket.key}`);
    assert.equal(got.status, 200);
    assert.ok(!body.includes(Buffer.from('polyglot')), "!body.includes(Buffer.from('polyglot'))");
    assert.deepEqual([(await sharp(body).metadata()).width, (await sharp(body).metadata()).height], [300, 200], 'never enlarged');
  });
});

describe('gallery: listing, delete, immutable caching, invalidation', () => {
  test('photos are listed newest first with full and thumbnail URLs; only the owner deletes', async () => {
    const jpeg = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#aa5500' } }).jpeg().toBuffer();
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { ticket, res } = await upload(A, 'PHOTO', jpeg);
      assert.equal(res.status, 200);
      keys.push(ticket.key);
    }
    await media.trigger.idle();
    const page1 = await media.service.listPhotos(A, 2);
    assert.equal(page1.items.length, 2);
    assert.ok(page1.cursor, "page1.cursor");
    const page2 = await media.service.listPhotos(A, 2, page1.cursor);
    const listed = [...page1.items, ...page2.items].filter((p) => keys.includes(p.key));
    assert.deepEqual(listed.map((p) => p.key), [...keys].reverse());
    const [newest] = listed;
    assert.equal(newest.url, `${base}/${newest.key}`);
    assert.equal(newest.thumbnailUrl, `${base}/${newest.key.replace('/full_', '/thumbnail_')}`);
    assert.deepEqual([newest.width, newest.height], [1080, 540]);

    const full = await get(`/${newest.key}`);
    assert.equal(full.res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const thumb = await get(new URL(newest.thumbnailUrl).pathname);
    assert.equal(thumb.res.status, 200);
    assert.deepEqual([(await sharp(thumb.body).metadata()).width, (await sharp(thumb.body).metadata()).height], [200, 200]);
    assert.ok(handler.cache.size.entries >= 2, 'hot objects are cached');

    await assert.rejects(media.service.deletePhoto(B, newest.key), (err: unknown) => err instanceof AppError && err.code === 'Unauthorized');
    assert.equal(await media.service.deletePhoto(B, newest.photoId), false, "B has no such photo: A's is untouched");
    assert.equal((await get(`/${newest.key}`)).res.status, 200);

    assert.equal(await media.service.deletePhoto(A, newest.photoId), true);
    // Still in this server's cache until the shared invalidation is polled (as CloudFront serves until invalidated).
    await handler.poll();
    assert.equal((await get(`/${newest.key}`)).res.status, 404);
    assert.equal((await get(new URL(newest.thumbnailUrl).pathname)).res.status, 404);
    const remaining = await media.service.listPhotos(A, 100);
    assert.ok(!remaining.items.some((p) => p.key === newest.key), "!remaining.items.some((p) => p.key === newest.key)");
    assert.equal(await media.service.deletePhoto(A, newest.photoId), false);
  });

  test('invalidation with CloudFront path semantics drops cached objects, across processes via the table', async () => {
    const profile = new URL(String((await user(A)).profilePhotoUrl)).pathname;
    await get(profile);
    const cached = () => handler.cache.size.entries;
    assert.ok(cached() > 0, "cached() > 0");
    assert.equal(handler.invalidate(['/fotos/nobody/*']), 0);
    assert.ok(handler.invalidate(['/profile-photos/*']) >= 1, "handler.invalidate(['/profile-photos/*']) >= 1");
    await get(profile);
    // What `biilive cdn invalidate --paths "/*"` does from another process: record it in the table.
    const inv = await media.invalidations.create(['/*']);
    assert.match(inv.id, /^I\d+$/);
    await handler.poll();
    assert.equal(cached(), 0);
    assert.throws(() => handler.invalidate(['profile-photos/*']), AppError);
    assert.throws(() => handler.invalidate(['/a*b']), AppError);
  });
});

describe('videos: byte ranges', () => {
  let key: string;
  const video = randomBytes(300_000);

  before(async () => {
    const { ticket, res, text } = await upload(B, 'VIDEO', video);
    assert.equal(res.status, 200, text);
    assert.match(ticket.key, new RegExp(`^videos/${B}/video_\\d{13}\\.mp4$`));
    key = ticket.key;
  });

  test('Range requests return exactly the requested bytes (206), 416 past the end', async () => {
    const a = await get(`/${key}`, { range: 'bytes=100-199' });
    assert.equal(a.res.status, 206);
    assert.equal(a.res.headers.get('content-range'), `bytes 100-199/${video.length}`);
    assert.equal(a.res.headers.get('content-length'), '100');
    assert.deepEqual(a.body, video.subarray(100, 200));
    const b = await get(`/${key}`, { range: 'bytes=299990-' });
    assert.deepEqual(b.body, video.subarray(299_990));
    const c = await get(`/${key}`, { range: 'bytes=-10' });
    assert.equal(c.res.headers.get('content-range'), `bytes ${video.length - 10}-${video.length - 1}/${video.length}`);
    assert.deepEqual(c.body, video.subarray(video.length - 10));
    const d = await get(`/${key}`, { range: `bytes=${video.length}-` });
    assert.equal(d.res.status, 416);
    assert.equal(d.res.headers.get('content-range'), `bytes */${video.length}`);
    const whole = await get(`/${key}`);
    assert.equal(whole.res.status, 200);
    assert.deepEqual(whole.body, video);
    assert.equal(whole.res.headers.get('cache-control'), 'no-cache');
    assert.equal(whole.res.headers.get('content-type'), 'video/mp4');
    assert.equal(whole.res.headers.get('accept-ranges'), 'bytes');
    assert.equal(whole.res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await get(`/${key}`, { 'if-none-match': whole.res.headers.get('etag')! })).res.status, 304);
    const ifRange = await get(`/${key}`, { range: 'bytes=0-9', 'if-range': '"stale"' });
    assert.equal(ifRange.res.status, 200);
    const head = await get(`/${key}`, {}, 'HEAD');
    assert.equal(head.res.headers.get('content-length'), String(video.length));
  });
});

describe('paths', () => {
  test('traversal and malformed paths are refused without touching storage', async () => {
    for (const path of [
      '/fotos/../biilive.sqlite',
      '/fotos/%2e%2e/%2e%2e/biilive.sqlite',
      '/fotos/a/..%2f..%2fbiilive.sqlite',
      '/videos/x/%00.mp4',
      '/profile-photos//etc/passwd',
      '/fotos/a/b%5c..%5c..%5cx.jpg',
      '/fotos/%zz',
      '/profile-photos/.biilive/meta/x.json',
    ]) {
      const { status, body } = await raw('GET', path);
      assert.ok(status === 400 || status === 404, `${path}: ${status}`);
      assert.match(body, /<Error>/);
    }
    assert.equal((await raw('PUT', '/media/upload/../../biilive.sqlite?sig=x')).status, 400);
    assert.equal((await raw('POST', `/fotos/${A}/full_1.jpg`)).status, 405);
    assert.equal((await raw('GET', '/not-media/x')).status, 404);
    assert.equal((await raw('GET', `/fotos/${A}/full_1.jpg`)).status, 404);
  });
});
