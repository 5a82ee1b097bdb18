import type { z } from 'zod';
import type { IdentityPool } from '../../domain/identity-pool/identity-pool.ts';

/** One Cognito Identity action: its request schema and a runner over the slice of the pool it uses. */
export interface PoolTarget<S extends z.ZodType = z.ZodType, K extends keyof IdentityPool = keyof IdentityPool> {
  input: S;
  run(pool: Pick<IdentityPool, K>, request: z.output<S>): Promise<object>;
}

export const definePoolTarget = <S extends z.ZodType, K extends keyof IdentityPool>(t: PoolTarget<S, K>): PoolTarget<S, K> => t;
