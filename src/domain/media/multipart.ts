/**
 * S3 multipart uploads through the media endpoint (Amplify switches to them above 5 MB): parts are
 * stored as blobs under `multipart/<sub>/<uploadId>/<part>` and recorded in the system table,
 *   pk `MULTIPART#<uploadId>`, sk `UPLOAD` (owner, key, storeKey, kind, content type, createdAt)
 *   pk `MULTIPART#<uploadId>`, sk `PART#<5 digits>` (etag, size)
 * and CompleteMultipartUpload streams the listed parts, in order, into ONE write of the final
 * object, so both blob adapters store it unchanged and it appears (and triggers ProcessProfilePhoto
 * for photos) exactly as a single PUT. Sizes are held to the kind's limit as parts arrive. Uploads
 * left unfinished longer than `ttlMs` are aborted when their owner starts another one.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobInfo, Blobs } from '../../ports/blobs.ts';
import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Item, type Tables } from '../../ports/tables.ts';
import type { MediaKind } from './keys.ts';
import type { WriteTarget } from './s3-access.ts';

export const MULTIPART_PREFIX = 'multipart/';
export const MAX_PART_NUMBER = 10_000;

export interface MultipartUpload {
  uploadId: string;
  owner: string;
  key: string;
  storeKey: string;
  kind: MediaKind;
  contentType: string;
  createdAt: number;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
}

/** Why a multipart request is refused, named as S3 names it. */
export class MultipartError extends Error {
  constructor(
    readonly code: 'NoSuchUpload' | 'InvalidPart' | 'InvalidPartOrder' | 'EntityTooSmall' | 'EntityTooLarge' | 'InvalidArgument',
    message: string,
  ) {
    super(message);
  }
}

const pk = (uploadId: string) => `MULTIPART#${uploadId}`;
const partSk = (n: number) => `PART#${String(n).padStart(5, '0')}`;

export class MultipartUploads {
  constructor(
    private readonly deps: {
      tables: Tables;
      systemTable: string;
      blobs: Blobs;
      clock: Clock;
      /** S3's minimum size of every part but the last (5 MiB). */
      minPartBytes: number;
      ttlMs: number;
    },
  ) {}

  async create(owner: string, target: WriteTarget, contentType: string): Promise<MultipartUpload> {
    await this.abortStale(owner);
    const upload: MultipartUpload = {
      uploadId: randomBytes(24).toString('base64url'),
      owner,
      key: target.key,
      storeKey: target.storeKey,
      kind: target.kind,
      contentType,
      createdAt: this.deps.clock.now(),
    };
    await this.deps.tables.put({
      table: this.deps.systemTable,
      item: { pk: pk(upload.uploadId), sk: 'UPLOAD', ...upload, ttl: Math.ceil((upload.createdAt + this.deps.ttlMs) / 1000) },
      condition: { notExists: 'pk' },
    });
    return upload;
  }

