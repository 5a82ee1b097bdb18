/**
 * The deployed AppSync API, run locally: the schema, data sources, functions, resolvers and
 * mapping templates are taken out of the SYNTHESIZED CloudFormation template (not from infra/
 * sources) and loaded into `amplify-appsync-simulator`, which evaluates VTL unit and pipeline
 * resolvers, enforces the schema's auth directives and serves GraphQL over HTTP:
 * - DynamoDB data sources point at DynamoDB Local, on the tables `db init` made (a table prefix
 *   keeps them apart from other users of the same DynamoDB Local);
 * - the Lambda data source calls a function given by the test (the bundled resolver);
 * - intrinsic functions in the template (Ref to a table, Fn::GetAtt of a name, Fn::Join) are
 *   resolved the way CloudFormation would, for the few forms an AppSync API uses.
 *
 * What the simulator adds that AppSync has and it lacks: BatchGetItem (its DynamoDB loader
 * implements neither batch operation; the loader below adds BatchGetItem with AppSync's result
 * shape: `data.<table>` in the keys' order, null for a missing item, and `unprocessedKeys`).
 */
import Module, { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { dirname, join, sep } from 'node:path';
import { BatchGetItemCommand, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  AmplifyAppSyncAuthenticationProviderConfig,
  AppSyncSimulatorDataSourceConfig,
  AppSyncSimulatorFunctionsConfig,
  AppSyncSimulatorPipelineResolverConfig,
  AppSyncSimulatorUnitResolverConfig,
} from 'amplify-appsync-simulator';
import type { DynamoDBDataLoader as SimulatorDynamoDBLoader } from 'amplify-appsync-simulator/lib/data-loader/dynamo-db/index.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, assertLocalEndpoint } from './dynamodb-local.ts';
import { synthesized } from './cdk-template.ts';
import { lambdaBundle, type LambdaName } from './lambda-bundles.ts';
import { startLambdaHost, type LambdaHost } from './lambda-host.ts';

// ---- the synthesized template ---------------------------------------------------------------

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** The AppSync API of a template, its parts named as AppSync names them. */
export interface DeployedApi {
  schema: string;
  defaultAuth: string;
  additionalAuth: string[];
  /** By data source name. */
  dataSources: Map<string, { type: string; tableName?: string; functionLogicalId?: string }>;
  functions: Array<{ name: string; dataSourceName: string; request: string; response: string }>;
  resolvers: Array<
    { typeName: string; fieldName: string; request: string; response: string } & (
      | { kind: 'UNIT'; dataSourceName: string }
      | { kind: 'PIPELINE'; functions: string[] }
    )
  >;
}

const only = (template: CfnTemplate, type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/**
 * Reads the one GraphQL API of `template`. Table names become `tablePrefix + TableName`, as the
 * test's `db init` created them.
 */
export function deployedApi(template: CfnTemplate, tablePrefix = ''): DeployedApi {
  const apis = only(template, 'AWS::AppSync::GraphQLApi');
  if (apis.length !== 1) throw new Error(`expected one AWS::AppSync::GraphQLApi in the template, found ${apis.length}`);
  const api = apis[0][1].Properties!;
  const resolve = intrinsics(template, tablePrefix);

  const schemas = only(template, 'AWS::AppSync::GraphQLSchema');
  const definition = schemas[0]?.[1].Properties?.Definition;
  if (schemas.length !== 1 || typeof definition !== 'string') throw new Error('expected one AWS::AppSync::GraphQLSchema with an inline Definition');

  const dataSources: DeployedApi['dataSources'] = new Map();
  for (const [, r] of only(template, 'AWS::AppSync::DataSource')) {
    const p = r.Properties!;
    const dynamo = p.DynamoDBConfig as { TableName: unknown } | undefined;
    const lambda = p.LambdaConfig as { LambdaFunctionArn: { 'Fn::GetAtt'?: [string, string] } } | undefined;
    dataSources.set(String(p.Name), {
      type: String(p.Type),
      tableName: dynamo ? resolve(dynamo.TableName) : undefined,
      functionLogicalId: lambda?.LambdaFunctionArn['Fn::GetAtt']?.[0],
    });
  }
  const functions = only(template, 'AWS::AppSync::FunctionConfiguration').map(([, r]) => ({
    name: String(r.Properties!.Name),
    dataSourceName: resolve(r.Properties!.DataSourceName),
    request: resolve(r.Properties!.RequestMappingTemplate),
    response: resolve(r.Properties!.ResponseMappingTemplate),
  }));
  const resolvers = only(template, 'AWS::AppSync::Resolver').map(([, r]): DeployedApi['resolvers'][number] => {
    const p = r.Properties!;
    const common = {
      typeName: String(p.TypeName),
      fieldName: String(p.FieldName),
      request: resolve(p.RequestMappingTemplate),
      response: resolve(p.ResponseMappingTemplate),
    };
    if (p.Kind === 'PIPELINE') {
      const fns = (p.PipelineConfig as { Functions: unknown[] }).Functions;
      return { ...common, kind: 'PIPELINE', functions: fns.map((f) => resolve(f)) };
    }
    return { ...common, kind: 'UNIT', dataSourceName: resolve(p.DataSourceName) };
  });
  const additional = (api.AdditionalAuthenticationProviders as Array<{ AuthenticationType: string }> | undefined) ?? [];
  return {
    schema: definition,
    defaultAuth: String(api.AuthenticationType),
    additionalAuth: additional.map((a) => a.AuthenticationType),
    dataSources,
    functions,
    resolvers,
  };
}

/**
 * CloudFormation's intrinsic functions, for what an AppSync API's resources use: Ref of a table
 * (its TableName), Fn::GetAtt Name of a data source or function, FunctionId of a function (the
 * simulator names functions by name), Fn::Join.
 */
function intrinsics(template: CfnTemplate, tablePrefix: string) {
  const resource = (id: string) => {
    const r = template.Resources[id];
    if (!r) throw new Error(`template references ${id}, which it does not define`);
    return r;
  };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    const v = value as Record<string, unknown>;
    if (typeof v?.Ref === 'string') {
      const r = resource(v.Ref);
      if (r.Type === 'AWS::DynamoDB::Table' && typeof r.Properties?.TableName === 'string') return tablePrefix + r.Properties.TableName;
      throw new Error(`cannot resolve Ref ${v.Ref} (${r.Type})`);
    }
    const getAtt = v?.['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt) {
      const r = resource(getAtt[0]);
      if (getAtt[1] === 'Name' || (getAtt[1] === 'FunctionId' && r.Type === 'AWS::AppSync::FunctionConfiguration')) return String(r.Properties!.Name);
      throw new Error(`cannot resolve Fn::GetAtt ${getAtt.join('.')}`);
    }
    const join = v?.['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(resolve).join(join[0]);
    throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 200)}`);
  };
  return resolve;
}

// ---- BatchGetItem for the simulator's DynamoDB data sources ----------------------------------

interface LoaderConfig {
  config: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; tableName: string };
}

interface BatchGetRequest {
  operation: 'BatchGetItem';
  tables: Record<string, { keys: Array<Record<string, AttributeValue>>; consistentRead?: boolean }>;
}

/** The simulator's DynamoDB loader plus BatchGetItem, answered in AppSync's shape. */
function batchGetLoader(Base: typeof SimulatorDynamoDBLoader) {
  return class BatchGetDynamoDBLoader extends Base {
    private readonly batchClient: DynamoDBClient;

    constructor(ddbConfig: LoaderConfig) {
      super(ddbConfig as unknown as ConstructorParameters<typeof SimulatorDynamoDBLoader>[0]);
      const c = ddbConfig.config;
      this.batchClient = new DynamoDBClient({
        endpoint: c.endpoint,
        region: c.region,
        credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
      });
    }

    override async load(payload: { operation?: string }): Promise<object | null> {
      if (payload.operation !== 'BatchGetItem') return super.load(payload);
      const request = payload as BatchGetRequest;
      const out = await this.batchClient.send(
        new BatchGetItemCommand({
          RequestItems: Object.fromEntries(
            Object.entries(request.tables).map(([table, t]) => [table, { Keys: t.keys, ConsistentRead: t.consistentRead ?? false }]),
          ),
        }),
      );
      const data: Record<string, Array<Record<string, unknown> | null>> = {};
      const unprocessedKeys: Record<string, unknown[]> = {};
      for (const [table, t] of Object.entries(request.tables)) {
        const found = (out.Responses?.[table] ?? []).map((item) => unmarshall(item));
        const keyNames = Object.keys(t.keys[0] ?? {});
        const keyOf = (item: Record<string, unknown>) => JSON.stringify(keyNames.map((k) => item[k]));
        const byKey = new Map(found.map((item) => [keyOf(item), item]));
        data[table] = t.keys.map((k) => byKey.get(keyOf(unmarshall(k))) ?? null);
        unprocessedKeys[table] = out.UnprocessedKeys?.[table]?.Keys ?? [];
      }
      return { data, unprocessedKeys };
    }
  };
}

// ---- loading the simulator -------------------------------------------------------------------

const simulatorRequire = createRequire(createRequire(import.meta.url).resolve('amplify-appsync-simulator/package.json'));

/**
 * npm hoists the simulator's @graphql-tools next to this project's graphql 16, while the simulator
 * executes with its own graphql 14: graphql refuses a schema built by the other copy ("from
 * another module or realm"). @graphql-tools serves only the simulator here, so its `graphql` is
 * resolved to the simulator's copy, before the simulator is first loaded.
 */
function resolveGraphqlForSimulator(): void {
  const M = Module as unknown as { _resolveFilename(request: string, parent: { filename?: string } | undefined, ...rest: unknown[]): string };
  const original = M._resolveFilename;
  M._resolveFilename = function (request, parent, ...rest) {
    if ((request === 'graphql' || request.startsWith('graphql/')) && parent?.filename?.includes(`${sep}@graphql-tools${sep}`)) {
      return simulatorRequire.resolve(request);
    }
    return original.call(this, request, parent, ...rest);
  };
}

let loaded: Promise<{ simulator: typeof import('amplify-appsync-simulator'); DynamoDBLoader: typeof SimulatorDynamoDBLoader }> | undefined;

/** The simulator's modules, loaded once per process. */
export function loadSimulator() {
  loaded ??= (async () => {
    resolveGraphqlForSimulator();
    // Its DynamoDB loader is on the AWS SDK v2, which announces its end of support on load.
    process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';
    const simulator = await import('amplify-appsync-simulator');
    const { DynamoDBDataLoader } = await import('amplify-appsync-simulator/lib/data-loader/dynamo-db/index.js');
    return { simulator, DynamoDBLoader: DynamoDBDataLoader };
  })();
  return loaded;
}

// ---- the simulator ---------------------------------------------------------------------------

export interface SimulatorOptions {
  template: CfnTemplate;
  /** DynamoDB Local's endpoint (loopback only). */
  dynamodbEndpoint: string;
  /** Prefix of the physical table names (as `db init` was given). */
  tablePrefix?: string;
  /** The Lambda data source's function: called with the request template's payload. */
  invoke(functionLogicalId: string, payload: unknown): Promise<unknown>;
}

export interface RunningSimulator {
  /** POST GraphQL here. */
  url: string;
  /** The realtime endpoint (the simulator's AppSync WebSocket protocol, same port). */
  realtimeUrl: string;
  apiKey: string;
  api: DeployedApi;
  stop(): Promise<void>;
}

function authProvider(type: string): AmplifyAppSyncAuthenticationProviderConfig {
  if (type === 'AMAZON_COGNITO_USER_POOLS') return { authenticationType: type, cognitoUserPoolConfig: {} } as AmplifyAppSyncAuthenticationProviderConfig;
  if (type === 'API_KEY') return { authenticationType: type } as AmplifyAppSyncAuthenticationProviderConfig;
  throw new Error(`auth type ${type} is not emulated here`);
}

/** A free TCP port on the loopback interface. */
async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => ok(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts the simulator with the template's API; call once per test file. */
export async function startAppSyncSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  assertLocalEndpoint(options.dynamodbEndpoint);
  const { simulator: sim, DynamoDBLoader } = await loadSimulator();
  const api = deployedApi(options.template, options.tablePrefix ?? '');
  const apiKey = `da2-${randomBytes(13).toString('hex')}`;

  const dataSources: AppSyncSimulatorDataSourceConfig[] = [...api.dataSources].map(([name, ds]) => {
    if (ds.type === 'AMAZON_DYNAMODB') {
      return {
        name,
        type: 'AMAZON_DYNAMODB',
        config: {
          endpoint: options.dynamodbEndpoint,
          region: LOCAL_REGION,
          accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
          secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
          tableName: ds.tableName!,
        },
      };
    }
    if (ds.type === 'AWS_LAMBDA') {
      const id = ds.functionLogicalId!;
      return { name, type: 'AWS_LAMBDA', invoke: (payload: unknown) => options.invoke(id, payload) };
    }
    if (ds.type === 'NONE') return { name, type: 'NONE' };
    throw new Error(`data source ${name}: type ${ds.type} is not emulated here`);
  });

  // Templates are handed over inline (as deployed); the simulator parses each one here.
  const functions: AppSyncSimulatorFunctionsConfig[] = [];
  const mappingTemplates: Array<{ path: string; content: string }> = [];
  for (const fn of api.functions) {
    mappingTemplates.push({ path: `functions/${fn.name}.request.vtl`, content: fn.request });
    mappingTemplates.push({ path: `functions/${fn.name}.response.vtl`, content: fn.response });
    functions.push({
      name: fn.name,
      dataSourceName: fn.dataSourceName,
      requestMappingTemplateLocation: `functions/${fn.name}.request.vtl`,
      responseMappingTemplateLocation: `functions/${fn.name}.response.vtl`,
    });
  }
  const resolvers = api.resolvers.map((r): AppSyncSimulatorUnitResolverConfig | AppSyncSimulatorPipelineResolverConfig => {
    const templates = { requestMappingTemplate: r.request, responseMappingTemplate: r.response };
    return r.kind === 'PIPELINE'
      ? { kind: sim.RESOLVER_KIND.PIPELINE, typeName: r.typeName, fieldName: r.fieldName, functions: r.functions, ...templates }
      : { kind: sim.RESOLVER_KIND.UNIT, typeName: r.typeName, fieldName: r.fieldName, dataSourceName: r.dataSourceName, ...templates };
  });

  sim.removeDataLoader('AMAZON_DYNAMODB' as never);
  sim.addDataLoader('AMAZON_DYNAMODB' as never, batchGetLoader(DynamoDBLoader) as never);

  const port = await freePort();
  const simulator = new sim.AmplifyAppSyncSimulator({ port, wsPort: await freePort() });
  simulator.init({
    schema: { path: 'schema.graphql', content: api.schema },
    dataSources,
    functions,
    resolvers,
    mappingTemplates,
    appSync: {
      name: 'BiiliveApi',
      apiKey,
      defaultAuthenticationType: authProvider(api.defaultAuth),
      additionalAuthenticationProviders: api.additionalAuth.map(authProvider),
    },
  });
  await simulator.start();
  pingOncePerConnection(simulator);
  return {
    // The simulator listens on every interface and reports the machine's address; tests use loopback.
    url: `http://127.0.0.1:${port}/graphql`,
    realtimeUrl: `ws://127.0.0.1:${port}/graphql`,
    apiKey,
    api,
    async stop() {
      simulator.stop();
      sim.removeDataLoader('AMAZON_DYNAMODB' as never);
      sim.addDataLoader('AMAZON_DYNAMODB' as never, DynamoDBLoader as never);
    },
  };
}

