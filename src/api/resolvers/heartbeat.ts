import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

/**
 * Keeps the caller online without a real-time connection (an app in the background), for
 * realtime.heartbeatTtlMs after each call. Returns the caller's presence.
 */
export const heartbeat = defineOperation({
  type: 'Mutation',
  field: 'heartbeat',
  uses: ['presence'],
  resolver: ({ presence }) => (_args, ctx) => presence.heartbeat(callerPrincipal(ctx).sub),
});
