/**
 * What identity-pool credentials may do through the S3-compatible media endpoint: the rules the
 * CDK identity pool's authenticated role expresses with the `sub` principal tag
 * (`s3:PutObject` and `s3:DeleteObject` on `profile-photos/${aws:PrincipalTag/sub}/*`,
 * `fotos/${...}/*`, `videos/${...}/*`; reads and listings on the public prefixes), plus the same
 * key layout, type and size rules as requestUpload, so an upload through either path lands the
 * same way: photos in quarantine (`incoming/`) for ProcessProfilePhoto, videos at their key.
 */
import { INCOMING_PREFIX, PHOTOS_PREFIX, PROFILE_PREFIX, VIDEOS_PREFIX, isMediaUserId, parseMediaKey, uploadKeyFor, type MediaKind } from './keys.ts';

export interface MediaCaller {
  identityId: string;
  /** The user-pool sub of an authenticated identity; guests have none and only read. */
  sub?: string;
}

export interface WriteTarget {
  /** The public key the object will be served at (as the client named it). */
  key: string;
  /** Where the bytes go: `incoming/<key>` for photos, the key itself for videos. */
  storeKey: string;
  kind: MediaKind;
}

export type Refusal = { refused: true; message: string };

const PUBLIC = [PROFILE_PREFIX, PHOTOS_PREFIX, VIDEOS_PREFIX];
const LAYOUT: Record<MediaKind, string> = {
  PROFILE_PHOTO: 'profile-photos/{sub}/photo_{timestamp}.jpg',
  PHOTO: 'fotos/{sub}/full_{timestamp}.jpg',
  VIDEO: 'videos/{sub}/video_{timestamp}.mp4',
};

/** A key the caller may upload: one of their own originals in the seed's layout. */
export function writeTarget(caller: MediaCaller, key: string): WriteTarget | Refusal {
  if (!caller.sub) return { refused: true, message: 'Guest identities cannot write.' };
  const parsed = parseMediaKey(key);
  if (parsed && parsed.userId !== caller.sub) {
    return { refused: true, message: `Writes go only under your own prefixes (profile-photos/${caller.sub}/, fotos/${caller.sub}/, videos/${caller.sub}/).` };
  }
  if (!parsed || parsed.variant === 'thumbnail') {
    return { refused: true, message: `Uploads use the seed's layout: ${Object.values(LAYOUT).join(', ')} (thumbnails are made by the server).` };
  }
  return { key, storeKey: uploadKeyFor(parsed.kind, key), kind: parsed.kind };
}

/** A key the caller may delete: any object of their own under the public prefixes. */
export function canDelete(caller: MediaCaller, key: string): boolean {
  const parsed = parseMediaKey(key);
  return caller.sub !== undefined && parsed !== undefined && parsed.userId === caller.sub;
}

/** Public objects of the layout are readable, as through the CDN; quarantine never is. */
export const canRead = (key: string) => parseMediaKey(key) !== undefined;

/** Listings are allowed within one user's public folder (`<prefix><userId>/...`), never across users or in quarantine. */
export function canList(prefix: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (prefix.split('/').some((segment) => segment.startsWith('.')) || /[\\%\u0000-\u001f]/.test(prefix)) return false;
  const base = PUBLIC.find((p) => prefix.startsWith(p));
  if (!base || prefix.startsWith(INCOMING_PREFIX)) return false;
  const rest = prefix.slice(base.length);
  const slash = rest.indexOf('/');
  return slash > 0 && isMediaUserId(rest.slice(0, slash));
}
