import { defineOperation } from '../operation.ts';

/**
 * Start-time resolver of onPresenceChanged(userId): presence is public (User.isOnline is readable
 * with the API key). Events come from the presence service (connections opening and closing on any
 * replica) and from heartbeat through @aws_subscribe.
 */
export const onPresenceChanged = defineOperation({
  type: 'Subscription',
  field: 'onPresenceChanged',
  uses: [],
  resolver: () => () => null,
});
