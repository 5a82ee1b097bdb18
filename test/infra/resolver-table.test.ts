/**
 * The resolver table (infra/api/resolvers.ts) against the schema and against what is deployed:
 * every Query and Mutation field has exactly one resolver, no resolver names a field that does not
 * exist, every template file exists and parses in the AppSync simulator's VTL engine (as written
 * and as deployed), and the synthesized API has exactly the table's resolvers. Plus the behaviour
 * of the templates the scenarios cannot reach (a function that throws).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { buildSchema, isObjectType, type GraphQLSchema } from 'graphql';
import { SCHEMA_FILE } from '../../infra/api/api.ts';
import { PIPELINE_FUNCTIONS, RESOLVERS, templateFiles, type ResolverRow } from '../../infra/api/resolvers.ts';
import { USER_ID_PATTERN, VTL_DIR, readTemplate, renderTemplate, usesConfig } from '../../infra/api/templates.ts';
import { APPSYNC_PRELUDE } from '../../src/api/appsync/prelude.ts';
import { schemaSource } from '../../src/api/executable-schema.ts';
import { App, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { API_KEY_MAX_DAYS, BiiliveApi, type BiiliveApiProps } from '../../infra/api/api.ts';
import { configSchema } from '../../src/config/schema.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { deployedApi, loadSimulator, type CfnTemplate, type DeployedApi } from '../support/appsync-simulator.ts';

const CONFIG = { usersTable: 'BIILIVEDB-USERS', pageSizeDefault: 20, pageSizeMax: 100, maxUserIdLength: 256, userIdPattern: USER_ID_PATTERN };
const key = (r: { typeName: string; fieldName: string }) => `${r.typeName}.${r.fieldName}`;

let schema: GraphQLSchema;
let simulator: Awaited<ReturnType<typeof loadSimulator>>['simulator'];
before(async () => {
  schema = buildSchema(APPSYNC_PRELUDE + schemaSource());
  ({ simulator } = await loadSimulator());
});

/** A template parsed by the simulator's VTL engine (its constructor parses; a syntax error throws). */
function parse(content: string, path: string) {
  const context = { appSyncConfig: { defaultAuthenticationType: { authenticationType: 'AMAZON_COGNITO_USER_POOLS' } } };
  return new simulator.VelocityTemplate({ path, content }, context as never);
}

/**
 * A stack of just the API construct, over stand-in tables (the same definitions), pool and
 * function: what the construct synthesizes, in seconds, without bundling the functions.
 */
function synthesizeApiOnly(props: Partial<BiiliveApiProps> = {}): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'ApiOnly', { env: { account: '000000000000', region: 'eu-west-3' } });
  const tables: Record<string, dynamodb.ITable> = {};
  const key = (k: { name: string }) => ({ name: k.name, type: dynamodb.AttributeType.STRING });
  for (const def of tableDefinitions(configSchema.parse({}).tables)) {
    const table = new dynamodb.Table(stack, def.id, { tableName: def.name, partitionKey: key(def.partitionKey), sortKey: def.sortKey && key(def.sortKey) });
    for (const ix of def.indexes ?? []) table.addGlobalSecondaryIndex({ indexName: ix.name, partitionKey: key(ix.partitionKey), sortKey: ix.sortKey && key(ix.sortKey) });
    tables[def.id] = table;
  }
  const fn = new lambda.Function(stack, 'ApiResolver', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  new BiiliveApi(stack, 'Api', { userPool: new cognito.UserPool(stack, 'Pool'), tables, apiResolver: fn, ...props });
  return app.synth().getStackByName('ApiOnly').template as CfnTemplate;
}

/** A template error as the simulator puts it on the wire (message, errorType, errorInfo). */
const wire = (e: unknown) => {
  const x = JSON.parse(JSON.stringify((e as { extensions: object }).extensions)) as { message: string; errorType: string; errorInfo: unknown };
  return [x.message, x.errorType, x.errorInfo];
};

/** Renders a template as the simulator does for a field of Mutation (no request behind it). */
function render(content: string, values: { source?: object; arguments?: object; result?: unknown; error?: object }, fieldName = 'followUser') {
  const info = { fieldName, fieldNodes: [], path: { key: fieldName }, parentType: 'Mutation', variableValues: {} };
  return parse(content, 'test.vtl').render(
    { arguments: {}, stash: {}, ...values } as never,
    { requestAuthorizationMode: 'AMAZON_COGNITO_USER_POOLS', appsyncErrors: [] } as never,
    info as never,
  );
}

