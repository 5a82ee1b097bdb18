import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Item, type Tables } from '../../ports/tables.ts';

/**
 * Sign-in challenges in progress (Cognito's `Session` of an auth flow): the SRP state between
 * InitiateAuth(USER_SRP_AUTH) and RespondToAuthChallenge(PASSWORD_VERIFIER), and a verified
 * password waiting for NEW_PASSWORD_REQUIRED. The client holds an opaque random token (the
 * SECRET_BLOCK or the Session); the identity table holds only its SHA-256:
 *   pk `CHAL#<sha256 hex>`, sk the challenge name; `ttl` for DynamoDB's sweep.
 * A challenge is answered at most once (taking it deletes it, conditionally, so two replicas cannot
 * both accept it) and only within `validityMs` (Cognito's AuthSessionValidity, 3 minutes by default).
 */
export type ChallengeName = 'PASSWORD_VERIFIER' | 'NEW_PASSWORD_REQUIRED';

const TOKEN_BYTES = 96;
const MAX_TOKEN_LENGTH = 4096;
const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const key = (token: string, name: ChallengeName) => ({ pk: `CHAL#${hashOf(token)}`, sk: name });

export class Challenges {
  constructor(private readonly deps: { tables: Tables; table: string; clock: Clock; validityMs: number }) {}

  /** Stores `state` and returns the token (base64) that answers it. */
  async open(name: ChallengeName, state: Item): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64');
    const expiresAt = this.deps.clock.now() + this.deps.validityMs;
    await this.deps.tables.put({
      table: this.deps.table,
      item: { ...key(token, name), ...state, expiresAt, ttl: Math.ceil(expiresAt / 1000) },
      condition: { notExists: 'pk' },
    });
    return token;
  }

  /** The state of an open, unexpired challenge, removed so it cannot be answered again; else undefined. */
  async take(name: ChallengeName, token: string): Promise<Item | undefined> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    let item: Item | undefined;
    try {
      item = await this.deps.tables.delete({ table: this.deps.table, key: key(token, name), condition: { exists: 'pk' } });
    } catch (err) {
      if (err instanceof ConditionalCheckFailedError) return undefined;
      throw err;
    }
    if (!item || Number(item.expiresAt) <= this.deps.clock.now()) return undefined;
    return item;
  }
}
