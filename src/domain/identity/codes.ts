import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Item, type Tables } from '../../ports/tables.ts';
import { AppError, ErrorCode } from '../errors.ts';
import { errors } from './errors.ts';

/**
 * One-time codes (sign-up confirmation, forgotten password, attribute verification): 6 digits,
 * valid `validityMs`, at most `maxAttempts` wrong guesses per code (then LimitExceededException
 * until a new code is requested) and at most `maxSends` codes per username and purpose per
 * `sendWindowMs`. Stored as a salted SHA-256 for the check, plus, in development only (the
 * outbox), an AES-GCM sealed copy (key in the system table) so the operator's `biilive users codes`
 * can show pending codes: neither a dump of the identity table nor a log holds a code in clear,
 * and in production no copy exists at all.
 *
 * Items are keyed by lower-cased username and purpose, and exist for unknown usernames too: a
 * simulated send (unknown user, or nowhere to deliver) records its send counter and a simulated
 * code's validity, and checking against it answers exactly as a real code would (mismatch, then
 * the attempt limit; expired once its validity is over), so neither throttling nor the
 * confirmation's answer tells which users exist.
 */
export type CodePurpose = 'sign_up' | 'forgot_password' | 'verify_email' | 'verify_phone_number';

export interface PendingCode {
  username: string;
  purpose: CodePurpose;
  code: string;
  /** ISO-8601. */
  expiresAt: string;
}

export interface CodesOptions {
  tables: Tables;
  table: string;
  clock: Clock;
  /** 32-byte AES key for the sealed copies. */
  sealKey: Buffer;
  /** Keep a sealed copy of each code for `pending()` (development); false in production. */
  outbox: boolean;
  validityMs: number;
  maxAttempts?: number;
  maxSends?: number;
  sendWindowMs?: number;
}

const PK = 'CODE#';
const ignoreConditionFailure = (err: unknown) => {
  if (!(err instanceof ConditionalCheckFailedError)) throw err;
};
const key = (usernameKey: string, purpose: CodePurpose) => ({ pk: `${PK}${usernameKey}`, sk: purpose });
const digest = (salt: Buffer, code: string) => createHash('sha256').update(salt).update(code, 'utf8').digest();

export class Codes {
  private readonly maxAttempts: number;
  private readonly maxSends: number;
  private readonly sendWindowMs: number;

  constructor(private readonly o: CodesOptions) {
    this.maxAttempts = o.maxAttempts ?? 5;
    this.maxSends = o.maxSends ?? 5;
    this.sendWindowMs = o.sendWindowMs ?? 60 * 60 * 1000;
  }

  /**
   * Creates a new code for the user, replacing any earlier one of that purpose (and its attempt
   * count). Throws LimitExceededException when too many codes were sent recently.
   */
  async issue(usernameKey: string, purpose: CodePurpose, owner: { username: string; sub: string }): Promise<string> {
    const window = await this.countSend(usernameKey, purpose);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const salt = randomBytes(16);
    const now = this.o.clock.now();
    const expiresAt = now + this.o.validityMs;
    const k = key(usernameKey, purpose);
    await this.o.tables.put({
      table: this.o.table,
      item: {
        ...k,
        ...window,
        username: owner.username,
        sub: owner.sub,
        salt: salt.toString('base64url'),
        hash: digest(salt, code).toString('base64url'),
        ...(this.o.outbox ? { sealed: this.seal(code, `${k.pk}|${k.sk}`) } : {}),
        expiresAt,
        attempts: 0,
        ttl: Math.ceil(Math.max(expiresAt, now + this.sendWindowMs) / 1000),
      },
    });
    return code;
  }

  /**
   * A send that is only simulated (unknown user, or nowhere to deliver): same throttle as a real
   * one, and a simulated code valid as long as a real one, which no code ever matches.
   */
  async simulateSend(usernameKey: string, purpose: CodePurpose): Promise<void> {
    const window = await this.countSend(usernameKey, purpose);
    const now = this.o.clock.now();
    const simulatedUntil = now + this.o.validityMs;
    await this.o.tables.update({
      table: this.o.table,
      key: key(usernameKey, purpose),
      set: { ...window, simulatedUntil, attempts: 0, ttl: Math.ceil(Math.max(simulatedUntil, now + this.sendWindowMs) / 1000) },
      remove: ['username', 'sub', 'salt', 'hash', 'sealed', 'expiresAt'],
    });
  }

