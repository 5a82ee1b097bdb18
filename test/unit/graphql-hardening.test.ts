import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getIntrospectionQuery } from 'graphql';
import { schemaSource } from '../../src/api/executable-schema.ts';
import { defineOperation, type Operation } from '../../src/api/operation.ts';
import { operations } from '../../src/api/registry.ts';
import { fakeToken, API_KEY, seedUser, startHarness, type Harness } from './support-graphql-harness.ts';

// The real schema plus a recursive type, so a *valid* document can be deeper than the limit.
let nodeCalls = 0;
const node = defineOperation({
  type: 'Query',
  field: 'node',
  uses: [],
  resolver: () => () => {
    nodeCalls++;
    return { id: 'n', child: { id: 'c', child: { id: 'g', child: null } } };
  },
});
const TEST_SDL = `${schemaSource()}
type Node @aws_api_key @aws_cognito_user_pools { id: ID! child: Node }
extend type Query { node: Node @aws_api_key @aws_cognito_user_pools }
extend type Subscription {
  onProfileUpdated(userId: ID): User @aws_subscribe(mutations: ["updateProfile"]) @aws_api_key @aws_cognito_user_pools
}
`;
const testOperations: readonly Operation[] = [...operations, node];

const nest = (levels: number) => `{ node { ${'child { '.repeat(levels)}id${' }'.repeat(levels)} } }`;
const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');

describe('GraphQL hardening (default limits: depth 6, aliases 15, directives 50, tokens 1000, cost 5000)', () => {
  let h: Harness;
  let sub: string;
  before(async () => {
    h = await startHarness({ schemaOptions: { sdl: TEST_SDL, operations: testOperations } });
    sub = await seedUser(h, 'Armored');
  });
  after(() => h.close());

  const calls = () => h.usersSpy.calls() + nodeCalls;
  const reset = () => {
    h.usersSpy.reset();
    nodeCalls = 0;
  };

  /** Sent with a valid JWT: must be rejected as a validation error with zero resolver calls. */
  async function rejected(query: string, message: RegExp) {
    reset();
    const r = await h.post({ query }, { authorization: fakeToken({ sub }) });
    assert.equal(r.status, 200);
    assert.equal(r.json.data, null, r.text.slice(0, 300));
    assert.ok(
      r.json.errors.some((e: { message: string }) => message.test(e.message)),
      `expected ${message} in ${r.text.slice(0, 500)}`,
    );
    assert.equal(calls(), 0, 'no resolver ran');
  }

  async function accepted(query: string) {
    reset();
    const r = await h.post({ query }, { authorization: fakeToken({ sub }) });
    assert.equal(r.json.errors, undefined, r.text.slice(0, 500));
    assert.ok(calls() > 0);
  }

  test('depth: 6 passes, 7 is rejected', async () => {
    await accepted(nest(4));
    await rejected(nest(5), /^Validation error of type QueryDepthLimitExceeded: Query depth limit of 6 exceeded, found 7\.$/);
    // Fragments do not hide depth.
    await rejected(
      `{ node { ...A } } fragment A on Node { child { child { ...B } } } fragment B on Node { child { child { child { id } } } }`,
      /QueryDepthLimitExceeded/,
    );
  });

  test('aliases: 15 pass, 16 are rejected', async () => {
    await accepted(`{ ${many(15, (i) => `a${i}: getUser(userId: "${sub}") { userId }`)} }`);
    await rejected(
      `{ ${many(16, (i) => `a${i}: getUser(userId: "${sub}") { userId }`)} }`,
      /^Validation error of type AliasLimitExceeded: Aliases limit of 15 exceeded, found 16\.$/,
    );
    // Aliases inside a fragment count once per spread.
    await rejected(`{ getUser(userId: "x") { ...F ...F } } fragment F on User { ${many(8, (i) => `n${i}: nickname`)} }`, /AliasLimitExceeded/);
  });

  test('tokens: more than 1000 are refused while parsing', async () => {
    await rejected(`{ getUser(userId: "x") { ${'userId '.repeat(1000)} } }`, /InvalidSyntax: Document contains more than 1000 tokens/);
  });

  test('directives: 50 pass, 51 are rejected', async () => {
    await accepted(`{ getUser(userId: "${sub}") { ${'userId @include(if: true) '.repeat(50)} } }`);
    await rejected(
      `{ getUser(userId: "${sub}") { ${'userId @include(if: true) '.repeat(51)} } }`,
      /^Validation error of type DirectiveLimitExceeded: Directives limit of 50 exceeded, found 51\.$/,
    );
  });

  test('cost: Armor model (object 2, scalar 1, depth factor 1.5), 5000 max', async () => {
    const fields = 'userId nickname nombreCompleto seguidores siguiendo puntos nivel ciudad pais descripcion isOnline lastSeen profilePhotoUrl profileThumbnailUrl createdAt updatedAt';
    const doc = (k: number) =>
      `{ searchUsers(prefix: "arm") { items { ${'...A '.repeat(k)} } } } fragment A on User { ${'...B '.repeat(10)} } fragment B on User { ${fields} }`;
    await accepted(doc(9)); // cost 4869.5
    await rejected(doc(10), /^Validation error of type QueryCostLimitExceeded: Query Cost limit of 5000 exceeded, found 5410\.$/);
    // An exponential fragment bomb is measured without expanding it (memoised), and refused.
    const bomb = Array.from({ length: 40 }, (_, i) => `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`).join(' ');
    await rejected(`{ getUser(userId: "x") { ...F0 } } ${bomb} fragment F40 on User { userId }`, /QueryCostLimitExceeded/);
  });

  test('a JSON array of operations is refused with a 400', async () => {
    reset();
    const r = await h.post([{ query: '{ me { userId } }' }, { query: '{ me { userId } }' }], { authorization: fakeToken({ sub }) });
    assert.equal(r.status, 400);
    assert.equal(r.json.errors[0].errorType, 'MalformedHttpRequestException');
    assert.equal(calls(), 0);
  });

  test('rejections are cached: the same refused text gives the same bytes', async () => {
    const q = nest(5);
    const a = await h.post({ query: q }, { 'x-api-key': API_KEY });
    const b = await h.post({ query: q }, { 'x-api-key': API_KEY });
    assert.equal(a.text, b.text);
  });

  test('introspection is allowed outside production, exempt from depth/cost but bounded by graphql-js', async () => {
    const r = await h.post({ query: getIntrospectionQuery() }, { 'x-api-key': API_KEY });
    assert.equal(r.json.errors, undefined, r.text.slice(0, 300));
    assert.ok(r.json.data.__schema.types.some((t: { name: string }) => t.name === 'User'));
    const deep = '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }';
    await rejected(deep, /MaxIntrospectionDepthExceeded/);
  });

  test('subscriptions are not served over HTTP', async () => {
    reset();
    const r = await h.post({ query: 'subscription { onProfileUpdated(userId: "x") { userId } }' }, { 'x-api-key': API_KEY });
    assert.equal(r.json.data, null);
    assert.match(r.json.errors[0].message, /realtime/);
    assert.equal(calls(), 0);
  });
});

