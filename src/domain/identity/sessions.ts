import { createHash } from 'node:crypto';
import type { Clock } from '../../ports/clock.ts';
import type { Ids } from '../../ports/ids.ts';
import { ConditionalCheckFailedError, type Item, type Tables } from '../../ports/tables.ts';

/**
 * Sign-in sessions ("families"): one per successful password sign-in, identified by a UUID that
 * every token minted from it carries as `origin_jti`. The refresh token is an opaque random string
 * stored only as its SHA-256. Items in the identity table:
 *   pk `FAM#<family>`, sk `FAM`   session (GSI1PK `FAMS#<sub>` lists a user's sessions)
 *   pk `RT#<sha256>`,  sk `RT`    refresh token -> family
 * Revoking a family (RevokeToken) refuses its refresh token and every token whose origin_jti it is.
 */
export interface Session {
  family: string;
  sub: string;
  usernameKey: string;
  /** Epoch seconds of the password sign-in (`auth_time`, kept across refreshes). */
  authTime: number;
  eventId: string;
  /** Epoch ms. */
  issuedAt: number;
  expiresAt: number;
  revokedAt?: number;
}

const MAX_TOKEN_LENGTH = 4096;
const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const famKey = (family: string) => ({ pk: `FAM#${family}`, sk: 'FAM' });
const rtKey = (hash: string) => ({ pk: `RT#${hash}`, sk: 'RT' });

function fromItem(item: Item): Session {
  const s: Session = {
    family: String(item.family),
    sub: String(item.sub),
    usernameKey: String(item.usernameKey),
    authTime: Number(item.authTime),
    eventId: String(item.eventId),
    issuedAt: Number(item.issuedAt),
    expiresAt: Number(item.expiresAt),
  };
  if (typeof item.revokedAt === 'number') s.revokedAt = item.revokedAt;
  return s;
}

export class Sessions {
  constructor(private readonly deps: { tables: Tables; table: string; clock: Clock; ids: Ids; lifetimeMs: number }) {}

  async start(user: { sub: string; usernameKey: string }): Promise<{ refreshToken: string; session: Session }> {
    const { tables, table, clock, ids, lifetimeMs } = this.deps;
    const now = clock.now();
    const refreshToken = ids.token(48);
    const tokenHash = hashToken(refreshToken);
    const session: Session = {
      family: ids.uuid(),
      sub: user.sub,
      usernameKey: user.usernameKey,
      authTime: Math.floor(now / 1000),
      eventId: ids.uuid(),
      issuedAt: now,
      expiresAt: now + lifetimeMs,
    };
    const ttl = Math.ceil(session.expiresAt / 1000);
    await tables.transactWrite([
      {
        put: {
          table,
          item: { ...famKey(session.family), ...session, tokenHash, GSI1PK: `FAMS#${user.sub}`, GSI1SK: String(now).padStart(15, '0'), ttl },
          condition: { notExists: 'pk' },
        },
      },
      { put: { table, item: { ...rtKey(tokenHash), family: session.family, ttl }, condition: { notExists: 'pk' } } },
    ]);
    return { refreshToken, session };
  }

  async byRefreshToken(refreshToken: string): Promise<Session | undefined> {
    if (refreshToken.length === 0 || refreshToken.length > MAX_TOKEN_LENGTH) return undefined;
    const rt = await this.deps.tables.get(this.deps.table, rtKey(hashToken(refreshToken)), { consistent: true });
    return rt ? this.get(String(rt.family)) : undefined;
  }

  async get(family: string): Promise<Session | undefined> {
    const item = await this.deps.tables.get(this.deps.table, famKey(family), { consistent: true });
    return item ? fromItem(item) : undefined;
  }

  async revoke(family: string): Promise<void> {
    await this.deps.tables
      .update({ table: this.deps.table, key: famKey(family), setIfNotExists: { revokedAt: this.deps.clock.now() }, condition: { exists: 'pk' } })
      .catch((err: unknown) => {
        if (!(err instanceof ConditionalCheckFailedError)) throw err; // already gone: nothing left to revoke
      });
  }

  /** Deletes every session of a user (account deleted). */
  async deleteAllOf(sub: string): Promise<void> {
    const { tables, table } = this.deps;
    let cursor: string | undefined;
    do {
      const page = await tables.query({ table, index: 'GSI1', partition: `FAMS#${sub}`, cursor, limit: 100 });
      for (const item of page.items) {
        await tables.delete({ table, key: rtKey(String(item.tokenHash)) });
        await tables.delete({ table, key: famKey(String(item.family)) });
      }
      cursor = page.cursor;
    } while (cursor);
  }
}
