/**
 * The seed's AppSync API: src/api/schema.graphql unchanged, Cognito user pools as the default auth
 * mode and an API key as the additional one (public reads), field logging and X-Ray, and the
 * resolvers of ./resolvers.ts (one row per field) over their data sources:
 * - UsersTable, SocialTable: DynamoDB, read-only (the direct and pipeline reads);
 * - ApiResolver: the Lambda with the domain services (every field with business rules);
 * - None: field defaults computed in VTL.
 */
import { Duration, Expiration, Stack, Validations } from 'aws-cdk-lib';
import * as appsync from 'aws-cdk-lib/aws-appsync';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { configSchema, type Config } from '../../src/config/schema.ts';
import { MAX_USER_ID_LENGTH } from '../../src/domain/social/keys.ts';
import { PIPELINE_FUNCTIONS, RESOLVERS, type DataSourceId, type PipelineFunctionName } from './resolvers.ts';
import { USER_ID_PATTERN, renderTemplate, type TemplateConfig } from './templates.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('../../src/api/schema.graphql', import.meta.url));

/** AppSync's bounds on an API key's lifetime. */
export const API_KEY_MIN_DAYS = 1;
export const API_KEY_MAX_DAYS = 365;
/** One BatchGetItem reads at most 100 keys: a follow list page may not be longer. */
export const BATCH_GET_MAX_KEYS = 100;

const DEFAULT_API_KEY_DAYS = API_KEY_MAX_DAYS;
const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;
/** Construct id of CDK's per-stack log-retention function (aws-logs LogRetention's singleton). */
const LOG_RETENTION_ID = 'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a';

export type FieldLogLevel = 'ERROR' | 'ALL';

export interface BiiliveApiProps {
  userPool: cognito.IUserPool;
  /** Keyed by tableDefinitions id (users, social, chats, nicknames, system, points, rankings, photos). */
  tables: Record<string, dynamodb.ITable>;
  /** The function of src/lambda/api-resolver.ts. */
  apiResolver: lambda.IFunction;
  /** Default: src/api/schema.graphql. */
  schemaFile?: string;
  /** Default: BiiliveApi. */
  name?: string;
  /** Days the API key lives from synthesis (1..365); default: context `apiKeyExpiryDays`, else 365. */
  apiKeyExpiryDays?: number;
  /** Resolver log level; default: context `apiFieldLogLevel`, else ERROR. */
  fieldLogLevel?: FieldLogLevel;
  logRetention?: RetentionDays;
  /** Page limits the pipelines enforce; default: the config defaults (the resolver function's too). */
  limits?: Pick<Config['limits'], 'pageSizeDefault' | 'pageSizeMax'>;
}

/** The deployed GraphQL API; `apiKey` is the key's value (a token until deployed). */
export class BiiliveApi extends Construct {
  readonly api: appsync.GraphqlApi;
  readonly apiKey: string;

