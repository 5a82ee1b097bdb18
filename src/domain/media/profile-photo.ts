import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Tables } from '../../ports/tables.ts';

export type ProfilePhotoOutcome = 'updated' | 'superseded' | 'no-profile';

/**
 * Points the user's profile (BIILIVEDB-USERS) at a processed profile photo. Conditional: the user
 * must exist (never creates a profile), and a photo uploaded earlier never replaces a later one
 * (profilePhotoTs only moves forward; the same photo again is a no-op rewrite, so reprocessing is
 * idempotent).
 */
export async function setProfilePhoto(
  deps: { tables: Tables; usersTable: string; clock: Clock },
  userId: string,
  photo: { timestamp: number; url: string; thumbnailUrl: string },
): Promise<ProfilePhotoOutcome> {
  try {
    await deps.tables.update({
      table: deps.usersTable,
      key: { userId },
      set: {
        profilePhotoUrl: photo.url,
        profileThumbnailUrl: photo.thumbnailUrl,
        profilePhotoTs: photo.timestamp,
        updatedAt: new Date(deps.clock.now()).toISOString(),
      },
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
