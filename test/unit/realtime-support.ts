/** A small AppSync schema and operations for the realtime unit tests (independent of schema.graphql). */
import { configSchema } from '../../src/config/schema.ts';
import { buildExecutableSchema } from '../../src/api/executable-schema.ts';
import { defineOperation, type ApiServices } from '../../src/api/operation.ts';
import { callerPrincipal } from '../../src/api/context.ts';
import { AppError, ErrorCode } from '../../src/domain/errors.ts';

export const TEST_SDL = /* GraphQL */ `
schema { query: Query mutation: Mutation subscription: Subscription }
type Message @aws_api_key @aws_cognito_user_pools {
  id: ID!
  senderId: ID!
  receiverId: ID
  text: String
  meta: AWSJSON
  sentAt: AWSDateTime
  secret: String @aws_cognito_user_pools(cognito_groups: ["admin"])
  tags: [String!]
  sender: Presence
}
type Presence @aws_api_key @aws_cognito_user_pools {
  userId: ID!
  isOnline: Boolean!
  lastSeen: AWSDateTime
}
type Query { ping: String @aws_api_key @aws_cognito_user_pools }
type Mutation {
  sendMessage(receiverId: ID, text: String): Message @aws_cognito_user_pools
  failMessage(receiverId: ID): Message @aws_cognito_user_pools
}
type Subscription {
  onMessageReceived(receiverId: ID): Message @aws_subscribe(mutations: ["sendMessage", "failMessage"]) @aws_cognito_user_pools
  onAnyMessage(senderId: ID, text: String): Message @aws_subscribe(mutations: ["sendMessage"]) @aws_api_key @aws_cognito_user_pools
  onPresenceChanged(userId: ID): Presence @aws_api_key @aws_cognito_user_pools
}
`;

let seq = 0;
const sendMessage = defineOperation({
  type: 'Mutation',
  field: 'sendMessage',
  uses: [],
  resolver: () => async (args: { receiverId?: string | null; text?: string }, ctx) => ({
    id: `m${++seq}`,
    senderId: callerPrincipal(ctx).sub,
    receiverId: args.receiverId ?? null,
    text: args.text ?? null,
    meta: { n: seq, nested: { ok: true } },
    sentAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
    secret: 'classified',
    tags: ['a', 'b'],
    // A lazy nested object, as src/api/shapes.ts builds them: read only when selected.
    sender: async () => ({ userId: callerPrincipal(ctx).sub, isOnline: true, lastSeen: null }),
  }),
});
const failMessage = defineOperation({
  type: 'Mutation',
  field: 'failMessage',
  uses: [],
  resolver: () => async () => {
    throw new AppError(ErrorCode.BadRequest, 'nope');
  },
});
/** AppSync's subscription resolver: nobody subscribes to someone else's messages. */
const onMessageReceived = defineOperation({
  type: 'Subscription',
  field: 'onMessageReceived',
  uses: [],
  resolver: () => (args: { receiverId?: string | null }, ctx) => {
    if (args.receiverId !== callerPrincipal(ctx).sub) {
      throw new AppError(ErrorCode.Unauthorized, 'Not Authorized to access onMessageReceived on type Subscription');
    }
    return null;
  },
});

export const testOperations = [sendMessage, failMessage, onMessageReceived];

export function buildTestSchema() {
  const limits = configSchema.parse({}).limits;
  return buildExecutableSchema({ limits } as unknown as ApiServices, { sdl: TEST_SDL, operations: testOperations });
}
