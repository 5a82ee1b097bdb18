/**
 * PUT /media/upload/<key>: the embedded store's presigned upload. Checked before a byte is stored:
 * the signature (method, key, content type, length, expiry), the key (a photo quarantine key or a
 * video key of the layout), the Content-Type sent, and Content-Length against the pinned length.
 * The body then streams to the store with a byte cap; a body longer or shorter than pinned stores
 * nothing. A URL is single-use in practice: once its object (or the processed photo) exists, PUT
 * is refused, so a leaked URL cannot replace a published photo.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlobKeyError, BlobSizeError, type Blobs, type PresignVerifier } from '../../ports/blobs.ts';
import { INCOMING_PREFIX, parseMediaKey, parsePhotoUpload } from '../../domain/media/keys.ts';
import { sendS3Error } from './s3-errors.ts';

export interface UploadContext {
  blobs: Blobs;
  presign: PresignVerifier;
  now: number;
  key: string;
  query: URLSearchParams;
  /** Keys a presigned PUT may target. */
  allowed: (key: string) => boolean;
}

/** Keys a presigned PUT may target: photo uploads in quarantine, or videos. */
export function isUploadKey(key: string): boolean {
  if (parsePhotoUpload(key)) return true;
  const parsed = parseMediaKey(key);
  return parsed?.kind === 'VIDEO';
}

export async function handleUpload(req: IncomingMessage, res: ServerResponse, ctx: UploadContext): Promise<void> {
  const { key } = ctx;
  const resource = { Key: key };
  const check = ctx.presign.verify({
    method: 'PUT',
    key,
    query: ctx.query,
    contentType: req.headers['content-type'],
    now: ctx.now,
  });
  if (!check.ok) return sendS3Error(req, res, 403, check.code, check.message, resource);
  if (!ctx.allowed(key)) return sendS3Error(req, res, 403, 'AccessDenied', 'Access Denied', resource);
  const pinned = check.contentLength!;

  const declared = req.headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) {
    return sendS3Error(req, res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.', resource);
  }
  const length = Number(declared);
  if (length > pinned) {
    return sendS3Error(req, res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      ...resource,
      ProposedSize: String(length),
      MaxSizeAllowed: String(pinned),
    });
  }
  if (length < pinned) {
    return sendS3Error(req, res, 400, 'EntityTooSmall', 'Your proposed upload is smaller than the signed size', {
      ...resource,
      ProposedSize: String(length),
      MinSizeAllowed: String(pinned),
    });
  }

  const published = key.startsWith(INCOMING_PREFIX) ? key.slice(INCOMING_PREFIX.length) : undefined;
  const [existing, processed] = await Promise.all([ctx.blobs.head(key), published ? ctx.blobs.head(published) : undefined]);
  if (existing || processed) {
    return sendS3Error(req, res, 403, 'AccessDenied', 'This upload URL has already been used', resource);
  }

  let info;
  try {
    info = await ctx.blobs.put(key, req, { contentType: check.contentType!, contentLength: pinned });
  } catch (err) {
    if (err instanceof BlobSizeError) {
      if (res.destroyed || req.destroyed) return;
      return err.received > err.expected
        ? sendS3Error(req, res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', resource)
        : sendS3Error(req, res, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header', resource);
    }
    if (err instanceof BlobKeyError) return sendS3Error(req, res, 400, 'InvalidArgument', err.message, resource);
    if (req.destroyed || (err as NodeJS.ErrnoException)?.code === 'ECONNRESET') {
      // The client aborted mid-body: nothing was stored, nobody to answer.
      if (!res.headersSent) res.destroy();
      return;
    }
    throw err;
  }
  res.writeHead(200, { etag: info.etag, 'content-length': '0', 'x-content-type-options': 'nosniff' });
  res.end();
}
