/**
 * Media API: presigned uploads, gallery listings, deletion. Every method takes the caller's `sub`
 * first (from the verified token) and builds keys itself; nothing a client sends becomes a path.
 */
import type { Config } from '../../config/schema.ts';
import type { Blobs } from '../../ports/blobs.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Tables } from '../../ports/tables.ts';
import { badRequest, notFound, unauthorized } from '../errors.ts';
import { pageSize, withCursor, type PageLimits } from '../social/paging.ts';
import type { TableNames } from '../tables.ts';
import {
  INCOMING_PREFIX,
  MEDIA_KINDS,
  PHOTOS_PREFIX,
  PROFILE_PREFIX,
  VIDEOS_PREFIX,
  isMediaKind,
  mediaKey,
  parseMediaKey,
  requireMediaUserId,
  thumbnailKeyFor,
  uploadKeyFor,
  type MediaKind,
} from './keys.ts';
import { toPhoto, type Photo } from './photo-records.ts';

export type MediaSettings = Config['media'];

export interface MediaServiceDeps {
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'photos'>;
  blobs: Blobs;
  clock: Clock;
  settings: Pick<
    MediaSettings,
    | 'uploadUrlTtlSeconds'
    | 'profilePhotoTypes'
    | 'photoTypes'
    | 'videoTypes'
    | 'profilePhotoMaxBytes'
    | 'photoMaxBytes'
    | 'videoMaxBytes'
  >;
  limits: PageLimits;
  /** Absolute CDN URL of a public key (`<cdnBase>/<key>`). */
  urlFor: (key: string) => string;
  /** Deleted photos are invalidated here so every CDN cache drops them (the embedded servers', or CloudFront's). */
  invalidations?: { create(paths: string[]): Promise<unknown> };
  log?: Logger;
}

/** What requestUpload returns: PUT the bytes to `uploadUrl` with `headers` before `expiresAt`. */
export interface UploadTicket {
  /** Where the object will be served (seed layout); photos appear there once processed. */
  key: string;
  uploadUrl: string;
  method: 'PUT';
  /** ISO time. */
  expiresAt: string;
  /** Headers the PUT must carry (signed: another Content-Type or length is refused). */
  headers: Record<string, string>;
}

export interface PhotoPage {
  items: Photo[];
  cursor?: string;
}

export class MediaService {
  private lastTimestamp = 0;

  constructor(private readonly deps: MediaServiceDeps) {}

  /** Allowed types and size cap of a kind (config). */
  rules(kind: MediaKind): { contentTypes: readonly string[]; maxBytes: number } {
    const s = this.deps.settings;
    if (kind === 'PROFILE_PHOTO') return { contentTypes: s.profilePhotoTypes, maxBytes: s.profilePhotoMaxBytes };
    if (kind === 'PHOTO') return { contentTypes: s.photoTypes, maxBytes: s.photoMaxBytes };
    return { contentTypes: s.videoTypes, maxBytes: s.videoMaxBytes };
  }

  async requestUpload(callerSub: string, kind: unknown, contentType: unknown, contentLength: unknown): Promise<UploadTicket> {
    const userId = requireMediaUserId(callerSub, 'caller');
    if (!isMediaKind(kind)) throw badRequest(`kind must be one of ${MEDIA_KINDS.join(', ')}`, { field: 'kind' });
    const rules = this.rules(kind);
    const type = typeof contentType === 'string' ? contentType.trim().toLowerCase() : '';
    if (!rules.contentTypes.includes(type)) {
      throw badRequest(`contentType must be one of ${rules.contentTypes.join(', ')} for ${kind}`, { field: 'contentType' });
    }
    if (typeof contentLength !== 'number' || !Number.isInteger(contentLength) || contentLength < 1) {
      throw badRequest('contentLength must be a positive integer (bytes)', { field: 'contentLength' });
    }
    if (contentLength > rules.maxBytes) {
      throw badRequest(`contentLength exceeds the maximum of ${rules.maxBytes} bytes for ${kind}`, { field: 'contentLength' });
    }
    const profile = await this.deps.tables.get(this.deps.tableNames.users, { userId });
    if (!profile) throw notFound('Your profile does not exist');

    const key = mediaKey(kind, userId, this.nextTimestamp());
    const signed = await this.deps.blobs.presignPut(uploadKeyFor(kind, key), {
      contentType: type,
      contentLength,
      expiresInSeconds: this.deps.settings.uploadUrlTtlSeconds,
    });
    this.deps.log?.info({ userId, kind, key, contentLength }, 'upload URL issued');
    return {
      key,
      uploadUrl: signed.url,
      method: 'PUT',
      expiresAt: new Date(signed.expiresAt).toISOString(),
      headers: signed.headers,
    };
  }

