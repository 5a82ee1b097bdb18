import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Tables } from '../../ports/tables.ts';

export type ProfilePhotoOutcome = 'updated' | 'superseded' | 'no-profile';

/**
 * Points the user's profile (BIILIVEDB-USERS) at a processed profile photo. The photo is stored as
 * its keys (`profilePhotoKey`, `profileThumbnailKey`): readers build the URLs per request, so a
 * new port, TLS or CDN domain never leaves stale URLs behind. With a fixed CDN base (`urls`, given
 * on AWS) the absolute URLs are stored beside the keys too, for readers of the raw item (AppSync's
 * direct DynamoDB resolvers, the seed's tools); without one, URLs stored by older versions are
 * removed.
 *
 * Conditional: the user must exist (never creates a profile), and a photo uploaded earlier never
 * replaces a later one (profilePhotoTs only moves forward; the same photo again is a no-op
 * rewrite, so reprocessing is idempotent).
 */
export async function setProfilePhoto(
  deps: { tables: Tables; usersTable: string; clock: Clock },
  userId: string,
  photo: { timestamp: number; key: string; thumbnailKey: string; urls?: { url: string; thumbnailUrl: string } },
): Promise<ProfilePhotoOutcome> {
  try {
    await deps.tables.update({
      table: deps.usersTable,
      key: { userId },
      set: {
        profilePhotoKey: photo.key,
        profileThumbnailKey: photo.thumbnailKey,
        ...(photo.urls ? { profilePhotoUrl: photo.urls.url, profileThumbnailUrl: photo.urls.thumbnailUrl } : {}),
        profilePhotoTs: photo.timestamp,
        updatedAt: new Date(deps.clock.now()).toISOString(),
      },
      ...(photo.urls ? {} : { remove: ['profilePhotoUrl', 'profileThumbnailUrl'] }),
      condition: {
        and: [
          { exists: 'userId' },
          { or: [{ notExists: 'profilePhotoTs' }, { attr: 'profilePhotoTs', op: '<=', value: photo.timestamp }] },
        ],
      },
    });
    return 'updated';
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedError)) throw err;
  }
  const user = await deps.tables.get(deps.usersTable, { userId }, { consistent: true });
  return user ? 'superseded' : 'no-profile';
}
