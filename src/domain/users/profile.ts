import type { Item } from '../../ports/tables.ts';

/** A user's public profile: the BIILIVEDB-USERS item as the API returns it (attribute names are the seed's). */
export interface UserProfile {
  userId: string;
  nickname: string;
  nombreCompleto: string | null;
  seguidores: number;
  siguiendo: number;
  puntos: number;
  nivel: number;
  ciudad: string | null;
  pais: string | null;
  descripcion: string | null;
  isOnline: boolean;
  lastSeen: string | null;
  profilePhotoUrl: string | null;
  profileThumbnailUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Editable by the owner through updateProfile. `null` (or an empty string) clears an optional text. */
export interface ProfileChanges {
  nickname?: string | null;
  nombreCompleto?: string | null;
  ciudad?: string | null;
  pais?: string | null;
  descripcion?: string | null;
}

export interface UserPage {
  items: UserProfile[];
  /** The store's cursor when more may follow. */
  cursor?: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

/** Absolute URL of a media key, built per request from the current CDN base. */
export type MediaUrl = (key: string) => string;

/** The photo URL: built from the stored key when there is one, else the URL an older item holds. */
function photoUrl(item: Item, keyAttr: string, urlAttr: string, mediaUrl: MediaUrl | undefined): string | null {
  const key = item[keyAttr];
  if (typeof key === 'string' && key !== '' && mediaUrl) return mediaUrl(key);
  return str(item[urlAttr]);
}

/**
 * Item -> profile. Counters and level default to their initial values so items written by older
 * tools (the seed's, without every attribute) still read as complete profiles. Photo URLs are
 * built from their keys with `mediaUrl`; items from before keys were stored keep their URLs.
 */
export function toProfile(item: Item, mediaUrl?: MediaUrl): UserProfile {
  return {
    userId: String(item.userId),
    nickname: str(item.nickname) ?? '',
    nombreCompleto: str(item.nombreCompleto),
    seguidores: num(item.seguidores, 0),
    siguiendo: num(item.siguiendo, 0),
    puntos: num(item.puntos, 0),
    nivel: num(item.nivel, 1),
    ciudad: str(item.ciudad),
    pais: str(item.pais),
    descripcion: str(item.descripcion),
    isOnline: item.isOnline === true,
    lastSeen: str(item.lastSeen),
    profilePhotoUrl: photoUrl(item, 'profilePhotoKey', 'profilePhotoUrl', mediaUrl),
    profileThumbnailUrl: photoUrl(item, 'profileThumbnailKey', 'profileThumbnailUrl', mediaUrl),
    createdAt: str(item.createdAt) ?? '',
    updatedAt: str(item.updatedAt) ?? str(item.createdAt) ?? '',
  };
}
