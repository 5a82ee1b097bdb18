/** Pure rules of media: bucket layout, presigned-URL signatures, CloudFront paths, HTTP ranges, the hot-object cache. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedUrlSigner } from '../../src/adapters/blobs/url-signer.ts';
import { AppError } from '../../src/domain/errors.ts';
import { invalidationMatcher, validateInvalidationPaths } from '../../src/domain/media/cdn-paths.ts';
import {
  isMediaUserId,
  mediaKey,
  parseMediaKey,
  parsePhotoUpload,
  thumbnailKeyFor,
  uploadKeyFor,
} from '../../src/domain/media/keys.ts';
import { decodeEventKey, encodeEventKey } from '../../src/functions/process-profile-photo/s3-event.ts';
import { isValidBlobKey } from '../../src/ports/blobs.ts';
import { HotObjectCache } from '../../src/server/media/cache.ts';
import { noneMatch, notModifiedSince, parseRange, rangeStillValid } from '../../src/server/media/http-range.ts';

const U = '6a1e8c1e-1111-4222-8333-444455556666';
const T = 1767225600000;

describe('bucket layout', () => {
  test('keys follow the seed layout exactly; photos upload to quarantine, videos straight to their key', () => {
    assert.equal(mediaKey('PROFILE_PHOTO', U, T), `profile-photos/${U}/photo_${T}.jpg`);
    assert.equal(mediaKey('PHOTO', U, T), `fotos/${U}/full_${T}.jpg`);
    assert.equal(mediaKey('VIDEO', U, T), `videos/${U}/video_${T}.mp4`);
    assert.equal(uploadKeyFor('PHOTO', mediaKey('PHOTO', U, T)), `incoming/fotos/${U}/full_${T}.jpg`);
    assert.equal(uploadKeyFor('VIDEO', mediaKey('VIDEO', U, T)), `videos/${U}/video_${T}.mp4`);
    assert.equal(thumbnailKeyFor({ kind: 'PHOTO', userId: U, timestamp: String(T) }), `fotos/${U}/thumbnail_${T}.jpg`);
    assert.equal(thumbnailKeyFor({ kind: 'PROFILE_PHOTO', userId: U, timestamp: String(T) }), `profile-photos/${U}/thumbnail_${T}.jpg`);
    for (const kind of ['PROFILE_PHOTO', 'PHOTO', 'VIDEO'] as const) assert.ok(isValidBlobKey(uploadKeyFor(kind, mediaKey(kind, U, T))), "isValidBlobKey(uploadKeyFor(kind, mediaKey(kind, U, T)))");
  });

  test('ProcessProfilePhoto handles photo uploads only: never its own outputs, videos or stray keys', () => {
    assert.equal(parsePhotoUpload(`incoming/profile-photos/${U}/photo_${T}.jpg`)?.kind, 'PROFILE_PHOTO');
    assert.equal(parsePhotoUpload(`incoming/fotos/${U}/full_${T}.jpg`)?.kind, 'PHOTO');
    for (const key of [
      `profile-photos/${U}/photo_${T}.jpg`,
      `fotos/${U}/full_${T}.jpg`,
      `fotos/${U}/thumbnail_${T}.jpg`,
      `incoming/fotos/${U}/thumbnail_${T}.jpg`,
      `incoming/profile-photos/${U}/thumbnail_${T}.jpg`,
      `incoming/videos/${U}/video_${T}.mp4`,
      `incoming/fotos/${U}/full_${T}.png`,
      `incoming/fotos/a/b/full_${T}.jpg`,
      `incoming/fotos/${U}/full_x.jpg`,
    ]) {
      assert.equal(parsePhotoUpload(key), undefined, key);
    }
  });

  test('public keys parse back; anything else does not', () => {
    assert.deepEqual(parseMediaKey(`fotos/${U}/thumbnail_${T}.jpg`), { kind: 'PHOTO', userId: U, timestamp: String(T), variant: 'thumbnail', key: `fotos/${U}/thumbnail_${T}.jpg` });
    assert.equal(parseMediaKey(`videos/${U}/video_${T}.mp4`)?.kind, 'VIDEO');
    for (const key of [`videos/${U}/video_${T}.jpg`, `fotos/${U}/photo_${T}.jpg`, `profile-photos/${U}/full_${T}.jpg`, `fotos/.x/full_${T}.jpg`, 'fotos/full_1.jpg']) {
      assert.equal(parseMediaKey(key), undefined, key);
    }
  });

  test('user ids are safe path segments', () => {
    assert.ok(isMediaUserId(U), "isMediaUserId(U)");
    for (const id of ['', '..', '.x', 'a/b', 'a\\b', 'a%2f', 'a b', 'x'.repeat(129), 'a#b']) assert.equal(isMediaUserId(id), false, id);
  });

  test('S3 event keys are form-encoded', () => {
    assert.equal(encodeEventKey('incoming/fotos/a b/full_1.jpg'), 'incoming/fotos/a+b/full_1.jpg');
    assert.equal(decodeEventKey('incoming/fotos/a+b%2Bc/full_1.jpg'), 'incoming/fotos/a b+c/full_1.jpg');
  });
});

describe('presigned URL signatures', () => {
  const signer = new EmbeddedUrlSigner({ secret: Buffer.alloc(32, 1), baseUrl: 'http://127.0.0.1:9/' });
  const key = `incoming/fotos/${U}/full_${T}.jpg`;
  const expiresAt = 1_000_000_000_000;
  const url = new URL(signer.signPut(key, 'image/jpeg', 1234, expiresAt));
  const verify = (q: URLSearchParams, contentType = 'image/jpeg', now = expiresAt - 1000, k = key) =>
    signer.verify({ method: 'PUT', key: k, query: q, contentType, now });

  test('points at our server and pins key, type, length and expiry', () => {
    assert.equal(url.origin + url.pathname, `http://127.0.0.1:9/media/upload/${key}`);
    assert.deepEqual(verify(url.searchParams), { ok: true, contentType: 'image/jpeg', contentLength: 1234 });
  });

  test('any change is refused', () => {
    const changed = (name: string, value: string) => {
      const q = new URLSearchParams(url.searchParams);
      q.set(name, value);
      return q;
    };
    const code = (r: ReturnType<typeof verify>) => (r.ok ? 'ok' : r.code);
    assert.equal(code(verify(changed('len', '1235'))), 'SignatureDoesNotMatch');
    assert.equal(code(verify(changed('ct', 'image/png'), 'image/png')), 'SignatureDoesNotMatch');
    assert.equal(code(verify(changed('expires', String(expiresAt / 1000 + 60)))), 'SignatureDoesNotMatch');
    assert.equal(code(verify(url.searchParams, 'image/png')), 'SignatureDoesNotMatch');
    assert.equal(code(verify(url.searchParams, 'image/jpeg', expiresAt - 1000, key.replace(U, 'someone-else'))), 'SignatureDoesNotMatch');
    assert.equal(code(verify(url.searchParams, 'image/jpeg', expiresAt)), 'AccessDenied');
    assert.equal(code(verify(changed('sig', ''))), 'AccessDenied');
    assert.equal(code(verify(changed('expires', 'soon'))), 'AccessDenied');
    const other = new EmbeddedUrlSigner({ secret: Buffer.alloc(32, 2), baseUrl: 'http://x' });
    assert.equal(code(other.verify({ method: 'PUT', key, query: url.searchParams, contentType: 'image/jpeg', now: 0 })), 'SignatureDoesNotMatch');
    // A PUT signature is not a GET signature.
    assert.equal(code(signer.verify({ method: 'GET', key, query: url.searchParams, now: 0 })), 'SignatureDoesNotMatch');
  });
});

describe('CloudFront invalidation paths', () => {
  test('exact paths and a trailing * only', () => {
    const match = invalidationMatcher(validateInvalidationPaths(['/profile-photos/*', '/fotos/u/full_1.jpg']));
    assert.ok(match('/profile-photos/u/photo_1.jpg'), "match('/profile-photos/u/photo_1.jpg')");
    assert.ok(match('/fotos/u/full_1.jpg'), "match('/fotos/u/full_1.jpg')");
    assert.ok(!match('/fotos/u/full_12.jpg'), "!match('/fotos/u/full_12.jpg')");
    assert.ok(!match('/Profile-photos/u/photo_1.jpg'), 'case-sensitive');
    assert.ok(invalidationMatcher(['/*'])('/anything'), "invalidationMatcher(['/*'])('/anything')");
    assert.ok(invalidationMatcher(['/fotos/u/full_1*'])('/fotos/u/full_12.jpg'), "invalidationMatcher(['/fotos/u/full_1*'])('/fotos/u/full_12.jpg')");
    for (const bad of [[], ['fotos/*'], ['/a*b'], ['/*/x'], [''], [42], ['/a\nb']]) {
      assert.throws(() => validateInvalidationPaths(bad), AppError, JSON.stringify(bad));
    }
    assert.throws(() => validateInvalidationPaths('/x'), AppError);
  });
});