describe('the resolver table against the schema', () => {
  test('the schema file the API deploys is the one the embedded server runs', () => {
    assert.equal(SCHEMA_FILE, new URL('../../src/api/schema.graphql', import.meta.url).pathname);
  });

  test('every Query and Mutation field has exactly one resolver', () => {
    for (const root of [schema.getQueryType()!, schema.getMutationType()!]) {
      for (const field of Object.keys(root.getFields())) {
        const rows = RESOLVERS.filter((r) => r.typeName === root.name && r.fieldName === field);
        assert.equal(rows.length, 1, `${root.name}.${field}: ${rows.length} resolvers`);
      }
    }
  });

  test('no resolver for a field that does not exist, none for a subscription, no field twice', () => {
    const seen = new Set<string>();
    for (const row of RESOLVERS) {
      const type = schema.getType(row.typeName);
      assert.ok(isObjectType(type) && type.getFields()[row.fieldName], `${key(row)} is not a field of the schema`);
      assert.notEqual(row.typeName, schema.getSubscriptionType()?.name, `${key(row)}: subscriptions are AppSync's (@aws_subscribe)`);
      assert.ok(!seen.has(key(row)), `${key(row)} twice`);
      seen.add(key(row));
    }
  });

  test("each kind uses its kind of data source; pipelines name existing functions, and every function is used", () => {
    const used = new Set<string>();
    for (const row of RESOLVERS) {
      if (row.kind === 'pipeline') {
        assert.ok(row.functions.length > 0, key(row));
        for (const f of row.functions) {
          assert.ok(f in PIPELINE_FUNCTIONS, `${key(row)}: no function ${f}`);
          used.add(f);
        }
      } else {
        const expected = row.kind === 'lambda' ? ['lambda'] : row.kind === 'none' ? ['none'] : ['users', 'social'];
        assert.ok(expected.includes(row.dataSource), `${key(row)}: ${row.kind} on ${row.dataSource}`);
      }
    }
    assert.deepEqual([...used].sort(), Object.keys(PIPELINE_FUNCTIONS).sort());
  });

  test("getUser is the seed's GetItem, verbatim", () => {
    const row = RESOLVERS.find((r) => key(r) === 'Query.getUser') as ResolverRow;
    assert.equal(row.kind, 'dynamodb');
    assert.equal(
      readTemplate(row.request).trim(),
      '{"version":"2017-02-28","operation":"GetItem","key":{"userId":$util.dynamodb.toDynamoDBJson($ctx.args.userId)}}',
    );
    assert.equal(readTemplate(row.response).trim(), '$util.toJson($ctx.result)');
  });
});

