/**
 * Outputs: what an app and the management commands need, written by
 * `npx cdk deploy --outputs-file cdk-outputs.json` and turned into the Amplify configuration by
 * `npx biilive outputs`. Plain CfnOutputs, no exports: nothing else may come to depend on them.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type * as appsync from 'aws-cdk-lib/aws-appsync';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Output ids (the keys of cdk-outputs.json); src/cli/commands/outputs.ts reads the same names. */
export const OUTPUT_IDS = [
  'GraphqlApiId',
  'GraphqlUrl',
  'RealtimeUrl',
  'ApiKey',
  'UserPoolId',
  'UserPoolClientId',
  'IdentityPoolId',
  'Region',
  'MediaBucket',
  'DistributionId',
  'DistributionDomain',
] as const;
export type OutputId = (typeof OUTPUT_IDS)[number];

export interface OutputsProps {
  api: appsync.GraphqlApi;
  apiKey: string;
  userPool: cognito.IUserPool;
  client: cognito.IUserPoolClient;
  identityPool: cognito.CfnIdentityPool;
  bucket: s3.IBucket;
  distribution: cloudfront.IDistribution;
}

export class Outputs extends Construct {
  constructor(scope: Construct, id: string, props: OutputsProps) {
    super(scope, id);
    const cfnApi = props.api.node.defaultChild as appsync.CfnGraphQLApi;
    const values: Record<OutputId, [string, string]> = {
      GraphqlApiId: [props.api.apiId, 'AppSync API id (biilive schema push --api-id)'],
      GraphqlUrl: [props.api.graphqlUrl, 'AppSync GraphQL endpoint'],
      RealtimeUrl: [cfnApi.attrRealtimeUrl, 'AppSync real-time (WebSocket) endpoint'],
      ApiKey: [props.apiKey, 'API key for public reads (x-api-key)'],
      UserPoolId: [props.userPool.userPoolId, 'Cognito user pool id'],
      UserPoolClientId: [props.client.userPoolClientId, 'Cognito app client id (no secret)'],
      IdentityPoolId: [props.identityPool.ref, 'Cognito identity pool id (uploads under the user own prefixes)'],
      Region: [Stack.of(this).region, 'Region of every endpoint'],
      MediaBucket: [props.bucket.bucketName, 'S3 media bucket'],
      DistributionId: [props.distribution.distributionId, 'CloudFront distribution id (biilive cdn invalidate)'],
      DistributionDomain: [props.distribution.distributionDomainName, 'CloudFront domain of the media URLs'],
    };
    for (const outputId of OUTPUT_IDS) {
      const [value, description] = values[outputId];
      // Defined on the stack, so the id in cdk-outputs.json is exactly the name above.
      new CfnOutput(Stack.of(this), outputId, { value, description });
    }
  }
}
