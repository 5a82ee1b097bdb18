import type { Logger } from '../../ports/logger.ts';
import type { PostConfirmation, Principal, TokenVerifier } from './contracts.ts';

const PROFILE_CLAIMS = ['email', 'nickname', 'name', 'given_name', 'family_name', 'preferred_username'];

/**
 * With an external user pool nothing here sees a sign-up, so PostConfirmation never runs: a user's
 * profile is created on their first authenticated request instead, from what the token says
 * (ID tokens carry email, nickname, name; access tokens only the username). `createProfile` is
 * idempotent and keeps an existing profile as it is; users known to have one are remembered (up
 * to `cacheSize`, oldest forgotten first) so most requests do not touch the store. A failure to
 * create the profile is logged, not turned into an authentication failure.
 */
export function withProfileOnFirstUse(
  verifier: TokenVerifier,
  o: { createProfile: PostConfirmation; cacheSize: number; log: Logger },
): TokenVerifier {
  const known = new Map<string, true>();
  const remember = (sub: string) => {
    if (o.cacheSize === 0) return;
    known.set(sub, true);
    if (known.size > o.cacheSize) known.delete(known.keys().next().value!);
  };
  return {
    async verify(token: string): Promise<Principal> {
      const principal = await verifier.verify(token);
      if (known.has(principal.sub)) return principal;
      const attributes: Record<string, string> = {};
      for (const name of PROFILE_CLAIMS) {
        const value = principal.claims[name];
        if (typeof value === 'string' && value !== '') attributes[name] = value;
      }
      try {
        await o.createProfile({ sub: principal.sub, username: principal.username, attributes });
        remember(principal.sub);
      } catch (err) {
        o.log.error({ err, sub: principal.sub }, 'profile creation on first use failed');
      }
      return principal;
    },
  };
}