describe('GraphQL hardening: limits come from config', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ config: { limits: { maxDepth: 2, maxAliases: 1, maxCost: 20, parsedDocumentCacheSize: 0 } } });
  });
  after(() => h.close());

  test('configured limits apply to valid documents of the real schema', async () => {
    const depth = await h.asKey('{ searchUsers(prefix: "a") { items { userId } } }');
    assert.match(depth.json.errors[0].message, /Query depth limit of 2 exceeded, found 3/);
    const aliases = await h.asKey('{ a: getUser(userId: "x") { userId } b: getUser(userId: "y") { userId } }');
    assert.match(aliases.json.errors[0].message, /Aliases limit of 1 exceeded, found 2/);
    const cost = await h.asKey(`{ getUser(userId: "x") { ${'userId '.repeat(10)} } }`);
    assert.match(cost.json.errors[0].message, /Query Cost limit of 20 exceeded/);
    assert.equal(h.usersSpy.calls(), 0);
    const ok = await h.asKey('{ getUser(userId: "x") { userId } }');
    assert.deepEqual(ok.json, { data: { getUser: null } });
  });
});

describe('GraphQL hardening: production mode', () => {
  let h: Harness;
  before(async () => {
    // Production needs a code sender (config validation); nothing is sent in these tests.
    h = await startHarness({ config: { production: true, codes: { sender: 'smtp', from: 'no-reply@biilive.test', smtpUrl: 'smtp://127.0.0.1:25' } } });
  });
  after(() => h.close());

  test('introspection is refused with the API key and with a JWT; __typename still works', async () => {
    const headers: Record<string, string>[] = [{ 'x-api-key': API_KEY }, { authorization: fakeToken({ sub: 'someone' }) }];
    for (const hdr of headers) {
      for (const query of ['{ __schema { types { name } } }', '{ __type(name: "User") { name } }', getIntrospectionQuery()]) {
        const r = await h.post({ query }, hdr);
        assert.equal(r.status, 200);
        assert.equal(r.json.data, null);
        assert.ok(r.json.errors.some((e: { message: string }) => /IntrospectionDisabled/.test(e.message)), r.text.slice(0, 300));
        assert.doesNotMatch(r.text, /"(types|fields)":\[/);
      }
      const typename = await h.post({ query: '{ __typename }' }, hdr);
      assert.deepEqual(typename.json, { data: { __typename: 'Query' } });
    }
  });

  test('misspelled fields give no suggestions and no stack traces', async () => {
    for (const hdr of [{ 'x-api-key': API_KEY }, { authorization: fakeToken({ sub: 'someone' }) }] as Record<string, string>[]) {
      const r = await h.post({ query: '{ usr { id } getUsr(userId: "x") { userId } }' }, hdr);
      assert.ok(r.json.errors.length > 0);
      assert.doesNotMatch(r.text, /Did you mean|suggest/i);
      for (const e of r.json.errors) assert.equal(e.extensions, undefined);
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/);
    }
  });
});