test('docs/appsync-resolvers.md lists every resolver with its kind and data source', () => {
  const doc = readFileSync(new URL('../../docs/appsync-resolvers.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(\w+\.\w+)` \| (\w+) \| ([^|]+) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3].trim()}`);
  const sourceName = { users: 'UsersTable', social: 'SocialTable', lambda: 'ApiResolver', none: 'None' } as const;
  const expected = RESOLVERS.map((r) => {
    const source =
      r.kind === 'pipeline'
        ? r.functions.map((f) => `${f} (${sourceName[PIPELINE_FUNCTIONS[f].dataSource]})`).join(', ')
        : sourceName[r.dataSource];
    return `${key(r)} ${r.kind} ${source}`;
  });
  assert.deepEqual(rows.sort(), expected.sort());
});

describe('the templates', () => {
  test('every template file referenced exists and parses in the simulator, as written and as deployed', () => {
    const files = templateFiles();
    assert.ok(files.length > 0);
    for (const file of files) {
      assert.ok(existsSync(VTL_DIR + file), `${file} is missing`);
      parse(readTemplate(file), file);
      parse(renderTemplate(file, CONFIG), file);
    }
  });

  test('only templates that read $config get the config line; the others deploy as written', () => {
    for (const file of templateFiles()) {
      const text = readTemplate(file);
      const deployed = renderTemplate(file, CONFIG);
      if (usesConfig(text)) assert.ok(deployed.startsWith('#set($config = {') && deployed.endsWith(text), file);
      else assert.equal(deployed, text, file);
    }
  });

  test('a Lambda that throws reaches the client masked: InternalFailure, not its message', () => {
    const out = render(readTemplate('lambda.response.vtl'), { result: null, error: { message: 'connect ECONNREFUSED 10.0.0.1:443', type: 'Lambda:Unhandled' } });
    assert.equal(out.hadException, true);
    assert.deepEqual(out.errors.map(wire), [['An internal error occurred', 'InternalFailure', null]]);
  });

  test("a Lambda's domain error becomes the errorType with its message and info", () => {
    const out = render(readTemplate('lambda.response.vtl'), { result: { error: { message: 'You cannot follow yourself', type: 'BadRequestException', info: { field: 'followedId' } } } });
    assert.equal(out.hadException, true);
    assert.deepEqual(out.errors.map(wire), [['You cannot follow yourself', 'BadRequestException', { field: 'followedId' }]]);
  });

  test('a follow list leaves out an edge whose profile no longer exists, and keeps the page token', () => {
    const template = renderTemplate('userConnection.after.vtl', CONFIG);
    const profile = { userId: 'u1', nickname: 'ana' };
    const out = parse(template, 'after.vtl').render(
      { arguments: {}, stash: { nextToken: 'tok' }, prevResult: [profile, null] } as never,
      { requestAuthorizationMode: 'API_KEY', appsyncErrors: [] } as never,
      { fieldName: 'listFollowers', fieldNodes: [], path: { key: 'listFollowers' }, parentType: 'Query', variableValues: {} } as never,
    );
    assert.deepEqual(out.result, { items: [profile], nextToken: 'tok' });
  });

  test('User field defaults: a stored value as stored, a missing one as toProfile defaults it', () => {
    const template = readTemplate('userDefault.response.vtl');
    const value = (fieldName: string, source: object) => render(template, { source }, fieldName).result;
    assert.equal(value('seguidores', { seguidores: 7 }), 7);
    assert.equal(value('seguidores', {}), 0);
    assert.equal(value('puntos', {}), 0);
    assert.equal(value('nivel', {}), 1);
    assert.equal(value('isOnline', {}), false);
    assert.equal(value('isOnline', { isOnline: true }), true);
    assert.equal(value('updatedAt', { createdAt: '2024-01-01T00:00:00.000Z' }), '2024-01-01T00:00:00.000Z');
    assert.equal(value('updatedAt', { createdAt: 'a', updatedAt: 'b' }), 'b');
  });
});

describe('the synthesized API', () => {
  let api: DeployedApi;
  before(async () => {
    api = deployedApi(synthesizeApiOnly());
  });

  test('has exactly the resolvers of the table, each of its kind and data source', () => {
    const deployed = new Map(api.resolvers.map((r) => [key(r), r]));
    assert.deepEqual([...deployed.keys()].sort(), RESOLVERS.map(key).sort());
    const sourceName = { users: 'UsersTable', social: 'SocialTable', lambda: 'ApiResolver', none: 'None' } as const;
    for (const row of RESOLVERS) {
      const r = deployed.get(key(row))!;
      if (row.kind === 'pipeline') {
        assert.ok(r.kind === 'PIPELINE' && r.functions.join() === row.functions.join(), key(row));
      } else {
        assert.ok(r.kind === 'UNIT' && r.dataSourceName === sourceName[row.dataSource], key(row));
      }
      assert.equal(r.request, renderTemplate(row.request, CONFIG), `${key(row)} request`);
      assert.equal(r.response, renderTemplate(row.response, CONFIG), `${key(row)} response`);
    }
  });

  test('has exactly the pipeline functions of the table, with their templates as deployed', () => {
    assert.deepEqual(api.functions.map((f) => f.name).sort(), Object.keys(PIPELINE_FUNCTIONS).sort());
    for (const fn of api.functions) {
      const row = PIPELINE_FUNCTIONS[fn.name as keyof typeof PIPELINE_FUNCTIONS];
      assert.equal(fn.request, renderTemplate(row.request, CONFIG), fn.name);
      assert.equal(fn.response, renderTemplate(row.response, CONFIG), fn.name);
    }
  });

  test('USER_POOL by default, the API key as the additional mode, the schema file unchanged', () => {
    assert.equal(api.defaultAuth, 'AMAZON_COGNITO_USER_POOLS');
    assert.deepEqual(api.additionalAuth, ['API_KEY']);
    assert.equal(api.schema, schemaSource());
  });

  test('logging (ERROR by default, ALL on request, never verbose content), X-Ray, an expiring API key', () => {
    for (const [props, level] of [[{}, 'ERROR'], [{ fieldLogLevel: 'ALL' as const }, 'ALL']] as const) {
      const template = Template.fromJSON(synthesizeApiOnly(props));
      template.hasResourceProperties('AWS::AppSync::GraphQLApi', {
        XrayEnabled: true,
        LogConfig: { FieldLogLevel: level, ExcludeVerboseContent: true, CloudWatchLogsRoleArn: Match.anyValue() },
      });
      template.hasResourceProperties('AWS::AppSync::ApiKey', { Expires: Match.anyValue() });
    }
  });

  test('an API key may not outlive what AppSync accepts', () => {
    const days = (n: number) => Template.fromJSON(synthesizeApiOnly({ apiKeyExpiryDays: n })).findResources('AWS::AppSync::ApiKey');
    const expires = Object.values(days(30))[0].Properties.Expires as number;
    assert.ok(Math.abs(expires - (Date.now() / 1000 + 30 * 86_400)) < 2 * 3600, 'about 30 days ahead');
    assert.throws(() => days(API_KEY_MAX_DAYS + 1), /apiKeyExpiryDays must be a whole number of days from 1 to 365/);
    assert.throws(() => days(0), /apiKeyExpiryDays/);
  });
});
