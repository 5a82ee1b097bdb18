/**
 * The user pool, as configured (identity.mode): the embedded one (this server is the Cognito user
 * pool) or an external Cognito pool whose tokens are verified with aws-jwt-verify, with profiles
 * created on a user's first authenticated request.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { createExternalVerifier } from '../adapters/identity/external-verifier.ts';
import type { TokenVerifier } from '../domain/identity/contracts.ts';
import type { CodeSender } from '../ports/code-sender.ts';
import { createIdentity, type Identity } from '../domain/identity/create-identity.ts';
import { withProfileOnFirstUse } from '../domain/identity/profile-on-first-use.ts';
import type { Installation } from '../domain/installation.ts';
import type { MediaService } from '../domain/media/media-service.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { Logger } from '../ports/logger.ts';
import type { Tables } from '../ports/tables.ts';
import type { SystemMetrics } from './metrics.ts';
import type { DomainServices } from './services.ts';

export interface UserPool {
  /** The embedded pool; undefined with an external one (no user-pool endpoint is served). */
  identity?: Identity;
  /** Verifies the ID and access tokens the API accepts. */
  verifier: TokenVerifier;
}

export async function createUserPool(o: {
  config: Config;
  tables: Tables;
  clock: Clock;
  ids: Ids;
  log: Logger;
  installation: Installation;
  issuer: string;
  services: DomainServices;
  media: MediaService;
  codeSender: CodeSender;
  /** Told a user's sub once their tokens stop being honoured (revocation on open sockets, every replica). */
  onRevoked: (sub: string) => void;
  /** Counts the post-confirmation step as a function (invocations, errors, duration). */
  metrics?: Pick<SystemMetrics, 'invocation'>;
}): Promise<UserPool> {
  const { config, services, log } = o;
  const createProfile = (user: Parameters<DomainServices['users']['createProfile']>[0]) =>
    o.metrics ? o.metrics.invocation('PostConfirmation', () => services.users.createProfile(user)) : services.users.createProfile(user);
  if (config.identity.mode === 'external') {
    const external = createExternalVerifier({
      userPoolId: config.identity.userPoolId,
      issuer: config.identity.issuer,
      clientIds: config.identity.clientIds ?? [],
      ca: config.identity.caFile ? readFileSync(config.identity.caFile, 'utf8') : undefined,
    });
    return {
      verifier: withProfileOnFirstUse(external, { createProfile, cacheSize: config.identity.knownProfilesCacheSize, log: log.child({ component: 'identity' }) }),
    };
  }
  const identity = await createIdentity({
    tables: o.tables,
    tableNames: config.tables,
    clock: o.clock,
    ids: o.ids,
    log: log.child({ component: 'identity' }),
    installation: o.installation,
    issuer: o.issuer,
    config,
    postConfirmation: createProfile,
    // The deletion rule (docs/data-model.md): profile, nickname claim, follow edges and media go;
    // messages stay with the other participant.
    removeUserData: async ({ sub }) => {
      await services.social.removeAllEdgesOf(sub);
      await o.media.deleteAllOf(sub);
      await services.users.deleteProfile(sub);
    },
    codeSender: o.codeSender,
    onRevoked: o.onRevoked,
  });
  return { identity, verifier: identity };
}
