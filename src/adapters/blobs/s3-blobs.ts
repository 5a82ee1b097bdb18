/**
 * The Blobs port on any S3 API (AWS S3, MinIO, s3rver in tests) through AWS SDK v3.
 *
 * - Presigned PUTs sign Content-Type and Content-Length as headers, so S3 itself refuses another
 *   type or size. Request checksums are computed only when S3 requires them: with the SDK's default
 *   ("when supported") a presigned PUT would carry the CRC32 of an empty body and fail on AWS.
 * - Object-created notifications fire for writes made through this adapter only. Uploads that go
 *   straight to S3 with a presigned URL reach ProcessProfilePhoto through the bucket's own
 *   notification (on AWS: S3 -> Lambda, infra/).
 */
import { Transform, type Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BucketMissingError,
  BlobKeyError,
  BlobRangeError,
  BlobSizeError,
  validateBlobKey,
  type BlobInfo,
  type BlobObject,
  type Blobs,
  type ByteRange,
  type ListOptions,
  type ListResult,
  type ObjectCreatedListener,
  type PresignedRequest,
  type PresignPutOptions,
  type PutOptions,
} from '../../ports/blobs.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import { checkContentType, checkLimit, checkPrefix, resolveRange } from './common.ts';
import { ObjectCreatedEmitter } from './events.ts';

export interface S3BlobsOptions {
  bucket: string;
  region: string;
  /** Any S3 endpoint (MinIO, a test server); default AWS. */
  endpoint?: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), needed by most non-AWS servers. */
  forcePathStyle?: boolean;
  credentials?: S3ClientConfig['credentials'];
  maxAttempts?: number;
  /** A request idle this long (no bytes either way) fails instead of hanging (default 60 s). */
  requestTimeoutMs?: number;
  clock?: Clock;
  log?: Logger;
}

type S3Error = Error & { $metadata?: { httpStatusCode?: number } };
const status = (err: unknown) => (err as S3Error)?.$metadata?.httpStatusCode;

export class S3Blobs implements Blobs {
  readonly bucket: string;
  readonly client: S3Client;
  private readonly events: ObjectCreatedEmitter;
  private readonly now: () => number;

  constructor(options: S3BlobsOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts,
      requestHandler: { requestTimeout: options.requestTimeoutMs ?? 60_000, connectionTimeout: 10_000 },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.events = new ObjectCreatedEmitter(options.log);
    this.now = () => options.clock?.now() ?? Date.now();
  }

