/**
 * Processing of one photo upload (the body of ProcessProfilePhoto): quarantine in, re-encoded
 * variants out. For `incoming/profile-photos/{u}/photo_{t}.jpg` it writes
 * `profile-photos/{u}/photo_{t}.jpg` (<= profilePhotoSize) and `profile-photos/{u}/thumbnail_{t}.jpg`
 * and points the profile at them; for `incoming/fotos/{u}/full_{t}.jpg` it writes
 * `fotos/{u}/full_{t}.jpg` and `fotos/{u}/thumbnail_{t}.jpg` and records the photo. Then it deletes
 * the upload.
 *
 * Idempotent: outputs are a pure function of the upload, writes are overwrites, the profile update
 * is conditional on time order; a redelivered event whose upload is gone is a no-op ('missing').
 * Input it refuses (not an image, wrong format, bomb, damaged, too large, no profile) is deleted,
 * logged and reported to `onFailure(reason)`; the profile is never touched then. Storage or table
 * errors are thrown, leaving the upload in place for a retry.
 */
import type { Blobs } from '../../ports/blobs.ts';
import type { Clock } from '../../ports/clock.ts';
import { ImageRejectedError, type ImageProcessor, type ImageVariantSpec } from '../../ports/images.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Tables } from '../../ports/tables.ts';
import type { TableNames } from '../tables.ts';
import { parsePhotoUpload, thumbnailKeyFor, type ParsedMediaKey } from './keys.ts';
import type { MediaSettings } from './media-service.ts';
import { photoItem } from './photo-records.ts';
import { setProfilePhoto, type ProfilePhotoOutcome } from './profile-photo.ts';
import type { Readable } from 'node:stream';

export type PhotoFailure = ImageRejectedError['reason'] | 'too-large' | 'no-profile';

export type ProcessOutcome =
  | { status: 'processed'; key: string; thumbnailKey: string; width: number; height: number; profile?: ProfilePhotoOutcome }
  | { status: 'rejected'; reason: PhotoFailure }
  /** Not a photo upload (its own outputs, videos, other prefixes). */
  | { status: 'ignored' }
  /** The upload is gone: processed (or rejected) before. */
  | { status: 'missing' };

export interface PhotoProcessorDeps {
  blobs: Blobs;
  images: ImageProcessor;
  tables: Tables;
  tableNames: Pick<TableNames, 'users' | 'photos'>;
  clock: Clock;
  settings: Pick<
    MediaSettings,
    'profilePhotoSize' | 'profileThumbnailSize' | 'photoSize' | 'photoThumbnailSize' | 'profilePhotoMaxBytes' | 'photoMaxBytes'
  >;
  /**
   * Absolute URL of a key on a fixed CDN base (media.cdnBaseUrl; always set on AWS), stored beside
   * the profile photo's keys for readers of the raw item. Absent: only the keys are stored.
   */
  storedUrlFor?: (key: string) => string;
  log?: Logger;
  /** Called once per refused upload, e.g. to count failures in a metric. */
  onFailure?: (reason: PhotoFailure, key: string) => void;
}

const JPEG = 'image/jpeg';

export class PhotoProcessor {
  constructor(private readonly deps: PhotoProcessorDeps) {}

  async process(uploadKey: string): Promise<ProcessOutcome> {
    const upload = parsePhotoUpload(uploadKey);
    if (!upload) return { status: 'ignored' };
    const profile = upload.kind === 'PROFILE_PHOTO';
    const s = this.deps.settings;
    const maxBytes = profile ? s.profilePhotoMaxBytes : s.photoMaxBytes;

    const object = await this.deps.blobs.get(uploadKey);
    if (!object) return { status: 'missing' };
    if (object.info.size > maxBytes) {
      object.body.destroy();
      return this.reject(uploadKey, 'too-large');
    }
    const bytes = await readAll(object.body, object.info.size, maxBytes);

    const size = profile ? s.profilePhotoSize : s.photoSize;
    const thumb = profile ? s.profileThumbnailSize : s.photoThumbnailSize;
    const specs: ImageVariantSpec[] = [
      { name: 'main', width: size, height: size, fit: 'inside' },
      { name: 'thumbnail', width: thumb, height: thumb, fit: 'cover', from: 'main' },
    ];
    const key = upload.key;
    const thumbnailKey = thumbnailKeyFor(upload);
    const keyOf: Record<string, string> = { main: key, thumbnail: thumbnailKey };
    // Each variant is stored as soon as it is encoded (the main one while the thumbnail is made).
    const writes: Promise<unknown>[] = [];
    let processed;
    try {
      processed = await this.deps.images.process(bytes, specs, (v) => {
        const write = this.deps.blobs.put(keyOf[v.name], v.data, { contentType: JPEG });
        write.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
        writes.push(write);
      });
    } catch (err) {
      await Promise.allSettled(writes);
      if (!(err instanceof ImageRejectedError)) throw err;
      await Promise.all(Object.values(keyOf).map((k) => this.deps.blobs.delete(k)));
      return this.reject(uploadKey, err.reason, err.message);
    }
    await Promise.all(writes);
    const [main] = processed.variants;

    let outcome: ProfilePhotoOutcome | undefined;
    if (profile) {
      outcome = await setProfilePhoto(
        { tables: this.deps.tables, usersTable: this.deps.tableNames.users, clock: this.deps.clock },
        upload.userId,
        {
          timestamp: Number(upload.timestamp),
          key,
          thumbnailKey,
          ...(this.deps.storedUrlFor ? { urls: { url: this.deps.storedUrlFor(key), thumbnailUrl: this.deps.storedUrlFor(thumbnailKey) } } : {}),
        },
      );
      if (outcome !== 'updated') {
        // No profile: the photo has no owner to show it. Superseded: a later photo is already set.
        await Promise.all([this.deps.blobs.delete(key), this.deps.blobs.delete(thumbnailKey)]);
        if (outcome === 'no-profile') return this.reject(uploadKey, 'no-profile');
      }
    } else {
      await this.deps.tables.put({ table: this.deps.tableNames.photos, item: photoItem(this.record(upload, main, thumbnailKey)) });
    }
    await this.deps.blobs.delete(uploadKey);
    this.deps.log?.info({ key, width: main.width, height: main.height, format: processed.format, profile: outcome }, 'photo processed');
    return { status: 'processed', key, thumbnailKey, width: main.width, height: main.height, profile: outcome };
  }

  private record(upload: ParsedMediaKey, main: { width: number; height: number; data: Buffer }, thumbnailKey: string) {
    return {
      userId: upload.userId,
      photoId: upload.timestamp,
      key: upload.key,
      thumbnailKey,
      width: main.width,
      height: main.height,
      bytes: main.data.length,
      createdAt: new Date(Number(upload.timestamp)).toISOString(),
    };
  }

  private async reject(uploadKey: string, reason: PhotoFailure, detail?: string): Promise<ProcessOutcome> {
    await this.deps.blobs.delete(uploadKey);
    this.deps.log?.warn({ key: uploadKey, reason, detail }, 'photo upload rejected and removed');
    this.deps.onFailure?.(reason, uploadKey);
    return { status: 'rejected', reason };
  }
}

/** The whole body, into one buffer of the announced size; fails if it grows past `max`. */
async function readAll(body: Readable, size: number, max: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (at + buf.length > Math.min(size, max)) {
      body.destroy();
      throw new Error(`object changed while being read (more than ${size} bytes)`);
    }
    buf.copy(out, at);
    at += buf.length;
  }
  if (at !== size) throw new Error(`object changed while being read (${at} of ${size} bytes)`);
  return out;
}
