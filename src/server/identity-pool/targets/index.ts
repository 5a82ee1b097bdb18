import type { PoolTarget } from '../target.ts';
import { getCredentialsForIdentity } from './get-credentials-for-identity.ts';
import { getId } from './get-id.ts';
import { getOpenIdToken } from './get-open-id-token.ts';

/**
 * The supported Cognito Identity actions, by the name after `AWSCognitoIdentityService.` in
 * X-Amz-Target (also the support matrix's source of truth). Anything else: UnknownOperationException.
 */
export const poolTargets: ReadonlyMap<string, PoolTarget> = new Map<string, PoolTarget>([
  ['GetId', getId as PoolTarget],
  ['GetCredentialsForIdentity', getCredentialsForIdentity as PoolTarget],
  ['GetOpenIdToken', getOpenIdToken as PoolTarget],
]);
