import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Item, type Tables } from '../../ports/tables.ts';
import { errors } from './errors.ts';

/**
 * User records of the pool, in the identity table:
 *   pk `USER#<username key>`, sk `USER`; GSI1PK `SUB#<sub>`, GSI1SK `USER` (sub -> user lookup).
 * Usernames keep the case given at sign-up but are looked up case-insensitively (Cognito's default
 * for new pools), through `usernameKey`.
 */
export type UserStatus = 'UNCONFIRMED' | 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD' | 'RESET_REQUIRED';
const STATUSES: readonly string[] = ['UNCONFIRMED', 'CONFIRMED', 'FORCE_CHANGE_PASSWORD', 'RESET_REQUIRED'];

export interface UserRecord {
  username: string;
  usernameKey: string;
  sub: string;
  status: UserStatus;
  passwordHash: string;
  /**
   * SRP-6a salt and verifier (hex, src/domain/identity/srp.ts) for USER_SRP_AUTH, written with every
   * password; absent for users whose password predates SRP until their next password sign-in.
   */
  srpSalt?: string;
  srpVerifier?: string;
  /** Epoch ms after which a temporary password (AdminCreateUser) no longer signs in. */
  temporaryPasswordExpiresAt?: number;
  /** False after AdminDisableUser: no sign-in, no refresh, no token honoured. */
  enabled: boolean;
  /** Standard and custom attributes, values as strings (booleans as "true"/"false"); no `sub`. */
  attributes: Record<string, string>;
  groups: string[];
  createdAt: number;
  updatedAt: number;
  /** Epoch ms of the last GlobalSignOut: sessions started at or before it are revoked. */
  signOutAt?: number;
}

export const usernameKey = (username: string) => username.normalize('NFC').toLowerCase();

const key = (k: string) => ({ pk: `USER#${k}`, sk: 'USER' });

function toItem(u: UserRecord): Item {
  const item: Item = {
    ...key(u.usernameKey),
    GSI1PK: `SUB#${u.sub}`,
    GSI1SK: 'USER',
    username: u.username,
    usernameKey: u.usernameKey,
    sub: u.sub,
    status: u.status,
    passwordHash: u.passwordHash,
    attributes: { ...u.attributes },
    groups: [...u.groups],
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
  if (u.signOutAt !== undefined) item.signOutAt = u.signOutAt;
  if (u.srpSalt !== undefined && u.srpVerifier !== undefined) Object.assign(item, { srpSalt: u.srpSalt, srpVerifier: u.srpVerifier });
  if (!u.enabled) item.enabled = false;
  if (u.temporaryPasswordExpiresAt !== undefined) item.temporaryPasswordExpiresAt = u.temporaryPasswordExpiresAt;
  return item;
}

function fromItem(item: Item): UserRecord {
  const user: UserRecord = {
    username: String(item.username),
    usernameKey: String(item.usernameKey),
    sub: String(item.sub),
    status: STATUSES.includes(String(item.status)) ? (item.status as UserStatus) : 'UNCONFIRMED',
    passwordHash: String(item.passwordHash),
    enabled: item.enabled !== false,
    attributes: Object.fromEntries(
      Object.entries((item.attributes ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    ),
    groups: Array.isArray(item.groups) ? item.groups.map(String) : [],
    createdAt: Number(item.createdAt),
    updatedAt: Number(item.updatedAt),
  };
  if (typeof item.signOutAt === 'number') user.signOutAt = item.signOutAt;
  if (typeof item.temporaryPasswordExpiresAt === 'number') user.temporaryPasswordExpiresAt = item.temporaryPasswordExpiresAt;
  if (typeof item.srpSalt === 'string' && typeof item.srpVerifier === 'string') {
    user.srpSalt = item.srpSalt;
    user.srpVerifier = item.srpVerifier;
  }
  return user;
}

export type UserChanges = Partial<
  Pick<UserRecord, 'status' | 'passwordHash' | 'srpSalt' | 'srpVerifier' | 'enabled' | 'temporaryPasswordExpiresAt' | 'attributes' | 'groups' | 'signOutAt'>
>;

export class UserStore {
  constructor(private readonly deps: { tables: Tables; table: string; clock: Clock }) {}

  /** Item key of a user record (for transactions spanning other items). */
  static key = key;
  static toItem = toItem;
  static fromItem = fromItem;

  async get(usernameKey: string): Promise<UserRecord | undefined> {
    const item = await this.deps.tables.get(this.deps.table, key(usernameKey), { consistent: true });
    return item ? fromItem(item) : undefined;
  }

  /** The user with this sub (index read, then a consistent read of the record). */
  async findBySub(sub: string): Promise<UserRecord | undefined> {
    const { items } = await this.deps.tables.query({ table: this.deps.table, index: 'GSI1', partition: `SUB#${sub}`, limit: 1 });
    if (!items[0]) return undefined;
    const user = await this.get(String(items[0].usernameKey));
    return user?.sub === sub ? user : undefined;
  }

  /**
   * One page of a scan of the identity table, keeping its user records (`read` counts every item
   * seen). Scan order is stable, so a cursor resumes exactly where the page ended.
   */
  async scanPage(limit: number, cursor?: string): Promise<{ users: UserRecord[]; read: number; cursor?: string }> {
    const page = await this.deps.tables.scan({ table: this.deps.table, limit, cursor });
    const users = page.items.filter((i) => i.sk === 'USER' && String(i.pk).startsWith('USER#')).map(fromItem);
    return { users, read: page.items.length, ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /** Throws UsernameExistsException when the (case-insensitive) name is taken. */
  async create(user: UserRecord): Promise<void> {
    try {
      await this.deps.tables.put({ table: this.deps.table, item: toItem(user), condition: { notExists: 'pk' } });
    } catch (err) {
      if (err instanceof ConditionalCheckFailedError) throw errors.usernameExists();
      throw err;
    }
  }

  /**
   * Applies `changes` to this very user (same sub; `onlyIf` adds a status precondition); a key
   * given as undefined is removed. Returns the
   * updated record, or undefined when the user was deleted or replaced, or the precondition failed.
   */
  async update(user: UserRecord, changes: UserChanges, onlyIf?: { status: UserStatus }): Promise<UserRecord | undefined> {
    const set: Item = { updatedAt: this.deps.clock.now() };
    const remove: string[] = [];
    for (const [k, v] of Object.entries(changes)) {
      if (v !== undefined) set[k] = v as Item[string];
      else remove.push(k);
    }
    const same = { attr: 'sub', op: '=' as const, value: user.sub };
    try {
      const item = await this.deps.tables.update({
        table: this.deps.table,
        key: key(user.usernameKey),
        set,
        ...(remove.length > 0 ? { remove } : {}),
        condition: onlyIf ? { and: [same, { attr: 'status', op: '=', value: onlyIf.status }] } : same,
      });
      return fromItem(item);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedError) return undefined;
      throw err;
    }
  }

  /** Deletes this very user (same sub); false when it was already gone. */
  async delete(user: UserRecord): Promise<boolean> {
    try {
      const old = await this.deps.tables.delete({
        table: this.deps.table,
        key: key(user.usernameKey),
        condition: { attr: 'sub', op: '=', value: user.sub },
      });
      return old !== undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedError) return false;
      throw err;
    }
  }
}
