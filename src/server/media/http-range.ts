/** HTTP request headers of conditional and range requests (RFC 9110), as the CDN honours them. */
import type { ByteRange } from '../../ports/blobs.ts';

/**
 * One `bytes=` range, or undefined when the header is absent, malformed or asks for several
 * ranges (a server may then ignore it and send the whole object, RFC 9110 §14.2).
 */
export function parseRange(header: string | undefined): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  const start = Number(m[1]);
  if (m[2] === '') return { start };
  const end = Number(m[2]);
  return end < start ? undefined : { start, end };
}

/** If-None-Match uses the weak comparison: W/ prefixes are ignored; `*` matches any object. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}

/** If-Modified-Since is only consulted without If-None-Match; HTTP dates have one-second resolution. */
export function notModifiedSince(header: string | undefined, lastModified: number): boolean {
  if (!header) return false;
  const since = Date.parse(header);
  return Number.isFinite(since) && Math.floor(lastModified / 1000) * 1000 <= since;
}

/** If-Range with an entity tag: the range applies only if it is the current (strong) ETag. */
export function rangeStillValid(header: string | undefined, etag: string, lastModified: number): boolean {
  if (!header) return true;
  if (header.startsWith('"')) return header === etag;
  if (header.startsWith('W/')) return false;
  const date = Date.parse(header);
  return Number.isFinite(date) && Math.floor(lastModified / 1000) * 1000 <= date;
}
