import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kind, parse, graphql, isObjectType } from 'graphql';
import { buildExecutableSchema, schemaSource } from '../../src/api/executable-schema.ts';
import { defineOperation, type Operation } from '../../src/api/operation.ts';
import { operations } from '../../src/api/registry.ts';
import { fieldAuth } from '../../src/api/appsync/auth.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { UsersService } from '../../src/domain/users/users-service.ts';
import { API_KEY, fakeToken, startHarness, type Harness } from './support-graphql-harness.ts';

const limits = configSchema.parse({}).limits;
const services = { users: {} as UsersService, limits };

describe('schema.graphql', () => {
  test('is deployable to AppSync as is: no AWS directive or scalar declarations', () => {
    const doc = parse(schemaSource());
    for (const def of doc.definitions) {
      if (def.kind === Kind.DIRECTIVE_DEFINITION) assert.doesNotMatch(def.name.value, /^aws_/);
      if (def.kind === Kind.SCALAR_TYPE_DEFINITION) assert.doesNotMatch(def.name.value, /^AWS/);
    }
  });

  test('every registered operation is declared in the schema (the rest is checked against docs/support-matrix.md)', () => {
    const schema = buildExecutableSchema(services);
    const declared = new Set(
      [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
        Object.keys(t?.getFields() ?? {}).map((f) => `${t!.name}.${f}`),
      ),
    );
    for (const o of operations) assert.ok(declared.has(`${o.type}.${o.field}`), `${o.type}.${o.field}`);
  });

  test('an operation without SDL fails at start-up; SDL without an operation answers UnsupportedOperation', async () => {
    const ghost = defineOperation({ type: 'Query', field: 'ghost', uses: [], resolver: () => () => null });
    assert.throws(() => buildExecutableSchema(services, { operations: [...operations, ghost] }), /Query\.ghost/);
    const schema = buildExecutableSchema(services, { sdl: `${schemaSource()}\nextend type Query { later: String @aws_api_key }` });
    const r = await graphql({ schema, source: '{ later }', contextValue: { caller: { mode: 'API_KEY' } } });
    assert.equal((r.errors?.[0]?.originalError as { code?: string }).code, 'UnsupportedOperation');
  });

  test('auth modes: reads with API key or user pool; me and updateProfile user pool only', () => {
    const schema = buildExecutableSchema(services);
    const q = schema.getQueryType()!;
    const m = schema.getMutationType()!;
    const user = schema.getType('User');
    assert.ok(isObjectType(user));
    for (const f of ['getUser', 'getUserByNickname', 'searchUsers']) assert.deepEqual(fieldAuth(q, q.getFields()[f]), { apiKey: true, userPools: true });
    assert.deepEqual(fieldAuth(q, q.getFields().me), { apiKey: false, userPools: true });
    assert.deepEqual(fieldAuth(m, m.getFields().updateProfile), { apiKey: false, userPools: true });
    for (const f of Object.values(user.getFields())) assert.deepEqual(fieldAuth(user, f), { apiKey: true, userPools: true });
  });
});

