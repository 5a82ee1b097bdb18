import { randomInt } from 'node:crypto';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  ConditionalCheckFailedError,
  TableValidationError,
  TransactionCanceledError,
  type Condition,
  type Item,
  type Tables,
} from '../../ports/tables.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { ConfirmedUser } from '../identity/contracts.ts';
import type { TableNames } from '../tables.ts';
import {
  deriveNickname,
  isNicknamePrefix,
  isValidNickname,
  nicknameBucket,
  nicknameKey,
  withSuffix,
} from './nickname.ts';
import { toProfile, type MediaUrl, type ProfileChanges, type UserPage, type UserProfile } from './profile.ts';
import { validateChanges } from './validation.ts';

export type { ProfileChanges, UserPage, UserProfile } from './profile.ts';

export interface UsersServiceDeps {
  tables: Tables;
  tableNames: TableNames;
  clock: Clock;
  limits: Config['limits'];
  /** Builds photo URLs from stored keys, per request (the current CDN base); without it, only stored URLs are read. */
  mediaUrl?: MediaUrl;
}

const NICKNAME_INDEX = 'nickname-index';
// Sequential suffixes first (readable: ana2, ana3), then random ones so a crowded name still ends quickly.
const SEQUENTIAL_SUFFIXES = 8;
const RANDOM_SUFFIXES = 12;
const MAX_USER_ID_LENGTH = 256;

/**
 * Profiles in BIILIVEDB-USERS and their nickname claims. Invariants:
 * - one profile per identity `sub` (userId), created once by createProfile (PostConfirmation);
 * - a profile's nickname always has a claim item (nicknames table, key = lower-cased nickname)
 *   holding its userId, written in the same transaction, so two users never share a nickname
 *   regardless of case;
 * - nicknameLower / nicknameBucket always match nickname (they feed the nickname-index).
 */
export class UsersService {
  private readonly tables: Tables;
  private readonly usersTable: string;
  private readonly claimsTable: string;
  private readonly clock: Clock;
  private readonly limits: Config['limits'];
  private readonly profile: (item: Item) => UserProfile;

  constructor(deps: UsersServiceDeps) {
    this.tables = deps.tables;
    this.usersTable = deps.tableNames.users;
    this.claimsTable = deps.tableNames.nicknames;
    this.clock = deps.clock;
    this.limits = deps.limits;
    const mediaUrl = deps.mediaUrl;
    this.profile = (item) => toProfile(item, mediaUrl);
  }

  /**
   * Creates the profile of a newly confirmed user (Cognito PostConfirmation). The nickname comes
   * from the `nickname` attribute, else from the username, made valid and then unique with a
   * numeric suffix. Idempotent: an existing profile is left exactly as it is.
   */
  async createProfile(user: ConfirmedUser): Promise<void> {
    const existing = await this.tables.get(this.usersTable, { userId: user.sub }, { consistent: true });
    if (existing) return;

    const max = this.limits.nicknameMaxLength;
    const wanted = user.attributes.nickname?.trim();
    const base = wanted && isValidNickname(wanted, max) ? wanted : deriveNickname(wanted || user.username, max);
    const now = new Date(this.clock.now()).toISOString();
    const name = user.attributes.name?.trim();

    for (let attempt = 0; attempt < 1 + SEQUENTIAL_SUFFIXES + RANDOM_SUFFIXES; attempt++) {
      const nickname =
        attempt === 0
          ? base
          : withSuffix(base, attempt <= SEQUENTIAL_SUFFIXES ? attempt + 1 : randomInt(1000, 1_000_000), max);
      const item: Item = {
        userId: user.sub,
        nickname,
        nicknameLower: nicknameKey(nickname),
        nicknameBucket: nicknameBucket(nickname),
        seguidores: 0,
        siguiendo: 0,
        puntos: 0,
        nivel: 1,
        isOnline: false,
        createdAt: now,
        updatedAt: now,
      };
      if (name) item.nombreCompleto = [...name].slice(0, this.limits.nameMaxLength).join('');
      try {
        await this.tables.transactWrite([
          { put: { table: this.usersTable, item, condition: { notExists: 'userId' } } },
          {
            put: {
              table: this.claimsTable,
              item: { nickname: nicknameKey(nickname), userId: user.sub, createdAt: now },
              condition: { notExists: 'nickname' },
            },
          },
        ]);
        return;
      } catch (err) {
        if (!(err instanceof TransactionCanceledError)) throw err;
        // Created concurrently (a retried confirmation): the first one wins, unchanged.
        if (err.reasons[0] === 'ConditionalCheckFailed') return;
        if (err.reasons[1] !== 'ConditionalCheckFailed') throw err;
        // Nickname taken: try the next candidate.
      }
    }
    throw conflict(`Could not find a free nickname based on "${base}"`);
  }

  /**
   * Deletes the profile and its nickname claim in one transaction (account deleted). Idempotent:
   * false when there was no profile. The claim goes only if it is still this user's.
   */
  async deleteProfile(userId: string): Promise<boolean> {
    const item = await this.tables.get(this.usersTable, { userId }, { consistent: true });
    if (!item) return false;
    try {
      await this.tables.transactWrite([
        { delete: { table: this.usersTable, key: { userId }, condition: { attr: 'nickname', op: '=', value: item.nickname ?? null } } },
        {
          delete: {
            table: this.claimsTable,
            key: { nickname: String(item.nicknameLower ?? nicknameKey(String(item.nickname))) },
            condition: { or: [{ notExists: 'nickname' }, { attr: 'userId', op: '=', value: userId }] },
          },
        },
      ]);
    } catch (err) {
      if (!(err instanceof TransactionCanceledError)) throw err;
      return this.deleteProfile(userId); // renamed meanwhile: again with what is stored now
    }
    return true;
  }

