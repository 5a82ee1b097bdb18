import type { z } from 'zod';
import type { Identity } from '../../domain/identity/create-identity.ts';

/**
 * One Cognito action: the request schema and a runner that declares the slice of the pool it uses
 * (cognito-local style), mapping the wire members to the pool's method and back.
 */
export interface Target<S extends z.ZodType = z.ZodType, K extends keyof Identity = keyof Identity> {
  input: S;
  run(identity: Pick<Identity, K>, request: z.output<S>): Promise<object>;
}

export const defineTarget = <S extends z.ZodType, K extends keyof Identity>(t: Target<S, K>): Target<S, K> => t;
