import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

interface Args {
  userId: string;
  amount: number;
  reason: string;
  idempotencyKey: string;
}

/**
 * Adds points to a user (callers in the `admin` group: the SDL's cognito_groups and the service
 * check the same group). A retry with the same idempotencyKey returns the first result, `replayed`.
 */
export const awardPoints = defineOperation({
  type: 'Mutation',
  field: 'awardPoints',
  uses: ['points'],
  resolver: ({ points }) => (args: Args, ctx) => points.award(callerPrincipal(ctx), args),
});
