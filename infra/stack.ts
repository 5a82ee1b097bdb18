/**
 * BiiliveStack: the seed's architecture in one stack, one construct per seed section
 * (tables, media, functions and their triggers, identity, API, monitoring) plus the outputs.
 * Every name and setting comes from the resolved context (./context.ts).
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BiiliveApi } from './api/api.ts';
import type { BiiliveContext } from './context.ts';
import { Functions } from './constructs/functions.ts';
import { Identity } from './constructs/identity.ts';
import { Media } from './constructs/media.ts';
import { bucketDimensions, Monitoring, type Monitored } from './constructs/monitoring.ts';
import { suppressStackFindings } from './nag.ts';
import { Outputs } from './constructs/outputs.ts';
import { Tables } from './constructs/tables.ts';
import { Triggers } from './constructs/triggers.ts';
import { eventBridgeCron } from './schedule.ts';

export const STACK_NAME = 'BiiliveStack';

export interface BiiliveStackProps extends StackProps {
  context: BiiliveContext;
}

export class BiiliveStack extends Stack {
  readonly tables: Tables;
  readonly media: Media;
  readonly functions: Functions;
  readonly triggers: Triggers;
  readonly identity: Identity;
  readonly api: BiiliveApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: BiiliveStackProps) {
    super(scope, id, { description: 'BiiLive backend (AppSync, DynamoDB, S3/CloudFront, Cognito, Lambda)', ...props });
    const ctx = props.context;
    const logRetention = retentionOf(ctx.logRetentionDays);

    this.tables = new Tables(this, 'Tables', { names: ctx.tables });
    this.media = new Media(this, 'Media', { bucketName: ctx.bucket, corsOrigins: ctx.corsOrigins });
    this.functions = new Functions(this, 'Functions', {
      tables: this.tables,
      bucket: this.media.bucket,
      cdnBaseUrl: this.media.cdnBaseUrl,
      distribution: this.media.distribution,
      logRetention,
    });
    this.triggers = new Triggers(this, 'Triggers', {
      functions: this.functions,
      socialTable: this.tables.get('social'),
      bucket: this.media.bucket,
      rankingsSchedule: eventBridgeCron(ctx.rankingsCron),
    });
    this.identity = new Identity(this, 'Identity', {
      tokens: ctx.tokens,
      passwordMinLength: ctx.passwordMinLength,
      postConfirmation: this.functions.postConfirmation,
      bucket: this.media.bucket,
    });
    this.api = new BiiliveApi(this, 'Api', {
      userPool: this.identity.userPool,
      tables: { ...this.tables.byId },
      apiResolver: this.functions.apiResolver,
      logRetention,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmEmail: ctx.alarmEmail,
      resources: {
        api: [{ name: 'Api', dimensions: { GraphQLAPIId: this.api.api.apiId } }],
        table: this.tables.definitions.map((d) => ({
          name: d.name,
          dimensions: { TableName: d.name },
          indexes: (d.indexes ?? []).map((i) => i.name),
        })),
        function: Object.values(this.functions.all).map((fn) => ({
          name: fn.node.id,
          dimensions: { FunctionName: fn.functionName },
        })),
        bucket: [{ name: ctx.bucket, dimensions: bucketDimensions(ctx.bucket) }],
        queue: [{ name: 'CountersDeadLetters', dimensions: { QueueName: this.triggers.countersDeadLetters.queueName } }],
      } satisfies Record<string, Monitored[]>,
    });

    new Outputs(this, 'Outputs', {
      api: this.api.api,
      apiKey: this.api.apiKey,
      userPool: this.identity.userPool,
      client: this.identity.client,
      identityPool: this.identity.identityPool,
      bucket: this.media.bucket,
      distribution: this.media.distribution,
    });

    suppressStackFindings(this);
  }
}

/** CloudWatch Logs accepts only some retention periods (1, 3, 5, 7, 14, 30, 60, 90, ... days). */
function retentionOf(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) throw new Error(`logRetentionDays must be one of ${allowed.filter((d) => d > 0).join(', ')}; got ${days}`);
  return days as logs.RetentionDays;
}
