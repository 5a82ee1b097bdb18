/** Page-size and cursor rules shared by the social and chat lists (AppSync-style `limit` / `nextToken`). */
import type { Config } from '../../config/schema.ts';
import { TableValidationError } from '../../ports/tables.ts';
import { badRequest } from '../errors.ts';

export type PageLimits = Pick<Config['limits'], 'pageSizeMax' | 'pageSizeDefault'>;

/** `limit` omitted -> the default; outside 1..pageSizeMax -> BadRequest (never silently clamped). */
export function pageSize(limit: number | null | undefined, limits: PageLimits): number {
  if (limit === undefined || limit === null) return limits.pageSizeDefault;
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.pageSizeMax) {
    throw badRequest(`limit must be an integer from 1 to ${limits.pageSizeMax}`, { field: 'limit' });
  }
  return limit;
}

/**
 * Runs a store query with a client-supplied cursor. The store binds each cursor to its table,
 * index and partition, so a token from another list (or another user's list) is refused there;
 * that refusal reads as BadRequest "Invalid nextToken".
 */
export async function withCursor<T>(cursor: string | null | undefined, run: (cursor: string | undefined) => Promise<T>): Promise<T> {
  if (cursor !== undefined && cursor !== null && (typeof cursor !== 'string' || cursor.length === 0)) {
    throw badRequest('Invalid nextToken', { field: 'nextToken' });
  }
  try {
    return await run(cursor ?? undefined);
  } catch (err) {
    if (cursor && err instanceof TableValidationError) throw badRequest('Invalid nextToken', { field: 'nextToken' });
    throw err;
  }
}
