/**
 * The Blobs port on a local folder (embedded mode): `<root>/<bucket>/<key>` holds the bytes, so the
 * folder mirrors the bucket and can be browsed or copied as is; `<root>/<bucket>/.biilive/meta/<key>.json`
 * holds content type, ETag (MD5, as S3) and the data file's inode; `.biilive/tmp/` holds writes in
 * progress. Keys never start a segment with '.', so these names cannot collide with a key.
 *
 * Atomicity: a write goes to a temp file and its metadata to another (both fsynced), then the data
 * is renamed over the key and the metadata over its own name, then both folders are fsynced. A
 * reader opens the data file and accepts the metadata only when it names the inode it opened; in
 * the short window between the two renames it retries, and after a crash in that window it
 * rebuilds the metadata from the bytes. So no partial object is ever visible and a reader never
 * pairs new bytes with old metadata. Limitation: a key cannot also be a "folder" of another key
 * (`a/b` and `a/b/c`), which the media layout never does; that write fails with BlobKeyError.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import {
  BlobKeyError,
  BlobSizeError,
  validateBlobKey,
  type BlobInfo,
  type BlobObject,
  type BlobSummary,
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
import { checkContentType, checkLimit, checkPrefix, quoteEtag, resolveRange } from './common.ts';
import { ObjectCreatedEmitter } from './events.ts';
import { keysUnder } from './fs-list.ts';
import type { EmbeddedUrlSigner } from './url-signer.ts';

export interface FsBlobsOptions {
  /** The media folder; the bucket is the folder `<root>/<bucket>` (embedded: `<dataDir>/media`). */
  root: string;
  bucket: string;
  /** Signs presigned URLs served by our own media handler; without it presign* throws. */
  signer?: EmbeddedUrlSigner;
  clock?: Clock;
  log?: Logger;
  /** fsync files and folders before a write is acknowledged (default true). */
  durable?: boolean;
}

interface Meta {
  contentType: string;
  etag: string;
  size: number;
  ino: number;
  lastModified: number;
}

const INTERNAL = '.biilive';
const CONSISTENCY_RETRIES = 5;
/** Read chunk size: a 12-MP JPEG is read in ~10 chunks rather than ~40. */
const READ_CHUNK = 256 * 1024;

