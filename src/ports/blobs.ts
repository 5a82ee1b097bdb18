/**
 * Blobs port: an S3-shaped object store for one bucket.
 *
 * Adapters: local filesystem (embedded; src/adapters/blobs/fs-blobs.ts) and any S3 API
 * (src/adapters/blobs/s3-blobs.ts). Both pass test/adapters/blobs.conformance.ts. Semantics are
 * S3's, restricted to what media needs: whole-object writes that appear atomically (a reader sees
 * the old object or the new one, never a part), byte-range reads, prefix listings in UTF-8 key
 * order, presigned PUT/GET, and object-created notifications.
 */
import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  /** Bytes. */
  size: number;
  contentType: string;
  /** Strong validator, quoted as S3 sends it (the MD5 of the bytes for single-part objects). */
  etag: string;
  /** Epoch ms of the last write. */
  lastModified: number;
}

/** Inclusive byte range; `end` past the object is clamped (S3/HTTP semantics). */
export type ByteRange = { start: number; end?: number } | { suffix: number };

export interface BlobObject {
  info: BlobInfo;
  /** The requested bytes; the caller must consume or destroy it. */
  body: Readable;
  /** The range served (inclusive), present when a range was asked for. */
  range?: { start: number; end: number };
}

export interface PutOptions {
  contentType: string;
  /**
   * Exact length. Required for a stream body: the write fails with BlobSizeError (and stores
   * nothing) when the stream yields more or fewer bytes, so a body is never buffered unbounded.
   */
  contentLength?: number;
}

export interface ListOptions {
  /** At most this many keys per page (1..1000, default 1000). */
  limit?: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

/** A listed object (S3 listings carry no content type). */
export type BlobSummary = Omit<BlobInfo, 'contentType'>;

export interface ListResult {
  items: BlobSummary[];
  /** Present when more keys may follow. */
  cursor?: string;
}

export interface PresignPutOptions {
  contentType: string;
  contentLength: number;
  expiresInSeconds: number;
}

/** A request the client makes as is: method, URL and the headers it must send (signed ones). */
export interface PresignedRequest {
  method: 'PUT' | 'GET';
  url: string;
  headers: Record<string, string>;
  /** Epoch ms. */
  expiresAt: number;
}

/** S3's ObjectCreated notification, flattened (the S3 event record is built from it by functions/). */
export interface ObjectCreatedEvent {
  eventName: 'ObjectCreated:Put';
  bucket: string;
  key: string;
  size: number;
  etag: string;
  /** Epoch ms. */
  eventTime: number;
}

export type ObjectCreatedListener = (event: ObjectCreatedEvent) => void;

export interface Blobs {
  readonly bucket: string;
  /**
   * Checks the bucket exists and creates it when missing, unless `create` is false: then a
   * missing bucket throws BucketMissingError (a server never creates production buckets by itself).
   */
  ensure(options?: { create?: boolean }): Promise<void>;
  /** Stores the whole object, replacing any previous one, then notifies object-created listeners. */
  put(key: string, body: Buffer | Readable, options: PutOptions): Promise<BlobInfo>;
  /** undefined when there is no such key. Throws BlobRangeError when the range starts past the end. */
  get(key: string, options?: { range?: ByteRange }): Promise<BlobObject | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Idempotent: deleting a missing key is not an error (S3 semantics). */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in UTF-8 byte order. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** A URL that stores exactly `contentLength` bytes of `contentType` at `key` until it expires. */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest>;
  presignGet(key: string, options: { expiresInSeconds: number }): Promise<PresignedRequest>;
  /**
   * Object-created notifications for writes made through this adapter, including (embedded)
   * presigned uploads accepted by our own server. Returns the unsubscribe function. Listeners
   * run after the write is visible; their errors are theirs to handle.
   */
  onObjectCreated(listener: ObjectCreatedListener): () => void;
  /** Releases clients and handles; pending writes are not cancelled. */
  close(): Promise<void>;
}

/** A key refused by the key rules (see validateBlobKey). */
export class BlobKeyError extends Error {
  override readonly name = 'BlobKeyError';
}

/** A stream body longer or shorter than its declared contentLength; nothing was stored. */
export class BlobSizeError extends Error {
  override readonly name = 'BlobSizeError';
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(received > expected ? `body exceeds ${expected} bytes` : `body has ${received} of ${expected} bytes`);
  }
}

/** The requested range starts at or past the end of the object (HTTP 416). */
export class BlobRangeError extends Error {
  override readonly name = 'BlobRangeError';
  constructor(readonly size: number) {
    super(`range not satisfiable for an object of ${size} bytes`);
  }
}

/** Longest key, in UTF-8 bytes (S3's limit). */
export const MAX_KEY_BYTES = 1024;

/**
 * Key rules shared by every adapter (stricter than S3, so a key valid here maps safely onto a
 * filesystem path): 1..1024 UTF-8 bytes; segments separated by '/', none empty, none starting with
 * '.' (so no '.', '..' or hidden files); no leading or trailing '/'; no '\', '%' (nothing
 * percent-encoded, so no encoded traversal), NUL or other control characters.
 */
export function validateBlobKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new BlobKeyError('key must be a non-empty string');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new BlobKeyError(`key exceeds ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\%]/.test(key)) throw new BlobKeyError('key has a forbidden character');
  for (const segment of key.split('/')) {
    if (segment.length === 0) throw new BlobKeyError('key has an empty segment');
    if (segment.startsWith('.')) throw new BlobKeyError('key segments may not start with "."');
  }
  return key;
}

export function isValidBlobKey(key: unknown): key is string {
  try {
    validateBlobKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Verifies presigned requests our own server receives (embedded store only: with S3, S3 itself
 * verifies). Implemented by src/adapters/blobs/url-signer.ts; the media HTTP handler depends on this
 * interface only.
 */
export interface PresignVerifier {
  verify(request: {
    method: 'PUT' | 'GET';
    key: string;
    query: URLSearchParams;
    /** For PUT: the Content-Type header sent (compared with the pinned one). */
    contentType?: string;
    now: number;
  }): PresignCheck;
}

export type PresignCheck =
  | { ok: true; contentType?: string; contentLength?: number }
  | { ok: false; code: 'AccessDenied' | 'SignatureDoesNotMatch'; message: string };

/** The configured bucket does not exist (and ensure was asked not to create it). */
export class BucketMissingError extends Error {
  override readonly name = 'BucketMissingError';
  constructor(readonly bucket: string) {
    super(`The bucket ${bucket} does not exist`);
  }
}