describe('HTTP ranges and conditionals', () => {
  test('one bytes= range or nothing', () => {
    assert.deepEqual(parseRange('bytes=0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=100-'), { start: 100 });
    assert.deepEqual(parseRange('bytes=-5'), { suffix: 5 });
    for (const h of [undefined, '', 'bytes=-', 'bytes=5-1', 'bytes=0-1,3-4', 'items=0-1', 'bytes=a-b']) assert.equal(parseRange(h), undefined, h);
  });

  test('If-None-Match (weak comparison), If-Modified-Since, If-Range', () => {
    assert.ok(noneMatch('"abc"', '"abc"'), "noneMatch('\"abc\"', '\"abc\"')");
    assert.ok(noneMatch('W/"abc"', '"abc"'), "noneMatch('W/\"abc\"', '\"abc\"')");
    assert.ok(noneMatch('"x", "abc"', '"abc"'), "noneMatch('\"x\", \"abc\"', '\"abc\"')");
    assert.ok(noneMatch('*', '"abc"'), "noneMatch('*', '\"abc\"')");
    assert.ok(!noneMatch('"abd"', '"abc"'), "!noneMatch('\"abd\"', '\"abc\"')");
    const t = Date.UTC(2026, 0, 1, 12, 0, 0, 500);
    assert.ok(notModifiedSince(new Date(Date.UTC(2026, 0, 1, 12)).toUTCString(), t), "notModifiedSince(new Date(Date.UTC(2026, 0, 1, 12)).toUTCString(), t)");
    assert.ok(!notModifiedSince(new Date(Date.UTC(2026, 0, 1, 11, 59, 59)).toUTCString(), t), "!notModifiedSince(new Date(Date.UTC(2026, 0, 1, 11, 59, 59)).toUTCString(), t)");
    assert.ok(rangeStillValid(undefined, '"e"', t), "rangeStillValid(undefined, '\"e\"', t)");
    assert.ok(rangeStillValid('"e"', '"e"', t), "rangeStillValid('\"e\"', '\"e\"', t)");
    assert.ok(!rangeStillValid('W/"e"', '"e"', t), "!rangeStillValid('W/\"e\"', '\"e\"', t)");
    assert.ok(!rangeStillValid('"f"', '"e"', t), "!rangeStillValid('\"f\"', '\"e\"', t)");
  });
});

