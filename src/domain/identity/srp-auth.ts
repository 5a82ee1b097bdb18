import { usernameKey, type UserRecord } from './user-store.ts';
import type { IdentityContext } from './context.ts';
import { srpPoolName } from './credentials.ts';
import { errors } from './errors.ts';
import {
  claimMatches,
  claimSignature,
  isSrpTimestamp,
  parseClientA,
  serverEphemeral,
  sessionKey,
  simulatedSalt,
  simulatedVerifier,
} from './srp.ts';
import type { AuthChallenge } from './types.ts';

/**
 * USER_SRP_AUTH: InitiateAuth answers PASSWORD_VERIFIER with the user's salt and the server's B;
 * RespondToAuthChallenge checks the client's claim, which only someone who knows the password can
 * compute. Unknown users, and users whose password predates SRP (no verifier yet: one
 * USER_PASSWORD_AUTH sign-in or password change creates it), get a stable simulated salt and a
 * challenge that always fails with the same error as a wrong password, counted by the lockout
 * (PreventUserExistenceErrors = ENABLED).
 */
export async function startSrp(ctx: IdentityContext, username: string, srpA: string): Promise<AuthChallenge> {
  const A = parseClientA(srpA);
  if (A === undefined) throw errors.invalidParameter('SRP_A is not a valid SRP value.');
  const key = usernameKey(username);
  const [user, lock] = await Promise.all([ctx.users.get(key), ctx.lockout.state(key)]);
  if (ctx.lockout.isLocked(lock)) throw errors.attemptsExceeded();
  const real = user?.srpSalt !== undefined && user.srpVerifier !== undefined ? user : undefined;
  // Computed for everyone, so the work (and its timing) does not depend on whether the user exists.
  const simulated = simulatedVerifier();
  const verifier = real?.srpVerifier ?? simulated;
  const { b, B } = serverEphemeral(verifier);
  const secretBlock = await ctx.challenges.open('PASSWORD_VERIFIER', {
    usernameKey: key,
    sub: real?.sub ?? '',
    A: A.toString(16),
    b,
    B,
    verifier,
  });
  return {
    challengeName: 'PASSWORD_VERIFIER',
    challengeParameters: {
      SALT: real?.srpSalt ?? simulatedSalt(ctx.srpSaltKey, key),
      SECRET_BLOCK: secretBlock,
      SRP_B: B,
      USERNAME: key,
      USER_ID_FOR_SRP: key,
    },
  };
}

const CLAIM = ['USERNAME', 'PASSWORD_CLAIM_SECRET_BLOCK', 'TIMESTAMP', 'PASSWORD_CLAIM_SIGNATURE'] as const;

/** Checks a PASSWORD_VERIFIER answer; returns the user whose password it proves, or throws. */
export async function verifyPasswordClaim(ctx: IdentityContext, responses: Record<string, string>): Promise<UserRecord> {
  for (const name of CLAIM) if (!responses[name]) throw errors.missingParameter(name);
  if (!isSrpTimestamp(responses.TIMESTAMP)) throw errors.invalidParameter('TIMESTAMP is not in the expected format.');
  const state = await ctx.challenges.take('PASSWORD_VERIFIER', responses.PASSWORD_CLAIM_SECRET_BLOCK);
  if (!state) throw errors.invalidSession();
  const key = String(state.usernameKey);
  const lock = await ctx.lockout.state(key);
  if (ctx.lockout.isLocked(lock)) throw errors.attemptsExceeded();

  const sessionKeyBytes = sessionKey({ A: BigInt(`0x${String(state.A)}`), B: String(state.B), b: String(state.b), verifier: String(state.verifier) });
  const expected =
    sessionKeyBytes &&
    claimSignature(sessionKeyBytes, {
      poolName: srpPoolName(ctx),
      userId: key,
      secretBlock: Buffer.from(responses.PASSWORD_CLAIM_SECRET_BLOCK, 'base64'),
      timestamp: responses.TIMESTAMP,
    });
  const proved = expected !== undefined && claimMatches(expected, responses.PASSWORD_CLAIM_SIGNATURE);
  const ok = proved && state.sub !== '' && usernameKey(responses.USERNAME) === key;
  const latest = await ctx.lockout.state(key);
  if (ctx.lockout.isLocked(latest)) throw errors.attemptsExceeded();
  if (!ok) {
    await ctx.lockout.recordFailure(key);
    throw errors.incorrectCredentials();
  }
  const user = await ctx.users.get(key);
  // Deleted, replaced or given a new password since the challenge began: what was proved is stale.
  if (!user || user.sub !== state.sub || user.srpVerifier !== state.verifier) throw errors.incorrectCredentials();
  await ctx.lockout.reset(key, latest);
  return user;
}