  /**
   * Checks a code without consuming it (call `consume` once the guarded change is done). `sub`
   * is the user's, or undefined for an unknown username (answered as its simulated code).
   * Throws ExpiredCodeException (none requested, expired, or issued to an earlier user of the
   * name), LimitExceededException (too many wrong tries) or CodeMismatchException.
   */
  async check(usernameKey: string, purpose: CodePurpose, sub: string | undefined, code: string): Promise<void> {
    const k = key(usernameKey, purpose);
    const item = await this.o.tables.get(this.o.table, k, { consistent: true });
    const now = this.o.clock.now();
    if (!item || typeof item.hash !== 'string' || sub === undefined || item.sub !== sub || Number(item.expiresAt) <= now) {
      if (item && Number(item.simulatedUntil ?? 0) > now) return this.mismatch(item, k, 'simulatedUntil');
      throw errors.expiredCode();
    }
    if (Number(item.attempts ?? 0) >= this.maxAttempts) throw errors.attemptLimit();
    const expected = Buffer.from(item.hash, 'base64url');
    const actual = digest(Buffer.from(String(item.salt), 'base64url'), code);
    if (expected.length === actual.length && timingSafeEqual(expected, actual)) return;
    return this.mismatch(item, k, 'hash');
  }

  /** Counts a wrong guess against the code (`guard`: the attribute naming it) and throws. */
  private async mismatch(item: Item, k: ReturnType<typeof key>, guard: 'hash' | 'simulatedUntil'): Promise<never> {
    if (Number(item.attempts ?? 0) >= this.maxAttempts) throw errors.attemptLimit();
    await this.o.tables
      .update({ table: this.o.table, key: k, add: { attempts: 1 }, condition: { attr: guard, op: '=', value: item[guard] as string | number } })
      .catch(ignoreConditionFailure); // replaced meanwhile: the new code has its own count
    throw errors.codeMismatch();
  }

  /** Removes the code (keeps the send counters, so consuming a code does not reset the throttle). */
  async consume(usernameKey: string, purpose: CodePurpose): Promise<void> {
    await this.o.tables
      .update({
        table: this.o.table,
        key: key(usernameKey, purpose),
        remove: ['username', 'sub', 'salt', 'hash', 'sealed', 'expiresAt', 'attempts'],
        condition: { exists: 'pk' },
      })
      .catch(ignoreConditionFailure); // no item: nothing to consume
  }

  /** Removes every code item of a username (user deleted). */
  async deleteAll(usernameKey: string): Promise<void> {
    const { items } = await this.o.tables.query({ table: this.o.table, partition: `${PK}${usernameKey}`, consistent: true });
    for (const item of items) await this.o.tables.delete({ table: this.o.table, key: { pk: item.pk as string, sk: item.sk as string } });
  }

  /** Unexpired codes in the outbox, for the operator in development. Full table scan. */
  async pending(): Promise<PendingCode[]> {
    if (!this.o.outbox) throw new AppError(ErrorCode.UnsupportedOperation, 'The code outbox is off in production mode: codes are only delivered.');
    const now = this.o.clock.now();
    const out: PendingCode[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.o.tables.scan({ table: this.o.table, limit: 100, cursor });
      for (const item of page.items) {
        if (!String(item.pk).startsWith(PK) || typeof item.sealed !== 'string') continue;
        if (Number(item.expiresAt) <= now || Number(item.attempts ?? 0) >= this.maxAttempts) continue;
        const code = this.unseal(item.sealed, `${String(item.pk)}|${String(item.sk)}`);
        if (code === undefined) continue;
        out.push({
          username: String(item.username),
          purpose: item.sk as CodePurpose,
          code,
          expiresAt: new Date(Number(item.expiresAt)).toISOString(),
        });
      }
      cursor = page.cursor;
    } while (cursor);
    return out.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  }

  /** The throttle window after counting one more send; throws when the window is full. */
  private async countSend(usernameKey: string, purpose: CodePurpose): Promise<Item> {
    const now = this.o.clock.now();
    const item = await this.o.tables.get(this.o.table, key(usernameKey, purpose), { consistent: true });
    const start = Number(item?.windowStart ?? 0);
    const sends = Number(item?.sends ?? 0);
    if (!item || now - start >= this.sendWindowMs) return { windowStart: now, sends: 1 };
    if (sends >= this.maxSends) throw errors.attemptLimit();
    return { windowStart: start, sends: sends + 1 };
  }

  private seal(code: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.o.sealKey, iv);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  private unseal(sealed: string, aad: string): string | undefined {
    try {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.o.sealKey, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
