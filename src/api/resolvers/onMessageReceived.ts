import { AppError, ErrorCode } from '../../domain/errors.ts';
import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

const DENIED = 'Not Authorized to access onMessageReceived on type Subscription';

/**
 * The subscription's resolver, run when it starts (AppSync's subscription resolver): messages are
 * private, so the receiverId filter must be given and be the caller's own sub. Events themselves
 * come from sendMessage through @aws_subscribe.
 */
export const onMessageReceived = defineOperation({
  type: 'Subscription',
  field: 'onMessageReceived',
  uses: [],
  resolver: () => (args: { receiverId?: string | null }, ctx) => {
    if (ctx.caller.mode !== 'AMAZON_COGNITO_USER_POOLS' || args.receiverId !== callerPrincipal(ctx).sub) {
      throw new AppError(ErrorCode.Unauthorized, DENIED);
    }
    return null;
  },
});
