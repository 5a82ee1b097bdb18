/**
 * THE resolver table of the AppSync API: one row per field that has a resolver. Every Query and
 * Mutation field of src/api/schema.graphql has exactly one row (test/infra/resolver-table.test.ts
 * checks it against the schema); Subscription fields have none (AppSync's @aws_subscribe).
 *
 * The seed's three kinds, and one more:
 * - dynamodb: one read of one table, no business rule (the seed's getUser GetItem, verbatim);
 * - pipeline: reads across tables (a follow list, then its users' profiles);
 * - lambda: everything with business rules, dispatched by field name to the same registered
 *   operations and domain services the embedded server runs (src/lambda/api-resolver.ts);
 * - none: field resolvers on a NONE data source for values the schema requires and a stored item
 *   may lack, so a direct read still answers what the embedded server answers.
 *
 * Template files are in ./vtl (VTL: the AppSync simulator used in the tests has no APPSYNC_JS).
 * docs/appsync-resolvers.md explains each row and where the deployed API differs from the embedded one.
 */

/** Data sources of the API (infra/api/api.ts builds them; table ids are tableDefinitions ids). */
export type DataSourceId = 'users' | 'social' | 'lambda' | 'none';

export type ResolverKind = 'dynamodb' | 'pipeline' | 'lambda' | 'none';

interface Templates {
  /** File under infra/api/vtl/. */
  request: string;
  response: string;
}

export interface UnitResolverRow extends Templates {
  typeName: string;
  fieldName: string;
  kind: 'dynamodb' | 'lambda' | 'none';
  dataSource: DataSourceId;
}

export interface PipelineResolverRow extends Templates {
  typeName: string;
  fieldName: string;
  kind: 'pipeline';
  /** Names of PIPELINE_FUNCTIONS, run in order between the request (before) and response (after) templates. */
  functions: readonly PipelineFunctionName[];
}

export type ResolverRow = UnitResolverRow | PipelineResolverRow;

export interface PipelineFunctionRow extends Templates {
  dataSource: Exclude<DataSourceId, 'lambda' | 'none'>;
}

/** AppSync functions (pipeline steps); the name is the function's name in AppSync. */
export const PIPELINE_FUNCTIONS = {
  QueryFollowers: { dataSource: 'social', request: 'queryFollowers.request.vtl', response: 'followIds.response.vtl' },
  QueryFollowing: { dataSource: 'social', request: 'queryFollowing.request.vtl', response: 'followIds.response.vtl' },
  BatchGetProfiles: { dataSource: 'users', request: 'batchGetProfiles.request.vtl', response: 'batchGetProfiles.response.vtl' },
} as const satisfies Record<string, PipelineFunctionRow>;

export type PipelineFunctionName = keyof typeof PIPELINE_FUNCTIONS;

const LAMBDA = { kind: 'lambda', dataSource: 'lambda', request: 'lambda.request.vtl', response: 'lambda.response.vtl' } as const;
const lambda = (typeName: 'Query' | 'Mutation', fieldName: string): UnitResolverRow => ({ typeName, fieldName, ...LAMBDA });

/**
 * Non-null User fields whose stored attribute may be missing (items written by older tools,
 * before every attribute existed): the defaults toProfile (src/domain/users/profile.ts) applies.
 */
export const USER_DEFAULTED_FIELDS = ['seguidores', 'siguiendo', 'puntos', 'nivel', 'isOnline', 'updatedAt'] as const;

export const RESOLVERS: readonly ResolverRow[] = [
  // profiles
  { typeName: 'Query', fieldName: 'getUser', kind: 'dynamodb', dataSource: 'users', request: 'getUser.request.vtl', response: 'item.response.vtl' },
  { typeName: 'Query', fieldName: 'me', kind: 'dynamodb', dataSource: 'users', request: 'me.request.vtl', response: 'item.response.vtl' },
  // Two reads (the nickname claim, then the profile) with the nickname rules in front: the same
  // code as the embedded server, rather than the rules again in VTL.
  lambda('Query', 'getUserByNickname'),
  // Prefix rules, page limits and the scoped nextToken of the embedded server.
  lambda('Query', 'searchUsers'),
  lambda('Mutation', 'updateProfile'),
  // social
  { typeName: 'Query', fieldName: 'isFollowing', kind: 'dynamodb', dataSource: 'social', request: 'isFollowing.request.vtl', response: 'isFollowing.response.vtl' },
  {
    typeName: 'Query',
    fieldName: 'listFollowers',
    kind: 'pipeline',
    functions: ['QueryFollowers', 'BatchGetProfiles'],
    request: 'followList.before.vtl',
    response: 'userConnection.after.vtl',
  },
  {
    typeName: 'Query',
    fieldName: 'listFollowing',
    kind: 'pipeline',
    functions: ['QueryFollowing', 'BatchGetProfiles'],
    request: 'followList.before.vtl',
    response: 'userConnection.after.vtl',
  },
  lambda('Mutation', 'followUser'),
  lambda('Mutation', 'unfollowUser'),
  // chat: conversation ids derived from the caller, read marks, derived readStatus
  lambda('Mutation', 'sendMessage'),
  lambda('Query', 'listMessages'),
  lambda('Query', 'listConversations'),
  lambda('Mutation', 'markConversationRead'),
  // points, rankings
  lambda('Mutation', 'awardPoints'),
  lambda('Query', 'getRankings'),
  lambda('Query', 'myRank'),
  // media: presigned URLs and CDN URLs need the function's media configuration
  lambda('Mutation', 'requestUpload'),
  lambda('Query', 'listPhotos'),
  lambda('Mutation', 'deletePhoto'),
  // real time
  lambda('Mutation', 'heartbeat'),
  // field defaults of direct reads
  ...USER_DEFAULTED_FIELDS.map(
    (fieldName): UnitResolverRow => ({ typeName: 'User', fieldName, kind: 'none', dataSource: 'none', request: 'none.request.vtl', response: 'userDefault.response.vtl' }),
  ),
];

/** Every template file the table names (resolvers and functions). */
export function templateFiles(): string[] {
  const rows: Templates[] = [...RESOLVERS, ...Object.values(PIPELINE_FUNCTIONS)];
  return [...new Set(rows.flatMap((r) => [r.request, r.response]))].sort();
}
