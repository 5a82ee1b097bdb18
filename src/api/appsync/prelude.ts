/**
 * What AppSync provides implicitly and the schema file therefore must not declare: the auth and
 * subscription directives and the AWS scalars (declarations as in amplify-appsync-simulator).
 * Prepended to schema.graphql only when the embedded server builds its executable schema.
 */
export const APPSYNC_SCALARS = [
  'AWSDate',
  'AWSTime',
  'AWSDateTime',
  'AWSTimestamp',
  'AWSEmail',
  'AWSJSON',
  'AWSURL',
  'AWSPhone',
  'AWSIPAddress',
] as const;

export const APPSYNC_PRELUDE = `
directive @aws_api_key on FIELD_DEFINITION | OBJECT
directive @aws_iam on FIELD_DEFINITION | OBJECT
directive @aws_oidc on FIELD_DEFINITION | OBJECT
directive @aws_lambda on FIELD_DEFINITION | OBJECT
directive @aws_cognito_user_pools(cognito_groups: [String!]) on FIELD_DEFINITION | OBJECT
directive @aws_auth(cognito_groups: [String!]!) on FIELD_DEFINITION
directive @aws_subscribe(mutations: [String!]) on FIELD_DEFINITION
${APPSYNC_SCALARS.map((s) => `scalar ${s}`).join('\n')}
`;
