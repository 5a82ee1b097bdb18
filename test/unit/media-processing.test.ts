/**
 * ProcessProfilePhoto on real parts (sharp, the fs blob store, SQLite): idempotency, event
 * filtering, time order of profile photos, refusals, retries and the embedded trigger's backlog.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FsBlobs } from '../../src/adapters/blobs/fs-blobs.ts';
import { createLimiter, createSharpImages } from '../../src/adapters/images/sharp-images.ts';
import { openSqliteTables } from '../../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../../src/config/schema.ts';
import { PhotoProcessor, type PhotoFailure } from '../../src/domain/media/photo-processor.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { createPhotoTrigger } from '../../src/runtime/photo-trigger.ts';
import { createProcessProfilePhoto } from '../../src/functions/process-profile-photo/handler.ts';
import { toS3Event, type S3Event } from '../../src/functions/process-profile-photo/s3-event.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import type { ImageProcessor } from '../../src/ports/images.ts';
import type { Tables } from '../../src/ports/tables.ts';

const config = configSchema.parse({ media: { profilePhotoMaxBytes: 200_000 } });
const USERS = config.tables.users;
const U = 'a0000000-0000-4000-8000-000000000001';
let dir: string;
let tables: Tables;
let blobs: FsBlobs;
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const failures: PhotoFailure[] = [];
const sharpImages = createSharpImages({ limitInputPixels: config.media.limitInputPixels, quality: 80, concurrency: 2 });

function processorWith(images: ImageProcessor = sharpImages) {
  return new PhotoProcessor({
    blobs,
    images,
    tables,
    tableNames: config.tables,
    clock,
    settings: config.media,
    storedUrlFor: (key: string) => `https://cdn.example.test/${key}`,
    onFailure: (reason) => failures.push(reason),
  });
}

const jpeg = (w: number, h: number, colour = '#447799') =>
  sharp({ create: { width: w, height: h, channels: 3, background: colour } }).jpeg().toBuffer();

const event = (key: string, bucket = blobs.bucket, eventName = 'ObjectCreated:Put'): S3Event => {
  const e = toS3Event({ eventName: 'ObjectCreated:Put', bucket, key, size: 1, etag: '"x"', eventTime: 0 });
  e.Records[0].eventName = eventName;
  return e;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  tables = openSqliteTables({ path: join(dir, 't.sqlite'), synchronous: 'NORMAL', clock });
  await tables.ensure(tableDefinitions(config.tables));
  await tables.put({ table: USERS, item: { userId: U, nickname: 'u1' } });
  blobs = new FsBlobs({ root: join(dir, 'media'), bucket: 'biihlivemedia', clock, durable: false });
  await blobs.ensure();
});
after(async () => {
  await tables.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PhotoProcessor', () => {
  test('idempotent: a redelivered event is a no-op; the same upload again gives the same bytes', async () => {
    const processor = processorWith();
    const key = `incoming/fotos/${U}/full_1767225600001.jpg`;
    const bytes = await jpeg(1500, 1000);
    await blobs.put(key, bytes, { contentType: 'image/jpeg' });
    const first = await processor.process(key);
    assert.equal(first.status, 'processed');
    const etag = (await blobs.head(`fotos/${U}/full_1767225600001.jpg`))!.etag;
    assert.deepEqual(await processor.process(key), { status: 'missing' });
    await blobs.put(key, bytes, { contentType: 'image/jpeg' });
    assert.equal((await processor.process(key)).status, 'processed');
    assert.equal((await blobs.head(`fotos/${U}/full_1767225600001.jpg`))!.etag, etag);
    const records = await tables.query({ table: config.tables.photos, partition: U });
    assert.equal(records.items.length, 1);
    assert.equal(records.items[0].photoId, '1767225600001');
    assert.equal(records.items[0].width, 1080);
  });

  test('profile photos only move forward in time; an older one never replaces a newer one', async () => {
    const processor = processorWith();
    const newer = `incoming/profile-photos/${U}/photo_1767225600200.jpg`;
    const older = `incoming/profile-photos/${U}/photo_1767225600100.jpg`;
    await blobs.put(newer, await jpeg(400, 400, '#00ff00'), { contentType: 'image/jpeg' });
    await blobs.put(older, await jpeg(400, 400, '#ff0000'), { contentType: 'image/jpeg' });
    assert.equal((await processor.process(newer)).status, 'processed');
    const outcome = await processor.process(older);
    assert.equal(outcome.status === 'processed' && outcome.profile, 'superseded');
    const user = await tables.get(USERS, { userId: U });
    assert.equal(user?.profilePhotoUrl, `https://cdn.example.test/profile-photos/${U}/photo_1767225600200.jpg`);
    assert.equal(user?.profilePhotoTs, 1767225600200);
    assert.equal(await blobs.head(`profile-photos/${U}/photo_1767225600100.jpg`), undefined, 'superseded variants removed');
    assert.equal(await blobs.head(older), undefined);
    // Processing the current one again keeps it (same time: allowed).
    await blobs.put(newer, await jpeg(400, 400, '#00ff00'), { contentType: 'image/jpeg' });
    const again = await processor.process(newer);
    assert.equal(again.status === 'processed' && again.profile, 'updated');
  });

  test('no profile: refused, outputs removed, no user item created', async () => {
    failures.length = 0;
    const ghost = 'b0000000-0000-4000-8000-000000000009';
    const key = `incoming/profile-photos/${ghost}/photo_1767225600300.jpg`;
    await blobs.put(key, await jpeg(100, 100), { contentType: 'image/jpeg' });
    assert.deepEqual(await processorWith().process(key), { status: 'rejected', reason: 'no-profile' });
    assert.equal(await tables.get(USERS, { userId: ghost }), undefined);
    assert.deepEqual((await blobs.list(`profile-photos/${ghost}/`)).items, []);
    assert.deepEqual(failures, ['no-profile']);
  });

  test('an upload over the size cap is refused before decoding', async () => {
    failures.length = 0;
    const key = `incoming/profile-photos/${U}/photo_1767225600400.jpg`;
    await blobs.put(key, Buffer.alloc(200_001), { contentType: 'image/jpeg' });
    let decoded = 0;
    const counting: ImageProcessor = { process: (b, s, on) => (decoded++, sharpImages.process(b, s, on)) };
    assert.deepEqual(await processorWith(counting).process(key), { status: 'rejected', reason: 'too-large' });
    assert.equal(decoded, 0);
    assert.equal(await blobs.head(key), undefined);
  });
});

describe('ProcessProfilePhoto handler', () => {
  test('skips its own outputs, other buckets and other event names; decodes S3 keys', async () => {
    const seen: string[] = [];
    const fn = createProcessProfilePhoto({ processor: { process: async (key) => (seen.push(key), { status: 'ignored' }) }, bucket: blobs.bucket });
    await fn.handler(event(`incoming/fotos/${U}/full_5.jpg`, 'other-bucket'));
    await fn.handler(event(`incoming/fotos/${U}/full_5.jpg`, blobs.bucket, 'ObjectRemoved:Delete'));
    await fn.handler(event(`incoming/fotos/${U}/full_5.jpg`));
    assert.deepEqual(seen, [`incoming/fotos/${U}/full_5.jpg`]);
    const real = createProcessProfilePhoto({ processor: processorWith(), bucket: blobs.bucket });
    const outputs = await real.handler(event(`fotos/${U}/thumbnail_1767225600001.jpg`));
    assert.deepEqual(outputs.map((r) => r.outcome.status), ['ignored']);
  });

  test('storage failures are thrown (Lambda retries); refused images are outcomes', async () => {
    const fn = createProcessProfilePhoto({
      processor: {
        process: async () => {
          throw new Error('disk on fire');
        },
      },
      bucket: blobs.bucket,
    });
    await assert.rejects(fn.handler(event(`incoming/fotos/${U}/full_6.jpg`)), /disk on fire/);
  });
});

describe('embedded trigger', () => {
  test('processes uploads left in quarantine at start, retries failures, ignores outputs', async () => {
    const key = `incoming/fotos/${U}/full_1767225600500.jpg`;
    await blobs.put(key, await jpeg(300, 300), { contentType: 'image/jpeg' });
    let calls = 0;
    const flaky: ImageProcessor = {
      process: (b, s, on) => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('transient'));
        return sharpImages.process(b, s, on);
      },
    };
    const fn = createProcessProfilePhoto({ processor: processorWith(flaky), bucket: blobs.bucket });
    let handled = 0;
    const trigger = createPhotoTrigger({ blobs, fn: { handler: (e) => (handled++, fn.handler(e)) }, concurrency: 2, retryDelaysMs: [5, 5] });
    await trigger.start();
    await trigger.idle();
    assert.equal(calls, 2, 'retried once');
    assert.ok(await blobs.head(`fotos/${U}/full_1767225600500.jpg`), "await blobs.head(`fotos/${U}/full_1767225600500.jpg`)");
    assert.equal(await blobs.head(key), undefined);
    const before = handled;
    await blobs.put(`fotos/${U}/thumbnail_999.jpg`, Buffer.from('x'), { contentType: 'image/jpeg' });
    await blobs.put(`incoming/fotos/${U}/full_1767225600600.jpg`, await jpeg(50, 50), { contentType: 'image/jpeg' });
    await trigger.idle();
    assert.equal(handled - before, 1, 'outputs never reach the function');
    await trigger.stop();
  });
});

test('the image limiter never runs more than n at once', async () => {
  const limit = createLimiter(2);
  let active = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 8 }, () =>
      limit(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
      }),
    ),
  );
  assert.equal(peak, 2);
});