  /** A user's gallery, newest first (public, like the profile). */
  async listPhotos(userId: string, limit?: number | null, cursor?: string | null): Promise<PhotoPage> {
    requireMediaUserId(userId, 'userId');
    const size = pageSize(limit, this.deps.limits);
    const page = await withCursor(cursor, (c) =>
      this.deps.tables.query({ table: this.deps.tableNames.photos, partition: userId, forward: false, limit: size, cursor: c }),
    );
    return { items: page.items.map((item) => toPhoto(item, this.deps.urlFor)), cursor: page.cursor };
  }

  /**
   * Deletes one of the caller's gallery photos, by photoId (its timestamp) or by either of its
   * keys. Objects first, then the record, so a retry after a failure finishes the job. True when
   * the photo existed; false when there was nothing to delete. Another user's key: Unauthorized.
   */
  async deletePhoto(callerSub: string, photoIdOrKey: unknown): Promise<boolean> {
    const userId = requireMediaUserId(callerSub, 'caller');
    const photoId = this.photoIdOf(userId, photoIdOrKey);
    const key = mediaKey('PHOTO', userId, Number(photoId));
    const thumbnailKey = thumbnailKeyFor({ kind: 'PHOTO', userId, timestamp: photoId });
    const record = await this.deps.tables.get(this.deps.tableNames.photos, { userId, photoId }, { consistent: true });
    const existed = record !== undefined || (await this.deps.blobs.head(key)) !== undefined;
    await Promise.all([key, thumbnailKey, `${INCOMING_PREFIX}${key}`].map((k) => this.deps.blobs.delete(k)));
    await this.deps.tables.delete({ table: this.deps.tableNames.photos, key: { userId, photoId } });
    if (existed) {
      await this.deps.invalidations?.create([`/${key}`, `/${thumbnailKey}`]);
      this.deps.log?.info({ userId, photoId }, 'photo deleted');
    }
    return existed;
  }

  /**
   * Deletes every object of the user (profile photos, gallery photos, videos, uploads still in
   * quarantine) and their photo records, then invalidates their CDN paths (account deleted).
   * Idempotent; returns how many objects were deleted.
   */
  async deleteAllOf(userId: string): Promise<number> {
    requireMediaUserId(userId, 'userId');
    const prefixes = [PROFILE_PREFIX, PHOTOS_PREFIX, VIDEOS_PREFIX].flatMap((p) => [`${p}${userId}/`, `${INCOMING_PREFIX}${p}${userId}/`]);
    let deleted = 0;
    for (const prefix of prefixes) {
      let cursor: string | undefined;
      do {
        const page = await this.deps.blobs.list(prefix, { limit: 1000, cursor });
        for (const item of page.items) await this.deps.blobs.delete(item.key);
        deleted += page.items.length;
        cursor = page.cursor;
      } while (cursor);
    }
    let cursor: string | undefined;
    do {
      const page = await this.deps.tables.query({ table: this.deps.tableNames.photos, partition: userId, limit: 100, cursor });
      for (const item of page.items) await this.deps.tables.delete({ table: this.deps.tableNames.photos, key: { userId, photoId: String(item.photoId) } });
      cursor = page.cursor;
    } while (cursor);
    if (deleted > 0) await this.deps.invalidations?.create([PROFILE_PREFIX, PHOTOS_PREFIX, VIDEOS_PREFIX].map((p) => `/${p}${userId}/*`));
    this.deps.log?.info({ userId, deleted }, 'media of a deleted user removed');
    return deleted;
  }

  urlFor(key: string): string {
    return this.deps.urlFor(key);
  }

  private photoIdOf(userId: string, value: unknown): string {
    if (typeof value === 'string' && /^\d{1,16}$/.test(value)) return value;
    const parsed = typeof value === 'string' ? parseMediaKey(value) : undefined;
    if (!parsed || parsed.kind !== 'PHOTO') throw badRequest('photoId must be a photo id or a fotos/ key', { field: 'photoId' });
    if (parsed.userId !== userId) throw unauthorized();
    return parsed.timestamp;
  }

  /** Epoch ms, strictly increasing in this process, so two uploads never share a key. */
  private nextTimestamp(): number {
    this.lastTimestamp = Math.max(this.deps.clock.now(), this.lastTimestamp + 1);
    return this.lastTimestamp;
  }
}
