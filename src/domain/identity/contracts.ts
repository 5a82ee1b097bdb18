/**
 * What the rest of the system needs from the user pool, and what the user pool needs from the rest.
 * The GraphQL edge verifies tokens through TokenVerifier; the identity service calls
 * PostConfirmation when a sign-up is confirmed (Cognito's PostConfirmation trigger).
 */

/** A signed-in caller, from a verified ID or access token. */
export interface Principal {
  /** The user's `sub`: also their userId in BIILIVEDB-USERS. */
  sub: string;
  username: string;
  groups: string[];
  tokenUse: 'id' | 'access';
  claims: Record<string, unknown>;
}

export interface TokenVerifier {
  /**
   * Verifies an ID or access token of this pool: RS256 signature against our keys, iss, token_use,
   * exp, client id (aud / client_id), and not revoked. Rejects with an Error otherwise.
   */
  verify(token: string): Promise<Principal>;
}

export interface ConfirmedUser {
  sub: string;
  username: string;
  /** Standard and custom attributes given at sign-up (email, name, nickname, ...). */
  attributes: Record<string, string>;
}

/** Runs after ConfirmSignUp (and auto-confirm). Must be safe to call again for the same user. */
export type PostConfirmation = (user: ConfirmedUser) => Promise<void>;

/**
 * Removes what the rest of the system keeps for a user whose account is being deleted (DeleteUser,
 * AdminDeleteUser): profile, nickname claim, follow edges, media. Runs BEFORE the pool forgets the
 * account, so a failure leaves the account in place and the deletion can simply be retried; must
 * therefore be idempotent.
 */
export type RemoveUserData = (user: { sub: string; username: string }) => Promise<void>;