describe('hot-object cache', () => {
  const entry = (n: number) => ({ body: Buffer.alloc(n), contentType: 'image/jpeg', etag: `"${n}"`, lastModified: 0, headers: {} });

  test('evicts least recently used beyond the byte cap; refuses objects over the per-object cap', () => {
    const cache = new HotObjectCache(300, 150);
    cache.set('/a', entry(100), cache.epoch);
    cache.set('/b', entry(100), cache.epoch);
    cache.get('/a');
    cache.set('/c', entry(100), cache.epoch);
    cache.set('/d', entry(100), cache.epoch);
    assert.equal(cache.get('/b'), undefined, 'least recently used went first');
    assert.ok(cache.get('/a') && cache.get('/d'), "cache.get('/a') && cache.get('/d')");
    assert.ok(cache.size.bytes <= 300, "cache.size.bytes <= 300");
    assert.equal(cache.set('/big', entry(151), cache.epoch), false);
  });

  test('invalidation drops matches and discards fills that raced it', () => {
    const cache = new HotObjectCache(10_000, 10_000);
    for (const p of ['/fotos/u/full_1.jpg', '/fotos/u/thumbnail_1.jpg', '/profile-photos/u/photo_1.jpg']) cache.set(p, entry(10), cache.epoch);
    const before = cache.epoch;
    assert.equal(cache.invalidate(['/fotos/*']), 2);
    assert.ok(cache.get('/profile-photos/u/photo_1.jpg'), "cache.get('/profile-photos/u/photo_1.jpg')");
    assert.equal(cache.set('/fotos/u/full_1.jpg', entry(10), before), false, 'read before the invalidation');
    assert.equal(cache.get('/fotos/u/full_1.jpg'), undefined);
  });
});
