/**
 * Object and listing operations of the S3-compatible media endpoint: PutObject, GetObject,
 * HeadObject, DeleteObject, ListObjectsV2, with the access rules of src/domain/media/s3-access.ts
 * and requestUpload's type and size limits.
 */
import { pipeline, type Readable } from 'node:stream';
import { behaviourFor } from '../../domain/media/behaviours.ts';
import { parseMediaKey } from '../../domain/media/keys.ts';
import { canDelete, canList, canRead, writeTarget, type WriteTarget } from '../../domain/media/s3-access.ts';
import { BlobKeyError, BlobSizeError, type BlobInfo } from '../../ports/blobs.ts';
import { serveObject } from '../media/serve.ts';
import { fail, sendEmpty, sendXml, type S3Deps, type S3Request } from './context.ts';
import { PayloadError, planPayload } from './payload.ts';
import { listBucketResult } from './xml.ts';

const MAX_KEYS = 1000;

/** The write target and its rules, or undefined after answering the refusal. */
export async function checkWrite(r: S3Request, deps: S3Deps, contentType: string | undefined): Promise<{ target: WriteTarget; maxBytes: number; type: string } | undefined> {
  const target = writeTarget(r.caller, r.key);
  if ('refused' in target) return void fail(r, 403, 'AccessDenied', target.message);
  if (!(await deps.hasProfile(r.caller.sub!))) return void fail(r, 403, 'AccessDenied', 'Your profile does not exist.');
  const rules = deps.media.rules(target.kind);
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!rules.contentTypes.includes(type)) {
    return void fail(r, 403, 'AccessDenied', `Content-Type must be one of ${rules.contentTypes.join(', ')} for ${r.key.split('/')[0]}/.`);
  }
  return { target, maxBytes: rules.maxBytes, type };
}

/**
 * Streams the checked body into the store; answers and returns undefined on a refused body.
 * Every failure of the body (digest, framing, length) fails the write before the object appears.
 */
export async function storeBody(r: S3Request, maxBytes: number, put: (body: Readable, length: number) => Promise<BlobInfo>): Promise<BlobInfo | undefined> {
  const plan = planPayload(r.req, r.payloadHash);
  if (!plan.ok) return void fail(r, plan.status, plan.code, plan.message);
  if (plan.length > maxBytes) {
    return void fail(r, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: String(plan.length), MaxSizeAllowed: String(maxBytes) });
  }
  if (plan.length === 0) return void fail(r, 400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
  let bodyError: unknown;
  const transforms = plan.open();
  const body = pipeline([r.req, ...transforms], (err) => {
    if (err) bodyError = err;
  }) as unknown as Readable;
  try {
    return await put(body, plan.length);
  } catch (err) {
    const cause = bodyError instanceof PayloadError ? bodyError : err;
    if (cause instanceof PayloadError) return void fail(r, 400, cause.code, cause.message);
    if (cause instanceof BlobSizeError) {
      if (r.req.destroyed && !r.req.complete) return void r.res.destroy();
      return cause.received > cause.expected
        ? void fail(r, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
        : void fail(r, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header');
    }
    if (cause instanceof BlobKeyError) return void fail(r, 400, 'InvalidArgument', cause.message);
    if (r.req.destroyed) {
      // The client went away mid-body: nothing was stored, nobody to answer.
      if (!r.res.headersSent) r.res.destroy();
      return undefined;
    }
    throw err;
  }
}

export async function putObject(r: S3Request, deps: S3Deps): Promise<void> {
  if (r.req.headers['x-amz-copy-source']) return fail(r, 501, 'NotImplemented', 'CopyObject is not supported by this endpoint.');
  const checked = await checkWrite(r, deps, r.req.headers['content-type']);
  if (!checked) return;
  const { target, maxBytes, type } = checked;
  // As with requestUpload's URLs, a key is written once: a published photo is never replaced.
  const published = target.storeKey === target.key ? undefined : target.key;
  const [existing, processed] = await Promise.all([deps.blobs.head(target.storeKey), published ? deps.blobs.head(published) : undefined]);
  if (existing || processed) return fail(r, 403, 'AccessDenied', 'This key has already been used; upload under a new timestamp.');
  const info = await storeBody(r, maxBytes, (body, length) => deps.blobs.put(target.storeKey, body, { contentType: type, contentLength: length }));
  if (!info) return;
  deps.log?.info({ key: target.key, sub: r.caller.sub, size: info.size }, 'object uploaded through the S3 endpoint');
  const crc = r.req.headers['x-amz-checksum-crc32'];
  sendEmpty(r, 200, { etag: info.etag, ...(typeof crc === 'string' ? { 'x-amz-checksum-crc32': crc } : {}) });
}

export async function getObject(r: S3Request, deps: S3Deps): Promise<void> {
  if (!canRead(r.key)) return fail(r, 403, 'AccessDenied', 'Access Denied');
  const behaviour = behaviourFor(`/${r.key}`)!;
  r.res.setHeader('x-amz-request-id', r.requestId);
  await serveObject(r.req, r.res, { blobs: deps.blobs, behaviour: { ...behaviour, cacheable: false }, key: r.key, path: `/${r.key}` });
}

export async function deleteObject(r: S3Request, deps: S3Deps): Promise<void> {
  if (!canDelete(r.caller, r.key)) return fail(r, 403, 'AccessDenied', 'Access Denied');
  const parsed = parseMediaKey(r.key)!;
  if (parsed.kind === 'PHOTO') {
    // A gallery photo goes with its record and both variants (deletePhoto's rule).
    await deps.media.deletePhoto(r.caller.sub!, r.key);
  } else {
    await Promise.all([deps.blobs.delete(r.key), deps.blobs.delete(`incoming/${r.key}`)]);
    await deps.invalidate([`/${r.key}`]);
  }
  sendEmpty(r, 204);
}

export async function listObjectsV2(r: S3Request, deps: S3Deps): Promise<void> {
  const q = r.query;
  const prefix = q.get('prefix') ?? '';
  if (!canList(prefix)) return fail(r, 403, 'AccessDenied', 'Listings are allowed within one user\'s folder of profile-photos/, fotos/ or videos/.');
  const maxKeys = q.has('max-keys') ? Number(q.get('max-keys')) : MAX_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) return fail(r, 400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
  const delimiter = q.get('delimiter') || undefined;
  const token = q.get('continuation-token') ?? undefined;
  const startAfter = q.get('start-after') ?? undefined;
  let page;
  try {
    page = await deps.blobs.list(prefix, { limit: Math.max(1, Math.min(maxKeys, MAX_KEYS)), cursor: token });
  } catch (err) {
    if (err instanceof BlobKeyError) return fail(r, 400, 'InvalidArgument', 'The continuation token provided is incorrect');
    throw err;
  }
  const items = maxKeys === 0 ? [] : page.items.filter((i) => token !== undefined || startAfter === undefined || i.key > startAfter);
  const commonPrefixes = new Set<string>();
  const contents = items.filter((i) => {
    if (!delimiter) return true;
    const at = i.key.indexOf(delimiter, prefix.length);
    if (at === -1) return true;
    commonPrefixes.add(i.key.slice(0, at + delimiter.length));
    return false;
  });
  sendXml(
    r,
    200,
    listBucketResult({
      bucket: r.bucket,
      prefix,
      delimiter,
      maxKeys,
      items: contents,
      commonPrefixes: [...commonPrefixes],
      continuationToken: token,
      nextContinuationToken: maxKeys === 0 ? undefined : page.cursor,
      startAfter,
      encodeKeys: q.get('encoding-type') === 'url',
    }),
  );
}
