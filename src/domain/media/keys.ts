/**
 * The bucket layout, exactly the seed's, plus the quarantine prefix this project adds:
 *
 *   profile-photos/{userId}/photo_{timestamp}.jpg       profile photo (re-encoded, <= 1080 px)
 *   profile-photos/{userId}/thumbnail_{timestamp}.jpg   its square thumbnail (added)
 *   fotos/{userId}/full_{timestamp}.jpg                 gallery photo (re-encoded)
 *   fotos/{userId}/thumbnail_{timestamp}.jpg            its thumbnail
 *   videos/{userId}/video_{timestamp}.mp4               video, served as uploaded
 *   incoming/<one of the two photo keys above>          raw photo uploads, never served
 *
 * Photos are uploaded to `incoming/` + their final key. ProcessProfilePhoto reads them from there,
 * writes only re-encoded bytes under the public prefixes and deletes the upload, so a CDN path
 * never serves an original (EXIF/GPS, polyglot payloads) and the function's own outputs never match
 * its trigger prefix. Videos are not transcoded: they go straight to their key.
 * Keys are always built here from the caller's id and the clock, never taken from a client.
 */
import { badRequest } from '../errors.ts';

export const MEDIA_KINDS = ['PROFILE_PHOTO', 'PHOTO', 'VIDEO'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export const INCOMING_PREFIX = 'incoming/';
export const PROFILE_PREFIX = 'profile-photos/';
export const PHOTOS_PREFIX = 'fotos/';
export const VIDEOS_PREFIX = 'videos/';

/**
 * User ids that are safe as one path segment: identity `sub`s are UUIDs. Letters, digits, '_' and
 * '-' (and '.' after the first character), at most 128.
 */
const USER_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export const isMediaUserId = (value: unknown): value is string => typeof value === 'string' && USER_ID.test(value);

export function requireMediaUserId(value: unknown, field: string): string {
  if (!isMediaUserId(value)) throw badRequest(`${field} must be a user id`, { field });
  return value;
}

export function isMediaKind(value: unknown): value is MediaKind {
  return typeof value === 'string' && (MEDIA_KINDS as readonly string[]).includes(value);
}

/** The public key of an upload, per the seed's layout. `timestamp` is epoch ms. */
export function mediaKey(kind: MediaKind, userId: string, timestamp: number): string {
  switch (kind) {
    case 'PROFILE_PHOTO':
      return `${PROFILE_PREFIX}${userId}/photo_${timestamp}.jpg`;
    case 'PHOTO':
      return `${PHOTOS_PREFIX}${userId}/full_${timestamp}.jpg`;
    case 'VIDEO':
      return `${VIDEOS_PREFIX}${userId}/video_${timestamp}.mp4`;
  }
}

/** Where the client's bytes land: photos in quarantine, videos at their key. */
export const uploadKeyFor = (kind: MediaKind, key: string) => (kind === 'VIDEO' ? key : `${INCOMING_PREFIX}${key}`);

export interface ParsedMediaKey {
  kind: MediaKind;
  userId: string;
  /** Epoch ms as written in the key (digits). */
  timestamp: string;
  variant: 'photo' | 'full' | 'thumbnail' | 'video';
  key: string;
}

const PUBLIC_KEY = /^(profile-photos|fotos|videos)\/([^/]+)\/(photo|full|thumbnail|video)_(\d{1,16})\.(jpg|mp4)$/;

/** A public key of the layout, or undefined. */
export function parseMediaKey(key: string): ParsedMediaKey | undefined {
  const m = PUBLIC_KEY.exec(key);
  if (!m || !isMediaUserId(m[2])) return undefined;
  const [, prefix, userId, variant, timestamp, ext] = m;
  const kind: MediaKind = prefix === 'profile-photos' ? 'PROFILE_PHOTO' : prefix === 'fotos' ? 'PHOTO' : 'VIDEO';
  const ok =
    (kind === 'PROFILE_PHOTO' && (variant === 'photo' || variant === 'thumbnail') && ext === 'jpg') ||
    (kind === 'PHOTO' && (variant === 'full' || variant === 'thumbnail') && ext === 'jpg') ||
    (kind === 'VIDEO' && variant === 'video' && ext === 'mp4');
  return ok ? { kind, userId, timestamp, variant: variant as ParsedMediaKey['variant'], key } : undefined;
}

/**
 * The photo upload ProcessProfilePhoto handles: `incoming/profile-photos/{u}/photo_{t}.jpg` or
 * `incoming/fotos/{u}/full_{t}.jpg`. Anything else (its own outputs, videos, stray keys) is not
 * its business: undefined.
 */
export function parsePhotoUpload(uploadKey: string): ParsedMediaKey | undefined {
  if (!uploadKey.startsWith(INCOMING_PREFIX)) return undefined;
  const parsed = parseMediaKey(uploadKey.slice(INCOMING_PREFIX.length));
  if (!parsed || (parsed.variant !== 'photo' && parsed.variant !== 'full')) return undefined;
  return parsed;
}

/** The thumbnail beside a photo's main variant. */
export function thumbnailKeyFor(photo: Pick<ParsedMediaKey, 'kind' | 'userId' | 'timestamp'>): string {
  const prefix = photo.kind === 'PROFILE_PHOTO' ? PROFILE_PREFIX : PHOTOS_PREFIX;
  return `${prefix}${photo.userId}/thumbnail_${photo.timestamp}.jpg`;
}
