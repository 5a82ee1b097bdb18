import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Ids } from '../../ports/ids.ts';
import type { CodeSender } from '../../ports/code-sender.ts';
import type { Logger } from '../../ports/logger.ts';
import { AppError } from '../errors.ts';
import type { Installation } from '../installation.ts';
import type { Challenges } from './challenges.ts';
import type { CodeDelivery } from './attributes.ts';
import type { Codes, CodePurpose } from './codes.ts';
import type { PostConfirmation, RemoveUserData } from './contracts.ts';
import { cognitoError, errors } from './errors.ts';
import type { Lockout } from './lockout.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { PasswordPolicy } from './password-policy.ts';
import type { Sessions } from './sessions.ts';
import type { TokenIssuer } from './token-issuer.ts';
import type { TokenChecker } from './token-verifier.ts';
import type { UserRecord, UserStatus, UserStore } from './user-store.ts';

/** Everything the action modules may use; each function picks only what it needs. */
export interface IdentityContext {
  config: Config;
  clock: Clock;
  ids: Ids;
  log: Logger;
  installation: Installation;
  issuer: string;
  users: UserStore;
  sessions: Sessions;
  codes: Codes;
  challenges: Challenges;
  /** Keys the simulated SRP salts of unknown users (stable per username, unguessable). */
  srpSaltKey: Buffer;
  lockout: Lockout;
  hasher: PasswordHasher;
  tokens: TokenIssuer;
  checker: TokenChecker;
  policy: PasswordPolicy;
  postConfirmation: PostConfirmation;
  removeUserData: RemoveUserData;
  codeSender: CodeSender;
  /** Called after some of a user's tokens stopped being honoured (sign-out, revocation, deletion). */
  onRevoked: (sub: string) => void;
}

/** This pool has exactly one app client (no secret; USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH). */
export function requireClient(ctx: Pick<IdentityContext, 'installation'>, clientId: string): void {
  if (clientId !== ctx.installation.userPoolClientId) throw errors.unknownClient(clientId);
}

const USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u;

export function assertUsername(username: string): void {
  if (username.length < 1 || username.length > 128 || !USERNAME.test(username)) {
    throw errors.invalidParameter(
      "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
    );
  }
}

/**
 * Hands a code to the code sender. A code with nowhere to go (no e-mail or phone number) is only
 * in the outbox. A failed delivery is logged without the code and becomes Cognito's
 * CodeDeliveryFailureException; the caller undoes what it started.
 */
export async function deliverCode(
  ctx: Pick<IdentityContext, 'codeSender' | 'log'>,
  d: { username: string; code: string; purpose: CodePurpose | 'temporary_password'; delivery?: CodeDelivery; destination?: string },
): Promise<void> {
  if (!d.delivery || !d.destination) return;
  try {
    await ctx.codeSender.send({ username: d.username, code: d.code, purpose: d.purpose, medium: d.delivery.deliveryMedium, destination: d.destination });
  } catch (err) {
    ctx.log.warn({ reason: (err as Error).message, purpose: d.purpose, medium: d.delivery.deliveryMedium }, 'code delivery failed');
    throw errors.codeDeliveryFailure();
  }
}

/**
 * Marks an UNCONFIRMED user (or, `from`, one created by an administrator who just chose their
 * password) CONFIRMED (email verified, as a confirmation by emailed code does).
 * PostConfirmation runs FIRST: it is idempotent, so a crash between the two steps leaves the
 * user unconfirmed and a retried confirmation runs it again, instead of a confirmed user without
 * a profile.
 */
export async function confirmUser(
  ctx: Pick<IdentityContext, 'users' | 'codes' | 'postConfirmation' | 'log'>,
  user: UserRecord,
  from: UserStatus = 'UNCONFIRMED',
): Promise<UserRecord> {
  const attributes = { ...user.attributes };
  // A sign-up code went to the email; an administrator's account states its own verification.
  if (attributes.email && from === 'UNCONFIRMED') attributes.email_verified = 'true';
  try {
    await ctx.postConfirmation({ sub: user.sub, username: user.username, attributes: { ...attributes } });
  } catch (err) {
    if (err instanceof AppError && err.code !== 'InternalFailure') {
      throw cognitoError('UserLambdaValidationException', `PostConfirmation failed with error ${err.message}.`);
    }
    ctx.log.error({ err, sub: user.sub }, 'post-confirmation failed');
    throw cognitoError('UnexpectedLambdaException', 'PostConfirmation failed.');
  }
  const confirmed = await ctx.users.update(user, { status: 'CONFIRMED', attributes }, { status: from });
  await ctx.codes.consume(user.usernameKey, 'sign_up');
  // Lost a race with a concurrent confirmation (or deletion): report what is stored now.
  return confirmed ?? (await ctx.users.get(user.usernameKey)) ?? user;
}
