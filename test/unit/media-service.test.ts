/** MediaService, shared CDN invalidations and the signing secret, on real SQLite and the fs store. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobs } from '../../src/adapters/blobs/fs-blobs.ts';
import { S3Blobs } from '../../src/adapters/blobs/s3-blobs.ts';
import { EmbeddedUrlSigner } from '../../src/adapters/blobs/url-signer.ts';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { AppError } from '../../src/domain/errors.ts';
import { CdnInvalidations } from '../../src/domain/media/invalidations.ts';
import { MediaService } from '../../src/domain/media/media-service.ts';
import { photoItem } from '../../src/domain/media/photo-records.ts';
import { loadMediaSigningSecret } from '../../src/domain/media/signing-secret.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { randomIds } from '../../src/ports/ids.ts';
import type { Blobs } from '../../src/ports/blobs.ts';
import type { Tables } from '../../src/ports/tables.ts';

const config = configSchema.parse({});
const U = 'c0000000-0000-4000-8000-000000000001';
const V = 'c0000000-0000-4000-8000-000000000002';
let dir: string;
let tables: Tables;
let blobs: FsBlobs;
let invalidations: CdnInvalidations;
const clock = new ManualClock(Date.UTC(2026, 0, 1));

const service = (store: Blobs = blobs) =>
  new MediaService({
    tables,
    tableNames: config.tables,
    blobs: store,
    clock,
    settings: config.media,
    limits: config.limits,
    urlFor: (key) => `http://cdn.test/${key}`,
    invalidations,
  });

const code = (expected: string, field?: string) => (err: unknown) => {
  assert.ok(err instanceof AppError, String(err));
  assert.equal(err.code, expected);
  if (field) assert.equal(err.info?.field, field);
  return true;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  tables = openSqliteTables({ path: join(dir, 't.sqlite'), synchronous: 'NORMAL', clock });
  await tables.ensure(tableDefinitions(config.tables));
  for (const userId of [U, V]) await tables.put({ table: config.tables.users, item: { userId, nickname: userId.slice(-4) } });
  const signer = new EmbeddedUrlSigner({ secret: Buffer.alloc(32, 3), baseUrl: 'http://127.0.0.1:4000' });
  blobs = new FsBlobs({ root: join(dir, 'media'), bucket: 'biihlivemedia', signer, clock, durable: false });
  await blobs.ensure();
  invalidations = new CdnInvalidations({ tables, systemTable: config.tables.system, clock });
});
after(async () => {
  await tables.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('requestUpload', () => {
  test('server-built keys, unique even within one millisecond; the URL expires after the TTL', async () => {
    const media = service();
    const a = await media.requestUpload(U, 'PHOTO', 'IMAGE/JPEG', 10);
    const b = await media.requestUpload(U, 'PHOTO', 'image/jpeg', 10);
    assert.equal(a.key, `fotos/${U}/full_${clock.now()}.jpg`);
    assert.equal(b.key, `fotos/${U}/full_${clock.now() + 1}.jpg`);
    assert.equal(a.method, 'PUT');
    assert.equal(a.expiresAt, new Date(clock.now() + 300_000).toISOString());
    assert.deepEqual(a.headers, { 'content-type': 'image/jpeg', 'content-length': '10' });
    assert.ok(a.uploadUrl.startsWith(`http://127.0.0.1:4000/media/upload/incoming/fotos/${U}/full_`), "a.uploadUrl.startsWith(`http://127.0.0.1:4000/media/upload/incoming/fotos/${U}/full_`)");
    const video = await media.requestUpload(U, 'VIDEO', 'video/mp4', 1000);
    assert.ok(video.uploadUrl.startsWith(`http://127.0.0.1:4000/media/upload/videos/${U}/video_`), "video.uploadUrl.startsWith(`http://127.0.0.1:4000/media/upload/videos/${U}/video_`)");
  });

  test('with the S3 store the upload URL is S3 presigned, for the quarantine key', async () => {
    const s3 = new S3Blobs({ bucket: 'biihlivemedia', region: 'eu-west-3', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const ticket = await service(s3).requestUpload(U, 'PROFILE_PHOTO', 'image/png', 2048);
    const url = new URL(ticket.uploadUrl);
    assert.equal(url.host, 'biihlivemedia.s3.eu-west-3.amazonaws.com');
    assert.match(url.pathname, new RegExp(`^/incoming/profile-photos/${U}/photo_\\d+\\.jpg$`));
    assert.ok(url.searchParams.get('X-Amz-Signature'), "url.searchParams.get('X-Amz-Signature')");
    assert.equal(url.searchParams.get('X-Amz-Expires'), '300');
    await s3.close();
  });

  test('refusals: kind, type, size, caller', async () => {
    const media = service();
    await assert.rejects(media.requestUpload(U, 'GIF', 'image/gif', 10), code('BadRequestException', 'kind'));
    await assert.rejects(media.requestUpload(U, 'PHOTO', 'image/jpeg; charset=x', 10), code('BadRequestException', 'contentType'));
    await assert.rejects(media.requestUpload(U, 'PHOTO', 'image/jpeg', 20 * 1024 * 1024 + 1), code('BadRequestException', 'contentLength'));
    await assert.rejects(media.requestUpload(U, 'VIDEO', 'video/mp4', '10'), code('BadRequestException', 'contentLength'));
    await assert.rejects(media.requestUpload('a/b', 'PHOTO', 'image/jpeg', 10), code('BadRequestException'));
    await assert.rejects(media.requestUpload('d0000000-0000-4000-8000-000000000000', 'PHOTO', 'image/jpeg', 10), code('NotFound'));
  });
});

describe('listPhotos and deletePhoto', () => {
  before(async () => {
    for (const t of [1767225600001, 1767225600002, 1767225600003]) {
      await tables.put({
        table: config.tables.photos,
        item: photoItem({ userId: U, photoId: String(t), key: `fotos/${U}/full_${t}.jpg`, thumbnailKey: `fotos/${U}/thumbnail_${t}.jpg`, width: 10, height: 10, bytes: 1, createdAt: new Date(t).toISOString() }),
      });
      await blobs.put(`fotos/${U}/full_${t}.jpg`, Buffer.from('f'), { contentType: 'image/jpeg' });
      await blobs.put(`fotos/${U}/thumbnail_${t}.jpg`, Buffer.from('t'), { contentType: 'image/jpeg' });
    }
  });

  test('newest first, paged, with CDN URLs; bad limits and tokens are BadRequest', async () => {
    const media = service();
    const page = await media.listPhotos(U, 2);
    assert.deepEqual(page.items.map((p) => p.photoId), ['1767225600003', '1767225600002']);
    assert.equal(page.items[0].url, `http://cdn.test/fotos/${U}/full_1767225600003.jpg`);
    assert.equal(page.items[0].thumbnailUrl, `http://cdn.test/fotos/${U}/thumbnail_1767225600003.jpg`);
    const rest = await media.listPhotos(U, 2, page.cursor);
    assert.deepEqual(rest.items.map((p) => p.photoId), ['1767225600001']);
    assert.equal(rest.cursor, undefined);
    assert.deepEqual((await media.listPhotos(V)).items, []);
    await assert.rejects(media.listPhotos(U, 0), code('BadRequestException', 'limit'));
    await assert.rejects(media.listPhotos(U, 2, 'garbage'), code('BadRequestException', 'nextToken'));
    await assert.rejects(media.listPhotos(V, 2, page.cursor), code('BadRequestException', 'nextToken'));
  });

  test('only the owner deletes; records and objects go; every server is told to invalidate', async () => {
    const media = service();
    const before = await invalidations.generation();
    await assert.rejects(media.deletePhoto(V, `fotos/${U}/full_1767225600002.jpg`), code('Unauthorized'));
    await assert.rejects(media.deletePhoto(U, `videos/${U}/video_1.mp4`), code('BadRequestException', 'photoId'));
    await assert.rejects(media.deletePhoto(U, '../x'), code('BadRequestException', 'photoId'));
    assert.equal(await media.deletePhoto(V, '1767225600002'), false);
    assert.equal(await invalidations.generation(), before);
    assert.equal(await media.deletePhoto(U, `fotos/${U}/thumbnail_1767225600002.jpg`), true);
    assert.equal(await blobs.head(`fotos/${U}/full_1767225600002.jpg`), undefined);
    assert.equal(await blobs.head(`fotos/${U}/thumbnail_1767225600002.jpg`), undefined);
    assert.deepEqual((await media.listPhotos(U)).items.map((p) => p.photoId), ['1767225600003', '1767225600001']);
    const [inv] = await invalidations.since(before);
    assert.deepEqual(inv.paths, [`/fotos/${U}/full_1767225600002.jpg`, `/fotos/${U}/thumbnail_1767225600002.jpg`]);
    assert.equal(await media.deletePhoto(U, '1767225600002'), false);
  });
});

test('deleteAllOf removes every object and record of one user (and nobody else\'s), and invalidates their paths', async () => {
  const media = service();
  const mine = [`profile-photos/${U}/photo_1.jpg`, `videos/${U}/video_2.mp4`, `incoming/fotos/${U}/full_3.jpg`, `fotos/${U}/full_1767225600001.jpg`];
  for (const key of mine) await blobs.put(key, Buffer.from('x'), { contentType: 'image/jpeg' });
  await blobs.put(`fotos/${V}/full_9.jpg`, Buffer.from('v'), { contentType: 'image/jpeg' });
  const before = await invalidations.generation();
  assert.ok((await media.deleteAllOf(U)) >= mine.length);
  for (const key of mine) assert.equal(await blobs.head(key), undefined, key);
  assert.deepEqual((await media.listPhotos(U)).items, []);
  assert.ok(await blobs.head(`fotos/${V}/full_9.jpg`));
  const [inv] = await invalidations.since(before);
  assert.deepEqual(inv.paths, [`/profile-photos/${U}/*`, `/fotos/${U}/*`, `/videos/${U}/*`]);
  assert.equal(await media.deleteAllOf(U), 0); // idempotent
  await assert.rejects(media.deleteAllOf('../x'), code('BadRequestException'));
});

describe('shared CDN invalidations', () => {
  test('concurrent creations get distinct, gapless numbers and are all readable', async () => {
    const start = await invalidations.generation();
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => invalidations.create([`/fotos/${i}/*`])));
    assert.deepEqual(made.map((m) => m.generation).sort((a, b) => a - b), Array.from({ length: 8 }, (_, i) => start + i + 1));
    const read = await invalidations.since(start);
    assert.equal(read.length, 8);
    assert.deepEqual(read.map((r) => r.generation), made.map((m) => m.generation).sort((a, b) => a - b));
    await assert.rejects(invalidations.create(['no-slash']), code('BadRequestException', 'paths'));
  });
});

test('the URL-signing secret is generated once and kept', async () => {
  const first = await loadMediaSigningSecret(tables, config.tables.system, randomIds);
  const second = await loadMediaSigningSecret(tables, config.tables.system, randomIds);
  assert.equal(first.length, 32);
  assert.ok(first.equals(second), "first.equals(second)");
});
