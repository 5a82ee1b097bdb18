/** Gallery photo records (photos table, keys in src/domain/tables.ts) and their API shape. */
import type { Item } from '../../ports/tables.ts';

export interface PhotoRecord {
  userId: string;
  /** The upload's {timestamp}: unique per user, sorts by time. */
  photoId: string;
  key: string;
  thumbnailKey: string;
  width: number;
  height: number;
  bytes: number;
  createdAt: string;
}

/** A photo as listPhotos returns it: the record plus absolute CDN URLs. */
export interface Photo extends PhotoRecord {
  url: string;
  thumbnailUrl: string;
}

export const photoItem = (record: PhotoRecord): Item => ({ ...record });

export function toPhoto(item: Item, urlFor: (key: string) => string): Photo {
  const record: PhotoRecord = {
    userId: String(item.userId),
    photoId: String(item.photoId),
    key: String(item.key),
    thumbnailKey: String(item.thumbnailKey),
    width: typeof item.width === 'number' ? item.width : 0,
    height: typeof item.height === 'number' ? item.height : 0,
    bytes: typeof item.bytes === 'number' ? item.bytes : 0,
    createdAt: String(item.createdAt ?? ''),
  };
  return { ...record, url: urlFor(record.key), thumbnailUrl: urlFor(record.thumbnailKey) };
}