describe('AppSync auth directives', () => {
  const SDL = `${schemaSource()}
type Mixed @aws_api_key { open: String pool: String @aws_cognito_user_pools }
type Plain { x: String }
extend type Query {
  mixed: Mixed @aws_api_key @aws_cognito_user_pools
  plain: Plain @aws_api_key @aws_cognito_user_pools
  adminNote: String @aws_cognito_user_pools(cognito_groups: ["admin", "staff"])
  iamOnly: String @aws_iam
}`;
  const value = (field: string, v: unknown): Operation =>
    defineOperation({ type: 'Query', field, uses: [], resolver: () => () => v });
  let h: Harness;
  before(async () => {
    h = await startHarness({
      schemaOptions: {
        sdl: SDL,
        operations: [
          ...operations,
          value('mixed', { open: 'o', pool: 'p' }),
          value('plain', { x: 'x' }),
          value('adminNote', 'note'),
          value('iamOnly', 'iam'),
        ],
      },
    });
  });
  after(() => h.close());

  const deny = (field: string, type: string, path: (string | number)[]) => ({
    path,
    data: null,
    errorType: 'Unauthorized',
    errorInfo: null,
    message: `Not Authorized to access ${field} on type ${type}`,
  });
  const strip = (errors: Array<Record<string, unknown>> | undefined) => errors?.map(({ locations: _l, ...e }) => e);

  test('field directives override type directives', async () => {
    const key = await h.post({ query: '{ mixed { open pool } }' }, { 'x-api-key': API_KEY });
    assert.deepEqual(key.json.data, { mixed: { open: 'o', pool: null } });
    assert.deepEqual(strip(key.json.errors), [deny('pool', 'Mixed', ['mixed', 'pool'])]);
    const jwt = await h.asUser('u1', '{ mixed { open pool } }');
    assert.deepEqual(jwt.json.data, { mixed: { open: null, pool: 'p' } });
    assert.deepEqual(strip(jwt.json.errors), [deny('open', 'Mixed', ['mixed', 'open'])]);
  });

  test('a type without directives is readable in the default mode (user pools) only', async () => {
    const key = await h.post({ query: '{ plain { x } }' }, { 'x-api-key': API_KEY });
    assert.deepEqual(key.json.data, { plain: { x: null } });
    assert.deepEqual(strip(key.json.errors), [deny('x', 'Plain', ['plain', 'x'])]);
    assert.deepEqual((await h.asUser('u1', '{ plain { x } }')).json, { data: { plain: { x: 'x' } } });
  });

  test('cognito_groups must intersect the caller\'s groups', async () => {
    assert.deepEqual((await h.asUser('u1', '{ adminNote }', null, { groups: ['staff'] })).json, { data: { adminNote: 'note' } });
    const other = await h.asUser('u1', '{ adminNote }', null, { groups: ['users'] });
    assert.deepEqual(strip(other.json.errors), [deny('adminNote', 'Query', ['adminNote'])]);
    const none = await h.asUser('u1', '{ adminNote }');
    assert.equal(none.json.data.adminNote, null);
    const key = await h.post({ query: '{ adminNote }' }, { 'x-api-key': API_KEY });
    assert.equal(key.json.errors[0].errorType, 'Unauthorized');
  });

  test('modes without an embedded counterpart (IAM) are closed to everyone', async () => {
    for (const r of [await h.asUser('u1', '{ iamOnly }'), await h.post({ query: '{ iamOnly }' }, { authorization: fakeToken({ sub: 'u2', tokenUse: 'id' }) })]) {
      assert.equal(r.json.data.iamOnly, null);
      assert.equal(r.json.errors[0].errorType, 'Unauthorized');
    }
  });
});

describe('AWS scalars', () => {
  const SDL = `${schemaSource()}
type Scalars @aws_api_key {
  dt: AWSDateTime d: AWSDate t: AWSTime ts: AWSTimestamp e: AWSEmail j: AWSJSON u: AWSURL p: AWSPhone ip: AWSIPAddress
}
extend type Query { echo(dt: AWSDateTime, d: AWSDate, t: AWSTime, ts: AWSTimestamp, e: AWSEmail, j: AWSJSON, u: AWSURL, p: AWSPhone, ip: AWSIPAddress): Scalars @aws_api_key }`;
  const echo = defineOperation({ type: 'Query', field: 'echo', uses: [], resolver: () => (args: Record<string, unknown>) => args });
  const schema = buildExecutableSchema(services, { sdl: SDL, operations: [...operations, echo] });
  const run = (args: string, fields: string) =>
    graphql({ schema, source: `{ echo(${args}) { ${fields} } }`, contextValue: { caller: { mode: 'API_KEY' } } });

  test('valid values pass through (AWSJSON parsed for resolvers, re-encoded on output)', async () => {
    const r = await run(
      'dt: "2026-01-01T10:20:30.123456789+05:30", d: "1970-01-01Z", t: "12:30:24.500+05:30", ts: -5, e: "a@b.co", j: "{\\"a\\":[1,2]}", u: "http://localhost/", p: "+1 555-0100", ip: "10.0.0.0/8"',
      'dt d t ts e j u p ip',
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.deepEqual({ ...(r.data?.echo as object) }, {
      dt: '2026-01-01T10:20:30.123456789+05:30',
      d: '1970-01-01Z',
      t: '12:30:24.500+05:30',
      ts: -5,
      e: 'a@b.co',
      j: '{"a":[1,2]}',
      u: 'http://localhost/',
      p: '+1 555-0100',
      ip: '10.0.0.0/8',
    });
  });

  test('invalid literals are validation errors', async () => {
    for (const [arg, field] of [
      ['dt: "2026-01-01T10:20:30"', 'dt'], // offset is mandatory
      ['dt: "2026-02-30T10:20Z"', 'dt'],
      ['d: "2026-13-01"', 'd'],
      ['t: "25:00"', 't'],
      ['ts: 1.5', 'ts'],
      ['e: "not-an-email"', 'e'],
      ['j: "{a: 1}"', 'j'],
      ['u: "no-scheme.example.com"', 'u'],
      ['ip: "300.1.1.1"', 'ip'],
    ]) {
      const r = await run(arg, field);
      assert.ok(r.errors?.length, arg);
      assert.equal(r.data, undefined, arg);
    }
  });
});
