import { defineOperation } from '../operation.ts';

/**
 * Start-time resolver of onNewFollower(followedId): follow edges are public (listFollowers is open
 * to the API key), so any signed-in user may watch any followedId; the field's directives decide
 * the auth modes. Events come from followUser through @aws_subscribe.
 */
export const onNewFollower = defineOperation({
  type: 'Subscription',
  field: 'onNewFollower',
  uses: [],
  resolver: () => () => null,
});
