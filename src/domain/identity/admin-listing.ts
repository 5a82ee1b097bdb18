import { adminView, requireUser, type AdminUserView } from './admin-users.ts';
import type { IdentityContext } from './context.ts';
import { errors } from './errors.ts';
import { usernameKey, type UserRecord } from './user-store.ts';

/**
 * ListUsers (with Cognito's filter syntax), ListUsersInGroup, AdminListGroupsForUser. The pool keeps
 * no listing index: pages come from a scan of the identity table (an operator action, like
 * Cognito's own, not a request path), with the scan position and how many matches of that scan
 * page were already returned in the pagination token. Groups exist as names on users (no
 * CreateGroup): a group nobody is in lists no users.
 */

/**
 * `attribute = "value"` or `attribute ^= "value"` (prefix), as ListUsers' Filter. Attributes:
 * username, email, phone_number, name, given_name, family_name, preferred_username, sub,
 * cognito:user_status (case-insensitive value), status ("Enabled" / "Disabled"). Empty: everyone.
 */
export type UserFilter = (user: UserRecord) => boolean;

const FILTERABLE = ['username', 'email', 'phone_number', 'name', 'given_name', 'family_name', 'preferred_username', 'sub', 'cognito:user_status', 'status'];
const FILTER = /^\s*([a-z_:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

export function parseUserFilter(filter: string | undefined): UserFilter {
  if (filter === undefined || filter.trim() === '') return () => true;
  const m = FILTER.exec(filter);
  if (!m || !FILTERABLE.includes(m[1])) throw errors.invalidParameter('Error while parsing filter.');
  const [, attribute, op, raw] = m;
  const value = raw.replace(/\\(.)/g, '$1');
  const test = (actual: string | undefined, expected = value) =>
    actual !== undefined && (op === '=' ? actual === expected : actual.startsWith(expected));
  switch (attribute) {
    case 'username':
      return (u) => test(u.usernameKey, usernameKey(value));
    case 'sub':
      return (u) => test(u.sub);
    case 'cognito:user_status':
      return (u) => test(u.status, value.toUpperCase());
    case 'status':
      return (u) => test(u.enabled ? 'Enabled' : 'Disabled');
    default:
      return (u) => test(u.attributes[attribute]);
  }
}

interface Position {
  /** Scan cursor of the page being read (undefined: the first page). */
  c?: string;
  /** Matches of that page already returned. */
  s: number;
}

const encode = (p: Position) => Buffer.from(JSON.stringify(p)).toString('base64url');

function decode(token: string | undefined): Position {
  if (token === undefined) return { s: 0 };
  try {
    const p = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Position;
    if (typeof p.s === 'number' && Number.isInteger(p.s) && p.s >= 0 && (p.c === undefined || typeof p.c === 'string')) return p;
  } catch {
    // fall through
  }
  throw errors.invalidParameter('Invalid pagination token.');
}

const SCAN_PAGE = 100;
/** Items read per call before answering with what was found and a token (bounded work per request). */
const SCAN_BUDGET = 2000;

async function scanUsers(
  ctx: Pick<IdentityContext, 'users'>,
  match: UserFilter,
  limit: number,
  token: string | undefined,
): Promise<{ users: UserRecord[]; token?: string }> {
  let position = decode(token);
  const out: UserRecord[] = [];
  let read = 0;
  for (;;) {
    let page;
    try {
      page = await ctx.users.scanPage(SCAN_PAGE, position.c);
    } catch {
      throw errors.invalidParameter('Invalid pagination token.');
    }
    read += page.read;
    const matches = page.users.filter(match);
    const wanted = limit - out.length;
    const available = matches.slice(position.s);
    if (available.length > wanted) {
      out.push(...available.slice(0, wanted));
      return { users: out, token: encode({ c: position.c, s: position.s + wanted }) };
    }
    out.push(...available);
    if (!page.cursor) return { users: out };
    position = { c: page.cursor, s: 0 };
    if (out.length === limit || read >= SCAN_BUDGET) return { users: out, token: encode(position) };
  }
}

export async function listUsers(
  ctx: IdentityContext,
  input: { filter?: string; limit?: number; paginationToken?: string },
): Promise<{ users: AdminUserView[]; paginationToken?: string }> {
  const match = parseUserFilter(input.filter);
  const { users, token } = await scanUsers(ctx, match, input.limit ?? 60, input.paginationToken);
  return { users: users.map(adminView), ...(token ? { paginationToken: token } : {}) };
}

export async function listUsersInGroup(
  ctx: IdentityContext,
  input: { group: string; limit?: number; nextToken?: string },
): Promise<{ users: AdminUserView[]; nextToken?: string }> {
  const { users, token } = await scanUsers(ctx, (u) => u.groups.includes(input.group), input.limit ?? 60, input.nextToken);
  return { users: users.map(adminView), ...(token ? { nextToken: token } : {}) };
}

export async function adminListGroupsForUser(ctx: IdentityContext, username: string): Promise<string[]> {
  return [...(await requireUser(ctx, username)).groups];
}