  async ensure(options: { create?: boolean } = {}): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (status(err) !== 404) throw err;
      if (options.create === false) throw new BucketMissingError(this.bucket);
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<BlobInfo> {
    validateBlobKey(key);
    const contentType = checkContentType(options.contentType);
    const size = Buffer.isBuffer(body) ? body.length : options.contentLength;
    if (size === undefined || !Number.isInteger(size) || size < 0) throw new BlobSizeError(0, 0);
    if (Buffer.isBuffer(body) && options.contentLength !== undefined && options.contentLength !== size) {
      throw new BlobSizeError(options.contentLength, size);
    }
    let sizeError: BlobSizeError | undefined;
    // A body that runs long or short aborts the request, so S3 never stores a partial object.
    const abort = new AbortController();
    const payload = Buffer.isBuffer(body)
      ? body
      : capped(body, size, (err) => {
          sizeError = err;
          abort.abort(err);
        });
    let etag: string;
    try {
      const out = await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: payload, ContentType: contentType, ContentLength: size }),
        { abortSignal: abort.signal },
      );
      etag = out.ETag ?? '""';
    } catch (err) {
      throw sizeError ?? err;
    }
    if (sizeError) throw sizeError;
    const info: BlobInfo = { key, size, contentType, etag, lastModified: this.now() };
    this.events.emit({ eventName: 'ObjectCreated:Put', bucket: this.bucket, key, size, etag, eventTime: info.lastModified });
    return info;
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<BlobObject | undefined> {
    validateBlobKey(key);
    const range = options.range;
    if (range) {
      // Same validation as the fs store (S3 ignores a malformed Range header instead of refusing it).
      if ('suffix' in range ? !(Number.isInteger(range.suffix) && range.suffix > 0) : !validStart(range)) {
        const info = await this.head(key);
        if (!info) return undefined;
        throw new BlobRangeError(info.size);
      }
    }
    let explicit = range;
    if (range && 'suffix' in range) {
      // Suffix ranges are resolved here: some S3-API servers (s3rver) answer them as prefixes.
      const info = await this.head(key);
      if (!info) return undefined;
      explicit = resolveRange(range, info.size);
    }
    const header = explicit && !('suffix' in explicit) ? `bytes=${explicit.start}-${explicit.end ?? ''}` : undefined;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: header }));
      const total = out.ContentRange ? Number(/\/(\d+)$/.exec(out.ContentRange)?.[1]) : (out.ContentLength ?? 0);
      const info: BlobInfo = {
        key,
        size: total,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: out.ETag ?? '""',
        lastModified: out.LastModified?.getTime() ?? 0,
      };
      const body = out.Body as Readable;
      if (!range) return { info, body };
      const m = /^bytes (\d+)-(\d+)\//.exec(out.ContentRange ?? '');
      return { info, body, range: m ? { start: Number(m[1]), end: Number(m[2]) } : resolveRange(range, total) };
    } catch (err) {
      if (status(err) === 404) return undefined;
      if (status(err) === 416) {
        const info = await this.head(key);
        if (!info) return undefined;
        throw new BlobRangeError(info.size);
      }
      throw err;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    validateBlobKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        etag: out.ETag ?? '""',
        lastModified: out.LastModified?.getTime() ?? 0,
      };
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    validateBlobKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    const limit = checkLimit(options.limit);
    let out;
    try {
      out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, MaxKeys: limit, ContinuationToken: options.cursor }),
      );
    } catch (err) {
      if (options.cursor !== undefined && status(err) === 400) throw new BlobKeyError('invalid cursor');
      throw err;
    }
    return {
      items: (out.Contents ?? []).map((c) => ({
        key: c.Key ?? '',
        size: c.Size ?? 0,
        etag: c.ETag ?? '""',
        lastModified: c.LastModified?.getTime() ?? 0,
      })),
      cursor: out.IsTruncated ? out.NextContinuationToken : undefined,
    };
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    validateBlobKey(key);
    checkContentType(options.contentType);
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: options.contentType,
      ContentLength: options.contentLength,
    });
    const url = await getSignedUrl(this.client, command, {
      expiresIn: options.expiresInSeconds,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    return {
      method: 'PUT',
      url,
      headers: { 'content-type': options.contentType, 'content-length': String(options.contentLength) },
      expiresAt: this.now() + options.expiresInSeconds * 1000,
    };
  }

  async presignGet(key: string, options: { expiresInSeconds: number }): Promise<PresignedRequest> {
    validateBlobKey(key);
    const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: options.expiresInSeconds,
    });
    return { method: 'GET', url, headers: {}, expiresAt: this.now() + options.expiresInSeconds * 1000 };
  }

  onObjectCreated(listener: ObjectCreatedListener): () => void {
    return this.events.subscribe(listener);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

const validStart = (r: { start: number; end?: number }) =>
  Number.isInteger(r.start) && r.start >= 0 && (r.end === undefined || (Number.isInteger(r.end) && r.end >= r.start));

/** Passes `body` through, failing (and reporting) once it yields more or fewer than `size` bytes. */
function capped(body: Readable, size: number, report: (err: BlobSizeError) => void): Transform {
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > size) {
        const err = new BlobSizeError(size, seen);
        report(err);
        done(err);
        return;
      }
      done(null, chunk);
    },
    flush(done) {
      if (seen !== size) {
        const err = new BlobSizeError(size, seen);
        report(err);
        done(err);
        return;
      }
      done();
    },
  });
  body.on('error', (err) => cap.destroy(err));
  // The failure is reported through `report` (and the aborted request); keep it from going uncaught.
  cap.on('error', () => {});
  return body.pipe(cap);
}
