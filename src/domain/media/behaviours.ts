/**
 * The seed's CloudFront cache behaviours, by path prefix. Content types are fixed per behaviour
 * (photos are always our re-encoded JPEGs), never taken from what a client declared.
 */
export interface Behaviour {
  prefix: string;
  cacheControl: string;
  /** Served Content-Type given the stored one. */
  contentType(stored: string): string;
  /** Whether objects of this behaviour go through the hot-object cache. */
  cacheable: boolean;
}

const jpeg = () => 'image/jpeg';

export const BEHAVIOURS: readonly Behaviour[] = [
  { prefix: '/profile-photos/', cacheControl: 'public, max-age=86400', contentType: jpeg, cacheable: true },
  { prefix: '/fotos/', cacheControl: 'public, max-age=31536000, immutable', contentType: jpeg, cacheable: true },
  {
    prefix: '/videos/',
    cacheControl: 'no-cache',
    contentType: (stored) => (/^video\/[\w.+-]+$/.test(stored) ? stored : 'application/octet-stream'),
    cacheable: false,
  },
];

/** Presigned downloads (/media/object/...): private, and never rendered by a browser on our origin. */
export const DOWNLOAD: Behaviour = {
  prefix: '/media/object/',
  cacheControl: 'private, no-store',
  contentType: (stored) => stored,
  cacheable: false,
};

export const behaviourFor = (path: string) => BEHAVIOURS.find((b) => path.startsWith(b.prefix));
