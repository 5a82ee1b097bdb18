/** Rules both blob adapters apply the same way, so they pass one conformance suite. */
import { BlobKeyError, BlobRangeError, MAX_KEY_BYTES, type ByteRange } from '../../ports/blobs.ts';

/** A media type as stored and served: `type/subtype` plus optional parameters, no CR/LF. */
export function checkContentType(contentType: unknown): string {
  if (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+(\s*;[ -~]*)?$/.test(contentType) || contentType.length > 255) {
    throw new BlobKeyError('contentType must be a media type such as image/jpeg');
  }
  return contentType;
}

/** A listing prefix: empty, or what could begin a valid key (no '.'-segments, '\', '%', controls). */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new BlobKeyError('prefix must be a string');
  if (Buffer.byteLength(prefix) > MAX_KEY_BYTES) throw new BlobKeyError('prefix too long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\%]/.test(prefix) || prefix.startsWith('/') || prefix.includes('//')) {
    throw new BlobKeyError('prefix has a forbidden character');
  }
  if (prefix.split('/').some((s) => s.startsWith('.'))) throw new BlobKeyError('prefix segments may not start with "."');
  return prefix;
}

export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BlobKeyError('limit must be 1..1000');
  return limit;
}

/** Inclusive [start, end] of `range` in an object of `size` bytes; BlobRangeError when unsatisfiable. */
export function resolveRange(range: ByteRange, size: number): { start: number; end: number } {
  if ('suffix' in range) {
    if (!Number.isInteger(range.suffix) || range.suffix <= 0 || size === 0) throw new BlobRangeError(size);
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  const { start, end } = range;
  if (!Number.isInteger(start) || start < 0 || start >= size) throw new BlobRangeError(size);
  if (end !== undefined && (!Number.isInteger(end) || end < start)) throw new BlobRangeError(size);
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

/** S3 ETags are quoted hex. */
export const quoteEtag = (hex: string) => `"${hex}"`;