/**
 * The simulator's real-time server starts its keep-alive interval twice per connection_init and
 * clears one when the socket closes: the other keeps the process alive for ever. One per
 * connection, as intended.
 */
function pingOncePerConnection(simulator: object): void {
  type Connection = { pingIntervalHandle?: unknown };
  const server = (simulator as { _server?: { _realTimeSubscriptionServer?: { realtimeServer?: { setupPing(c: Connection): void } } } })._server
    ?._realTimeSubscriptionServer?.realtimeServer;
  if (!server) throw new Error('amplify-appsync-simulator changed: no real-time server where 2.4.1 has it');
  const setupPing = server.setupPing;
  server.setupPing = (connection) => {
    if (!connection.pingIntervalHandle) setupPing(connection);
  };
}

// ---- Cognito tokens as the simulator reads them ------------------------------------------------

export interface TokenClaims {
  sub: string;
  username: string;
  groups?: string[];
  /** Default: a pool in LOCAL_REGION. */
  issuer?: string;
}

/**
 * An access token shaped like Cognito's (what Amplify v6 sends). Unsigned: the simulator decodes
 * tokens without verifying them and takes the mode from `iss` starting `https://cognito-idp.`.
 */
export function cognitoAccessToken(claims: TokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: claims.sub,
    iss: claims.issuer ?? `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${LOCAL_REGION}_TestPool1`,
    client_id: 'testclient0000000000000000',
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: now,
    iat: now,
    exp: now + 3600,
    jti: randomBytes(8).toString('hex'),
    username: claims.username,
    ...(claims.groups?.length ? { 'cognito:groups': claims.groups } : {}),
  };
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'test' })}.${part(payload)}.${Buffer.from('unsigned').toString('base64url')}`;
}

// ---- the deployed functions -------------------------------------------------------------------

export interface DeployedStack {
  template: CfnTemplate;
  /** The cloud assembly: its asset dirs hold the function bundles. */
  cdkOut: string;
}

/** The app as synthesized once for this test run (test/support/cdk-template.ts). */
export async function deployedStack(): Promise<DeployedStack> {
  const { template, cdkOut } = await synthesized();
  return { template: template as CfnTemplate, cdkOut };
}

/** The functions the scenarios need, by their infra/ key. */
export type FunctionKey = 'apiResolver' | 'postConfirmation' | 'updateUserCounters' | 'calculateRankings';

const ENTRIES: Record<FunctionKey, LambdaName> = {
  apiResolver: 'api-resolver',
  postConfirmation: 'post-confirmation',
  updateUserCounters: 'update-user-counters',
  calculateRankings: 'calculate-rankings',
};

export interface LambdaFunctions {
  invoke(key: FunctionKey, event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export interface LocalPeers {
  dynamodbEndpoint: string;
  tablePrefix: string;
  region: string;
  /** An S3-API server (s3rver) with the media bucket made. */
  s3: { endpoint: string; bucket: string; credentials: { accessKeyId: string; secretAccessKey: string } };
}

/**
 * A function's environment: what the template sets (table names, store, media store, production),
 * with the peers swapped for local ones (DynamoDB Local, s3rver) and a CDN base URL. One set of
 * keys for both peers: DynamoDB Local accepts any, s3rver only its own.
 */
function functionEnv(stack: DeployedStack, bundle: string, peers: LocalPeers): Record<string, string> {
  const fn = Object.values(stack.template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && typeof r.Metadata?.['aws:asset:path'] === 'string' && join(stack.cdkOut, r.Metadata['aws:asset:path']) === dirname(bundle),
  );
  if (!fn) throw new Error(`no function in the template has the asset of ${bundle}`);
  const fromTemplate: Record<string, string> = {};
  const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  for (const [name, value] of Object.entries(variables)) {
    const ref = (value as { Ref?: string })?.Ref;
    const table = ref ? stack.template.Resources[ref] : undefined;
    if (typeof value === 'string') fromTemplate[name] = value;
    else if (table?.Type === 'AWS::DynamoDB::Table') fromTemplate[name] = String(table.Properties!.TableName);
  }
  return {
    ...fromTemplate,
    BIILIVE_REGION: peers.region,
    BIILIVE_DYNAMODB_ENDPOINT: peers.dynamodbEndpoint,
    BIILIVE_DYNAMODB_TABLE_PREFIX: peers.tablePrefix,
    BIILIVE_MEDIA_BUCKET: peers.s3.bucket,
    BIILIVE_MEDIA_S3_ENDPOINT: peers.s3.endpoint,
    BIILIVE_MEDIA_S3_FORCE_PATH_STYLE: 'true',
    BIILIVE_MEDIA_CDN_BASE_URL: 'https://cdn.simulator.test',
    BIILIVE_LOG_LEVEL: 'silent',
    AWS_REGION: peers.region,
    AWS_ACCESS_KEY_ID: peers.s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: peers.s3.credentials.secretAccessKey,
  };
}

/**
 * The deployed functions, run locally: each esbuild bundle of cdk.out in its own warm
 * "container", a child process under the Lambda runtime's Node (test/support/lambda-host.ts),
 * started at its first event.
 */
export function deployedFunctions(stack: DeployedStack, peers: LocalPeers): LambdaFunctions {
  assertLocalEndpoint(peers.dynamodbEndpoint);
  assertLocalEndpoint(peers.s3.endpoint);
  const hosts = new Map<FunctionKey, Promise<LambdaHost>>();
  const host = (key: FunctionKey) => {
    let h = hosts.get(key);
    if (!h) {
      h = lambdaBundle(ENTRIES[key]).then((bundle) => startLambdaHost(bundle, functionEnv(stack, bundle, peers)));
      hosts.set(key, h);
    }
    return h;
  };
  return {
    invoke: async (key, event) => (await host(key)).invoke(event),
    stop: async () => {
      await Promise.all([...hosts.values()].map(async (h) => (await h.catch(() => undefined))?.stop()));
    },
  };
}