  /** The upload, if it exists and belongs to `owner` for this key. */
  async get(owner: string, uploadId: string, key: string): Promise<MultipartUpload> {
    const item = /^[\w-]{16,64}$/.test(uploadId) ? await this.deps.tables.get(this.deps.systemTable, { pk: pk(uploadId), sk: 'UPLOAD' }, { consistent: true }) : undefined;
    if (!item || item.owner !== owner || item.key !== key || Number(item.createdAt) + this.deps.ttlMs <= this.deps.clock.now()) {
      throw new MultipartError('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
    }
    return fromItem(item);
  }

  async parts(upload: MultipartUpload): Promise<PartInfo[]> {
    const out: PartInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.tables.query({ table: this.deps.systemTable, partition: pk(upload.uploadId), sort: { op: 'beginsWith', value: 'PART#' }, consistent: true, cursor });
      for (const i of page.items) out.push({ partNumber: Number(i.partNumber), etag: String(i.etag), size: Number(i.size), lastModified: Number(i.lastModified) });
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  /** Stores one part (replacing an earlier one of that number); the upload's total stays within `maxBytes`. */
  async uploadPart(upload: MultipartUpload, partNumber: number, body: Readable, size: number, maxBytes: number): Promise<PartInfo> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new MultipartError('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`);
    }
    const others = (await this.parts(upload)).filter((p) => p.partNumber !== partNumber).reduce((sum, p) => sum + p.size, 0);
    if (others + size > maxBytes) throw new MultipartError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    const info = await this.deps.blobs.put(this.partKey(upload, partNumber), body, { contentType: 'application/octet-stream', contentLength: size });
    const part: PartInfo = { partNumber, etag: info.etag, size, lastModified: info.lastModified };
    await this.deps.tables.put({ table: this.deps.systemTable, item: { pk: pk(upload.uploadId), sk: partSk(partNumber), ...part } });
    return part;
  }

  /** Joins the listed parts (ascending numbers, matching ETags) into the final object, then forgets the upload. */
  async complete(upload: MultipartUpload, listed: Array<{ partNumber: number; etag: string }>, maxBytes: number): Promise<BlobInfo> {
    if (listed.length === 0) throw new MultipartError('InvalidArgument', 'You must specify at least one part');
    const stored = new Map((await this.parts(upload)).map((p) => [p.partNumber, p]));
    const chosen: PartInfo[] = [];
    for (const [i, l] of listed.entries()) {
      if (i > 0 && l.partNumber <= listed[i - 1].partNumber) throw new MultipartError('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
      const p = stored.get(l.partNumber);
      if (!p || unquote(p.etag) !== unquote(l.etag)) {
        throw new MultipartError('InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.');
      }
      chosen.push(p);
    }
    for (const p of chosen.slice(0, -1)) {
      if (p.size < this.deps.minPartBytes) throw new MultipartError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
    }
    const total = chosen.reduce((sum, p) => sum + p.size, 0);
    if (total > maxBytes) throw new MultipartError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    const blobs = this.deps.blobs;
    const partKeys = chosen.map((p) => this.partKey(upload, p.partNumber));
    const joined = Readable.from(
      (async function* () {
        for (const key of partKeys) {
          const obj = await blobs.get(key);
          if (!obj) throw new MultipartError('InvalidPart', 'A part vanished before the upload completed.');
          yield* obj.body;
        }
      })(),
    );
    const info = await blobs.put(upload.storeKey, joined, { contentType: upload.contentType, contentLength: total });
    await this.forget(upload);
    return info;
  }

  async abort(upload: MultipartUpload): Promise<void> {
    await this.forget(upload);
  }

  private partKey(upload: MultipartUpload, n: number): string {
    return `${MULTIPART_PREFIX}${upload.owner}/${upload.uploadId}/${n}`;
  }

  private async forget(upload: MultipartUpload): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.deps.blobs.list(`${MULTIPART_PREFIX}${upload.owner}/${upload.uploadId}/`, { cursor });
      for (const item of page.items) await this.deps.blobs.delete(item.key);
      cursor = page.cursor;
    } while (cursor);
    const { tables, systemTable } = this.deps;
    const records = await tables.query({ table: systemTable, partition: pk(upload.uploadId), consistent: true });
    for (const item of records.items) {
      await tables.delete({ table: systemTable, key: { pk: String(item.pk), sk: String(item.sk) }, condition: { exists: 'pk' } }).catch((err: unknown) => {
        if (!(err instanceof ConditionalCheckFailedError)) throw err;
      });
    }
  }

  /** Aborts this owner's uploads older than the TTL (their parts would otherwise stay forever). */
  private async abortStale(owner: string): Promise<void> {
    const ids = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.deps.blobs.list(`${MULTIPART_PREFIX}${owner}/`, { cursor });
      for (const item of page.items) ids.add(item.key.split('/')[2]);
      cursor = page.cursor;
    } while (cursor);
    const now = this.deps.clock.now();
    for (const uploadId of ids) {
      const item = await this.deps.tables.get(this.deps.systemTable, { pk: pk(uploadId), sk: 'UPLOAD' }, { consistent: true });
      if (!item || Number(item.createdAt) + this.deps.ttlMs <= now) {
        await this.forget({ uploadId, owner, key: '', storeKey: '', kind: 'VIDEO', contentType: '', createdAt: 0 });
      }
    }
  }
}

const unquote = (etag: string) => etag.replace(/^"|"$/g, '');

function fromItem(i: Item): MultipartUpload {
  return {
    uploadId: String(i.uploadId),
    owner: String(i.owner),
    key: String(i.key),
    storeKey: String(i.storeKey),
    kind: i.kind as MediaKind,
    contentType: String(i.contentType),
    createdAt: Number(i.createdAt),
  };
}
