/**
 * CloudFront invalidation paths: each starts with '/', and a '*' may only be the last character,
 * meaning "every path starting with what comes before it". Anything else is an exact, case-sensitive
 * path. `/*` empties the whole cache.
 */
import { badRequest } from '../errors.ts';

export const MAX_INVALIDATION_PATHS = 3000;
const MAX_PATH_LENGTH = 4096;

export function validateInvalidationPaths(paths: unknown): string[] {
  if (!Array.isArray(paths) || paths.length === 0) throw badRequest('paths must be a non-empty list', { field: 'paths' });
  if (paths.length > MAX_INVALIDATION_PATHS) throw badRequest(`at most ${MAX_INVALIDATION_PATHS} paths`, { field: 'paths' });
  for (const path of paths) {
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > MAX_PATH_LENGTH) {
      throw badRequest('each path must start with "/"', { field: 'paths' });
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(path)) throw badRequest('paths may not contain control characters', { field: 'paths' });
    const star = path.indexOf('*');
    if (star !== -1 && star !== path.length - 1) throw badRequest(`"*" must be the last character of a path: ${path}`, { field: 'paths' });
  }
  return [...new Set(paths as string[])];
}

/** A predicate over request paths (`/` + key) for a set of valid invalidation paths. */
export function invalidationMatcher(paths: readonly string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of paths) {
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (path) => exact.has(path) || prefixes.some((prefix) => path.startsWith(prefix));
}
