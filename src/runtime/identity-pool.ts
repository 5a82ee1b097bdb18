/** The Cognito identity pool of this installation, in front of whichever user pool is configured. */
import type { Config } from '../config/schema.ts';
import type { TokenVerifier } from '../domain/identity/contracts.ts';
import { IdentityPool } from '../domain/identity-pool/identity-pool.ts';
import { loadIdentityPoolSecrets } from '../domain/identity-pool/secrets.ts';
import type { Installation } from '../domain/installation.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';

export async function createIdentityPool(o: {
  config: Config;
  tables: Tables;
  ids: Ids;
  clock: Clock;
  installation: Installation;
  verifier: TokenVerifier;
  /** This server's public base URL (the OpenID tokens' issuer is `<it>/<identity pool id>`). */
  publicUrl: string;
}): Promise<IdentityPool> {
  const { config, installation } = o;
  return new IdentityPool({
    poolId: installation.identityPoolId,
    region: installation.identityPoolId.split(':')[0],
    verifier: o.verifier,
    allowUnauthenticated: config.identityPool.allowUnauthenticated,
    credentialsSeconds: config.identityPool.credentialsMinutes * 60,
    openIdIssuer: `${o.publicUrl}/${installation.identityPoolId}`,
    secrets: await loadIdentityPoolSecrets(o.tables, config.tables.system, o.ids),
    clock: o.clock,
  });
}
