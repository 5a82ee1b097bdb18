import { randomBytes, randomUUID } from 'node:crypto';

/** Ids port: unique identifiers and random tokens, swappable for deterministic ones in tests. */
export interface Ids {
  uuid(): string;
  /** `bytes` random bytes, base64url. */
  token(bytes?: number): string;
}

export const randomIds: Ids = {
  uuid: () => randomUUID(),
  token: (bytes = 32) => randomBytes(bytes).toString('base64url'),
};
