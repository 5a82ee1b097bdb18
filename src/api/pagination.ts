import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { badRequest } from '../domain/errors.ts';

/**
 * AppSync-style connections: `limit` and an opaque `nextToken`. The token wraps the store's cursor
 * together with a fingerprint of the query it belongs to, so a token can't be replayed against
 * another list and garbage is a BadRequest, never an internal error.
 */
export function pageLimit(limit: number | null | undefined, limits: Config['limits']): number {
  if (limit === null || limit === undefined) return limits.pageSizeDefault;
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.pageSizeMax) {
    throw badRequest(`limit must be between 1 and ${limits.pageSizeMax}`, { field: 'limit' });
  }
  return limit;
}

const fingerprint = (scope: string) => createHash('sha256').update(scope).digest('base64url').slice(0, 12);

export function encodeNextToken(scope: string, cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  return Buffer.from(JSON.stringify({ v: 1, s: fingerprint(scope), c: cursor })).toString('base64url');
}

/** `scope` names the list and its arguments, e.g. `searchUsers:ana`. */
export function decodeNextToken(scope: string, token: string | null | undefined): string | undefined {
  if (token === null || token === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  const t = parsed as { v?: unknown; s?: unknown; c?: unknown } | null;
  if (!t || typeof t !== 'object' || t.v !== 1 || typeof t.c !== 'string' || t.s !== fingerprint(scope)) throw invalidToken();
  return t.c;
}

const invalidToken = () => badRequest('Invalid nextToken', { field: 'nextToken' });