  /** The profile, or null when there is none (unknown or malformed ids read the same). */
  async getUser(userId: string): Promise<UserProfile | null> {
    if (!userId || userId.length > MAX_USER_ID_LENGTH) return null;
    const item = await this.tables.get(this.usersTable, { userId });
    return item ? this.profile(item) : null;
  }

  /** Case-insensitive lookup through the nickname's claim (strongly consistent, unlike the index). */
  async getByNickname(nickname: string): Promise<UserProfile | null> {
    if (!isValidNickname(nickname, this.limits.nicknameMaxLength)) return null;
    const claim = await this.tables.get(this.claimsTable, { nickname: nicknameKey(nickname) });
    if (!claim || typeof claim.userId !== 'string') return null;
    return this.getUser(claim.userId);
  }

  /**
   * Profiles whose nickname starts with `prefix` (case-insensitive), in nickname order.
   * `cursor` is the store's cursor from the previous page of the same prefix.
   */
  async search(prefix: string, limit: number, cursor?: string): Promise<UserPage> {
    const key = nicknameKey(prefix);
    if (key.length === 0) throw badRequest('prefix must not be empty', { field: 'prefix' });
    if (key.length > this.limits.nicknameMaxLength || !isNicknamePrefix(key)) return { items: [] };
    try {
      const page = await this.tables.query({
        table: this.usersTable,
        index: NICKNAME_INDEX,
        partition: nicknameBucket(key),
        sort: { op: 'beginsWith', value: key },
        limit,
        cursor,
      });
      return { items: page.items.map(this.profile), cursor: page.cursor };
    } catch (err) {
      if (cursor !== undefined && err instanceof TableValidationError) throw badRequest('Invalid nextToken');
      throw err;
    }
  }

  /**
   * Applies the owner's edits to their own profile. A nickname change moves the claim in one
   * transaction (new claim must be free, old claim must be the caller's, profile must still hold
   * the nickname read), so a taken nickname is a Conflict and nothing changes.
   */
  async updateProfile(userId: string, input: ProfileChanges): Promise<UserProfile> {
    const changes = validateChanges(input, this.limits);
    const current = await this.tables.get(this.usersTable, { userId }, { consistent: true });
    if (!current) throw notFound('Profile not found');
    if (changes.nickname === undefined && Object.keys(changes.set).length === 0 && changes.remove.length === 0) {
      return this.profile(current);
    }

    const now = new Date(this.clock.now()).toISOString();
    const set: Item = { ...changes.set, updatedAt: now };
    const oldNickname = typeof current.nickname === 'string' ? current.nickname : undefined;
    const holdsNickname: Condition =
      oldNickname === undefined ? { notExists: 'nickname' } : { attr: 'nickname', op: '=', value: oldNickname };
    const condition: Condition = { and: [{ exists: 'userId' }, holdsNickname] };
    const newNickname = changes.nickname;
    if (newNickname !== undefined) {
      set.nickname = newNickname;
      set.nicknameLower = nicknameKey(newNickname);
      set.nicknameBucket = nicknameBucket(newNickname);
    }
    const update = { table: this.usersTable, key: { userId }, set, remove: changes.remove, condition };

    const movesClaim = newNickname !== undefined && nicknameKey(newNickname) !== (oldNickname && nicknameKey(oldNickname));
    if (!movesClaim) {
      // Same claim (maybe a change of case only): the profile update alone, still guarded.
      try {
        return this.profile(await this.tables.update(update));
      } catch (err) {
        if (err instanceof ConditionalCheckFailedError) throw changedMeanwhile();
        throw err;
      }
    } else {
      const operations: Parameters<Tables['transactWrite']>[0] = [
        {
          put: {
            table: this.claimsTable,
            item: { nickname: nicknameKey(newNickname), userId, createdAt: now },
            condition: { notExists: 'nickname' },
          },
        },
        { update },
      ];
      if (oldNickname !== undefined) {
        operations.push({
          delete: {
            table: this.claimsTable,
            key: { nickname: nicknameKey(oldNickname) },
            // A profile from before claims existed has no claim to release: deleting nothing is fine.
            condition: { or: [{ notExists: 'nickname' }, { attr: 'userId', op: '=', value: userId }] },
          },
        });
      }
      try {
        await this.tables.transactWrite(operations);
      } catch (err) {
        throw this.translate(err, ['taken', 'changed', 'changed']);
      }
    }
    const after = await this.tables.get(this.usersTable, { userId }, { consistent: true });
    if (!after) throw notFound('Profile not found');
    return this.profile(after);
  }

  private translate(err: unknown, meaning: Array<'taken' | 'changed'>): unknown {
    if (!(err instanceof TransactionCanceledError)) return err;
    const failed = err.reasons.findIndex((r) => r === 'ConditionalCheckFailed' || r === 'TransactionConflict');
    if (failed === -1) return err;
    return meaning[failed] === 'taken' ? conflict('Nickname is already taken') : changedMeanwhile();
  }
}

const changedMeanwhile = () => conflict('The profile changed meanwhile; retry');