export class FsBlobs implements Blobs {
  readonly bucket: string;
  private readonly dir: string;
  private readonly events: ObjectCreatedEmitter;
  private readonly now: () => number;
  private readonly durable: boolean;
  /** Writes of one key run one after another in this process (the rename pair stays ordered). */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(private readonly options: FsBlobsOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) throw new BlobKeyError(`invalid bucket name ${options.bucket}`);
    this.bucket = options.bucket;
    this.dir = resolve(options.root, options.bucket);
    this.events = new ObjectCreatedEmitter(options.log);
    this.now = () => options.clock?.now() ?? Date.now();
    this.durable = options.durable ?? true;
  }

  /** The bucket is a folder of the data dir: always created (nothing to misconfigure). */
  async ensure(_options?: { create?: boolean }): Promise<void> {
    await fs.mkdir(join(this.dir, INTERNAL, 'tmp'), { recursive: true });
    await fs.mkdir(join(this.dir, INTERNAL, 'meta'), { recursive: true });
  }

  /** Absolute path of a key's data file; refuses anything that would resolve outside the bucket. */
  private dataPath(key: string): string {
    validateBlobKey(key);
    const path = resolve(this.dir, key);
    if (!path.startsWith(this.dir + sep)) throw new BlobKeyError('key resolves outside the bucket');
    return path;
  }

  private metaPath(key: string): string {
    return join(this.dir, INTERNAL, 'meta', `${key}.json`);
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<BlobInfo> {
    const path = this.dataPath(key);
    const contentType = checkContentType(options.contentType);
    const expected = Buffer.isBuffer(body) ? body.length : options.contentLength;
    if (expected === undefined || !Number.isInteger(expected) || expected < 0) {
      throw new BlobSizeError(0, 0);
    }
    if (Buffer.isBuffer(body) && options.contentLength !== undefined && options.contentLength !== body.length) {
      throw new BlobSizeError(options.contentLength, body.length);
    }
    const tmp = join(this.dir, INTERNAL, 'tmp', randomUUID());
    const metaTmp = `${tmp}.json`;
    try {
      const meta = await this.writeTemp(tmp, metaTmp, body, expected, contentType);
      const info = await this.serialized(key, async () => {
        // Both temp files are durable; the renames become durable with their folders' fsync.
        await this.moveInto(tmp, path, key);
        const metaPath = this.metaPath(key);
        await fs.mkdir(dirname(metaPath), { recursive: true });
        await fs.rename(metaTmp, metaPath);
        if (this.durable) await Promise.all([syncDir(dirname(path)), syncDir(dirname(metaPath))]);
        return toInfo(key, meta);
      });
      this.events.emit({ eventName: 'ObjectCreated:Put', bucket: this.bucket, key, size: info.size, etag: info.etag, eventTime: info.lastModified });
      return info;
    } finally {
      await Promise.all([fs.rm(tmp, { force: true }), fs.rm(metaTmp, { force: true })]);
    }
  }

  /**
   * Streams `body` into a new temp file with a byte cap and writes its metadata beside it; both are
   * fsynced (concurrently) before anything is renamed into place.
   */
  private async writeTemp(tmp: string, metaTmp: string, body: Buffer | Readable, expected: number, contentType: string): Promise<Meta> {
    const hash = createHash('md5');
    let size = 0;
    const fh = await fs.open(tmp, 'wx', 0o644).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await this.ensure();
      return fs.open(tmp, 'wx', 0o644);
    });
    try {
      if (Buffer.isBuffer(body)) {
        hash.update(body);
        size = body.length;
        await fh.writeFile(body);
      } else {
        for await (const chunk of body) {
          const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          size += buf.length;
          if (size > expected) {
            body.destroy();
            throw new BlobSizeError(expected, size);
          }
          hash.update(buf);
          await fh.write(buf);
        }
        if (size !== expected) throw new BlobSizeError(expected, size);
      }
      const { ino } = await fh.stat();
      const meta: Meta = { contentType, etag: quoteEtag(hash.digest('hex')), size, ino, lastModified: this.now() };
      await Promise.all([this.durable ? fh.sync() : undefined, fs.writeFile(metaTmp, JSON.stringify(meta), { flush: this.durable })]);
      return meta;
    } finally {
      await fh.close().catch(() => {});
    }
  }

  private async moveInto(tmp: string, path: string, key: string): Promise<void> {
    try {
      await fs.mkdir(dirname(path), { recursive: true });
      await fs.rename(tmp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new BlobKeyError(`key ${key} conflicts with another key used as a folder`);
      }
      throw err;
    }
  }

  private async writeMeta(key: string, meta: Meta): Promise<void> {
    const path = this.metaPath(key);
    const tmp = join(this.dir, INTERNAL, 'tmp', `${randomUUID()}.json`);
    await fs.writeFile(tmp, JSON.stringify(meta), { flush: this.durable });
    try {
      await fs.mkdir(dirname(path), { recursive: true });
      await fs.rename(tmp, path);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    if (this.durable) await syncDir(dirname(path));
  }

  private async readMeta(key: string): Promise<Meta | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.metaPath(key), 'utf8')) as Meta;
    } catch {
      return undefined;
    }
  }

  private serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.writing.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => {});
    this.writing.set(key, tail);
    void tail.then(() => this.writing.get(key) === tail && this.writing.delete(key));
    return run;
  }

  /** Opens a key's data file with metadata that belongs to it (see the header comment). */
  private async open(key: string): Promise<{ fh: fs.FileHandle; meta: Meta } | undefined> {
    const path = this.dataPath(key);
    for (let attempt = 0; ; attempt++) {
      let fh: fs.FileHandle;
      try {
        fh = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
        throw err;
      }
      const st = await fh.stat();
      if (!st.isFile()) {
        await fh.close();
        return undefined;
      }
      const meta = await this.readMeta(key);
      if (meta && meta.ino === st.ino && meta.size === st.size) return { fh, meta };
      if (attempt < CONSISTENCY_RETRIES) {
        await fh.close();
        await new Promise((r) => setTimeout(r, 2 * (attempt + 1)));
        continue;
      }
      // A write crashed between its two renames: rebuild the metadata from the bytes.
      const repaired = await this.repair(key, fh, st.ino, st.size, st.mtimeMs, meta);
      return { fh, meta: repaired };
    }
  }

  private async repair(key: string, fh: fs.FileHandle, ino: number, size: number, mtime: number, stale?: Meta): Promise<Meta> {
    const hash = createHash('md5');
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    const meta: Meta = {
      contentType: stale?.contentType ?? 'application/octet-stream',
      etag: quoteEtag(hash.digest('hex')),
      size,
      ino,
      lastModified: Math.round(mtime),
    };
    this.options.log?.warn({ key }, 'blob metadata rebuilt from the data file');
    await this.serialized(key, () => this.writeMeta(key, meta)).catch(() => {});
    return meta;
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<BlobObject | undefined> {
    const opened = await this.open(key);
    if (!opened) return undefined;
    const { fh, meta } = opened;
    const info = toInfo(key, meta);
    try {
      if (options.range) {
        const range = resolveRange(options.range, meta.size);
        return { info, range, body: fh.createReadStream({ start: range.start, end: range.end, highWaterMark: READ_CHUNK }) };
      }
      if (meta.size === 0) {
        await fh.close();
        return { info, body: Readable.from([]) };
      }
      return { info, body: fh.createReadStream({ start: 0, highWaterMark: READ_CHUNK }) };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const opened = await this.open(key);
    if (!opened) return undefined;
    await opened.fh.close();
    return toInfo(key, opened.meta);
  }

  async delete(key: string): Promise<void> {
    const path = this.dataPath(key);
    await this.serialized(key, async () => {
      try {
        const st = await fs.lstat(path);
        if (!st.isFile()) return;
        await fs.unlink(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await fs.rm(this.metaPath(key), { force: true });
    });
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    checkPrefix(prefix);
    const limit = checkLimit(options.limit);
    let after: string | undefined;
    if (options.cursor !== undefined) {
      after = Buffer.from(options.cursor, 'base64url').toString('utf8');
      if (!after.startsWith(prefix)) throw new BlobKeyError('invalid cursor');
    }
    const keys = await keysUnder(this.dir, prefix, after);
    const items: BlobSummary[] = [];
    let last: string | undefined;
    for (const key of keys) {
      if (items.length === limit) break;
      last = key;
      const info = await this.head(key);
      if (info) items.push({ key, size: info.size, etag: info.etag, lastModified: info.lastModified });
    }
    const more = last !== undefined && keys.indexOf(last) < keys.length - 1;
    return { items, cursor: more ? Buffer.from(last!).toString('base64url') : undefined };
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    validateBlobKey(key);
    checkContentType(options.contentType);
    const signer = this.requireSigner();
    const expiresAt = this.now() + options.expiresInSeconds * 1000;
    return {
      method: 'PUT',
      url: signer.signPut(key, options.contentType, options.contentLength, expiresAt),
      headers: { 'content-type': options.contentType, 'content-length': String(options.contentLength) },
      expiresAt: Math.ceil(expiresAt / 1000) * 1000,
    };
  }

  async presignGet(key: string, options: { expiresInSeconds: number }): Promise<PresignedRequest> {
    validateBlobKey(key);
    const expiresAt = this.now() + options.expiresInSeconds * 1000;
    return { method: 'GET', url: this.requireSigner().signGet(key, expiresAt), headers: {}, expiresAt: Math.ceil(expiresAt / 1000) * 1000 };
  }

  private requireSigner(): EmbeddedUrlSigner {
    if (!this.options.signer) throw new Error('presigned URLs need a signer (FsBlobsOptions.signer)');
    return this.options.signer;
  }

  onObjectCreated(listener: ObjectCreatedListener): () => void {
    return this.events.subscribe(listener);
  }

  async close(): Promise<void> {
    await Promise.all([...this.writing.values()]);
  }
}

const toInfo = (key: string, meta: Meta): BlobInfo => ({
  key,
  size: meta.size,
  contentType: meta.contentType,
  etag: meta.etag,
  lastModified: meta.lastModified,
});

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