  constructor(scope: Construct, id: string, props: BiiliveApiProps) {
    super(scope, id);
    const apiKeyDays = props.apiKeyExpiryDays ?? numberContext(this, 'apiKeyExpiryDays') ?? DEFAULT_API_KEY_DAYS;
    if (!Number.isInteger(apiKeyDays) || apiKeyDays < API_KEY_MIN_DAYS || apiKeyDays > API_KEY_MAX_DAYS) {
      throw new Error(`apiKeyExpiryDays must be a whole number of days from ${API_KEY_MIN_DAYS} to ${API_KEY_MAX_DAYS}, got ${apiKeyDays}`);
    }
    const fieldLogLevel = props.fieldLogLevel ?? (this.node.tryGetContext('apiFieldLogLevel') as FieldLogLevel | undefined) ?? 'ERROR';
    if (fieldLogLevel !== 'ERROR' && fieldLogLevel !== 'ALL') throw new Error(`apiFieldLogLevel must be ERROR or ALL, got ${String(fieldLogLevel)}`);
    const limits = props.limits ?? configSchema.parse({}).limits;
    if (limits.pageSizeMax > BATCH_GET_MAX_KEYS) {
      throw new Error(`limits.pageSizeMax (${limits.pageSizeMax}) exceeds ${BATCH_GET_MAX_KEYS}, the keys of one BatchGetItem of profiles`);
    }
    const table = (key: string) => {
      const t = props.tables[key];
      if (!t) throw new Error(`BiiliveApi needs the '${key}' table`);
      return t;
    };

    this.api = new appsync.GraphqlApi(this, 'Api', {
      name: props.name ?? 'BiiliveApi',
      definition: appsync.Definition.fromSchema(appsync.SchemaFile.fromAsset(props.schemaFile ?? SCHEMA_FILE)),
      authorizationConfig: {
        defaultAuthorization: { authorizationType: appsync.AuthorizationType.USER_POOL, userPoolConfig: { userPool: props.userPool } },
        additionalAuthorizationModes: [
          {
            authorizationType: appsync.AuthorizationType.API_KEY,
            apiKeyConfig: {
              name: 'PublicReads',
              description: 'Public reads (fields with @aws_api_key)',
              expires: Expiration.after(Duration.days(apiKeyDays)),
            },
          },
        ],
      },
      logConfig: {
        fieldLogLevel: fieldLogLevel === 'ALL' ? appsync.FieldLogLevel.ALL : appsync.FieldLogLevel.ERROR,
        // Verbose content would log request headers (tokens) and whole payloads (chat messages).
        excludeVerboseContent: true,
        retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      },
      xrayEnabled: true,
    });
    this.apiKey = this.api.apiKey!;

    const sources: Record<DataSourceId, appsync.BaseDataSource> = {
      users: new appsync.DynamoDbDataSource(this, 'UsersTable', {
        api: this.api,
        name: 'UsersTable',
        description: 'BIILIVEDB-USERS: direct profile reads (GetItem, BatchGetItem)',
        table: table('users'),
        readOnlyAccess: true,
      }),
      social: new appsync.DynamoDbDataSource(this, 'SocialTable', {
        api: this.api,
        name: 'SocialTable',
        description: 'BIIHLIVE-SOCIAL-V2: follow edges (GetItem, Query, GSI1)',
        table: table('social'),
        readOnlyAccess: true,
      }),
      lambda: new appsync.LambdaDataSource(this, 'ApiResolverSource', {
        api: this.api,
        name: 'ApiResolver',
        description: 'Fields with business rules (src/lambda/api-resolver.ts)',
        lambdaFunction: props.apiResolver,
      }),
      none: new appsync.NoneDataSource(this, 'NoneSource', { api: this.api, name: 'None', description: 'Values computed in VTL' }),
    };

    const config: TemplateConfig = {
      usersTable: table('users').tableName,
      pageSizeDefault: limits.pageSizeDefault,
      pageSizeMax: limits.pageSizeMax,
      maxUserIdLength: MAX_USER_ID_LENGTH,
      userIdPattern: USER_ID_PATTERN,
    };
    const template = (file: string) => appsync.MappingTemplate.fromString(renderTemplate(file, config));

    const functions = new Map<PipelineFunctionName, appsync.AppsyncFunction>();
    for (const [name, fn] of Object.entries(PIPELINE_FUNCTIONS) as Array<[PipelineFunctionName, (typeof PIPELINE_FUNCTIONS)[PipelineFunctionName]]>) {
      functions.set(
        name,
        new appsync.AppsyncFunction(this, `Function${name}`, {
          api: this.api,
          name,
          dataSource: sources[fn.dataSource],
          requestMappingTemplate: template(fn.request),
          responseMappingTemplate: template(fn.response),
        }),
      );
    }

    for (const row of RESOLVERS) {
      const id = `${row.typeName}${row.fieldName[0].toUpperCase()}${row.fieldName.slice(1)}`;
      const common = {
        api: this.api,
        typeName: row.typeName,
        fieldName: row.fieldName,
        requestMappingTemplate: template(row.request),
        responseMappingTemplate: template(row.response),
      };
      if (row.kind === 'pipeline') {
        new appsync.Resolver(this, id, { ...common, pipelineConfig: row.functions.map((f) => functions.get(f)!) });
      } else {
        new appsync.Resolver(this, id, { ...common, dataSource: sources[row.dataSource] });
      }
    }

    this.acknowledgeNagFindings([table('users'), table('social')], props.apiResolver);
  }

  /**
   * cdk-nag (AwsSolutions) findings on this construct's resources, each acknowledged with its
   * reason. Findings name the resources they concern, so their ids are built from the props.
   */
  private acknowledgeNagFindings(tables: dynamodb.ITable[], apiResolver: lambda.IFunction): void {
    const v = Validations.of(this);
    v.acknowledge({
      id: 'AwsSolutions-ASC3',
      reason:
        'Request-level logging is on (CloudWatch role and field log level set); verbose content is excluded on purpose: it would log request headers (user tokens) and whole payloads (chat messages).',
    });
    v.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs]',
      reason: "AppSync's own managed policy for API logging (the role CDK creates for logConfig), limited to AppSync's log groups.",
    });
    for (const table of tables) {
      v.acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagRef(this, table.tableArn)}/index/*]`,
        reason: "The read-only data source may query the table's own indexes (GSI1, nickname-index): CDK's grant names them with index/*.",
      });
    }
    v.acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagRef(this, apiResolver.functionArn)}:*]`,
      reason: "The Lambda data source may invoke the resolver function's versions and aliases (CDK's grant), nothing else.",
    });
    // logConfig.retention is applied by CDK's log-retention function, one per stack.
    const logRetention = Stack.of(this).node.tryFindChild(LOG_RETENTION_ID);
    if (logRetention) {
      Validations.of(logRetention).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's log-retention function (sets the API log group's retention): the basic execution policy only writes its own logs.",
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: "CDK's log-retention function must set retention on log groups that do not exist yet (logs:PutRetentionPolicy, DeleteRetentionPolicy).",
        },
      );
    }
  }
}

/** How cdk-nag prints a reference in a finding id: `<LogicalId.Attribute>`, else the value itself. */
function nagRef(scope: Construct, value: string): string {
  const resolved: unknown = Stack.of(scope).resolve(value);
  const getAtt = (resolved as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt'];
  if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
  return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
}

function numberContext(scope: Construct, key: string): number | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (Number.isNaN(n)) throw new Error(`context ${key} must be a number, got ${String(value)}`);
  return n;
}
