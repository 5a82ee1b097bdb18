/**
 * The client half of Cognito's SRP from amazon-cognito-identity-js (an implementation no one here
 * wrote): its AuthenticationHelper computes A and the password key, its DateHelper the TIMESTAMP;
 * only the final HMAC of the claim, a single standard primitive, is computed here.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type Big = { toString(radix: number): string };
interface Helper {
  getLargeAValue(cb: (err: Error | null, A: Big) => void): void;
  getPasswordAuthenticationKey(user: string, password: string, B: Big, salt: Big, cb: (err: Error | null, key: Uint8Array) => void): void;
}
const AuthenticationHelper = (require('amazon-cognito-identity-js/lib/AuthenticationHelper.js') as { default: new (pool: string) => Helper }).default;
const BigInteger = (require('amazon-cognito-identity-js/lib/BigInteger.js') as { default: new (hex: string, radix: number) => Big }).default;
const DateHelper = (require('amazon-cognito-identity-js/lib/DateHelper.js') as { default: new () => { getNowString(): string } }).default;

export interface SrpClient {
  /** SRP_A, hex. */
  A: string;
  /** The PASSWORD_VERIFIER ChallengeResponses for these ChallengeParameters and password. */
  answer(params: Record<string, string>, password: string, timestamp?: string): Promise<Record<string, string>>;
}

export async function srpClient(userPoolId: string): Promise<SrpClient> {
  const poolName = userPoolId.split('_')[1];
  const helper = new AuthenticationHelper(poolName);
  const A = await new Promise<Big>((ok, fail) => helper.getLargeAValue((err, a) => (err ? fail(err) : ok(a))));
  return {
    A: A.toString(16),
    async answer(params, password, timestamp = new DateHelper().getNowString()) {
      const userId = params.USER_ID_FOR_SRP;
      const key = await new Promise<Uint8Array>((ok, fail) =>
        helper.getPasswordAuthenticationKey(userId, password, new BigInteger(params.SRP_B, 16), new BigInteger(params.SALT, 16), (err, k) =>
          err ? fail(err) : ok(k),
        ),
      );
      const signature = createHmac('sha256', Buffer.from(key))
        .update(Buffer.concat([Buffer.from(poolName), Buffer.from(userId), Buffer.from(params.SECRET_BLOCK, 'base64'), Buffer.from(timestamp)]))
        .digest('base64');
      return {
        USERNAME: userId,
        PASSWORD_CLAIM_SECRET_BLOCK: params.SECRET_BLOCK,
        TIMESTAMP: timestamp,
        PASSWORD_CLAIM_SIGNATURE: signature,
      };
    },
  };
}
