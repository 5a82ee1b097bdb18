import type { z } from 'zod';
import type { Identity } from '../../domain/identity/create-identity.ts';

/**
 * One Cognito action: the request schema and a runner that declares the slice of the pool it uses
 * (cognito-local style), mapping the wire members to the pool's method and back. `operator`
 * actions (Admin*, ListUsers, ...) are served only to requests SigV4-signed with the operator's
 * credentials; the others are public, and a signature on them is ignored, as Cognito does.
 */
export interface Target<S extends z.ZodType = z.ZodType, K extends keyof Identity = keyof Identity> {
  input: S;
  operator?: boolean;
  run(identity: Pick<Identity, K>, request: z.output<S>): Promise<object>;
}

export const defineTarget = <S extends z.ZodType, K extends keyof Identity>(t: Target<S, K>): Target<S, K> => t;
