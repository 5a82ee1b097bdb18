import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, fakeToken, seedUser, startHarness, type Harness } from './support-graphql-harness.ts';

const PROFILE = 'userId nickname nombreCompleto seguidores siguiendo puntos nivel ciudad pais descripcion isOnline lastSeen profilePhotoUrl profileThumbnailUrl createdAt updatedAt';
const GET_USER = `query GetUser($id: ID!) { getUser(userId: $id) { ${PROFILE} } }`;

describe('GraphQL handler: request auth', () => {
  let h: Harness;
  let alice: string;
  before(async () => {
    h = await startHarness();
    alice = await seedUser(h, 'Alice');
  });
  after(() => h.close());

  const unauthorized = (r: { status: number; headers: Headers; json: unknown }, message: string) => {
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('x-amzn-errortype'), 'UnauthorizedException');
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(r.json, { errors: [{ errorType: 'UnauthorizedException', message }] });
  };

  test('API key reads a profile (variables null, no operationName, like Amplify v6)', async () => {
    const r = await h.post({ query: `{ getUser(userId: "${alice}") { ${PROFILE} } }`, variables: null }, { 'X-Api-Key': API_KEY });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      data: {
        getUser: {
          userId: alice,
          nickname: 'Alice',
          nombreCompleto: null,
          seguidores: 0,
          siguiendo: 0,
          puntos: 0,
          nivel: 1,
          ciudad: null,
          pais: null,
          descripcion: null,
          isOnline: false,
          lastSeen: null,
          profilePhotoUrl: null,
          profileThumbnailUrl: null,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      },
    });
  });

  test('user pool: raw or Bearer token, access or ID token', async () => {
    for (const tokenUse of ['access', 'id'] as const) {
      const token = fakeToken({ sub: alice, tokenUse });
      for (const authorization of [token, `Bearer ${token}`]) {
        const r = await h.post({ query: '{ me { userId nickname } }' }, { authorization });
        assert.deepEqual(r.json, { data: { me: { userId: alice, nickname: 'Alice' } } }, `${tokenUse} ${authorization.slice(0, 6)}`);
      }
    }
  });

  test('missing, wrong or invalid credentials: 401 in AppSync shape, nothing executed', async () => {
    h.usersSpy.reset();
    const q = { query: '{ getUser(userId: "x") { userId } }' };
    unauthorized(await h.post(q), 'Valid authorization header not provided.');
    unauthorized(await h.post(q, { 'x-api-key': 'da2-wrongwrongwrongwrongwrongwr' }), 'You are not authorized to make this call.');
    unauthorized(await h.post(q, { 'x-api-key': '' }), 'You are not authorized to make this call.');
    unauthorized(await h.post(q, { authorization: 'not-a-jwt' }), 'Unable to parse JWT token.');
    unauthorized(await h.post(q, { authorization: fakeToken({ sub: alice }, 'forged') }), 'You are not authorized to make this call.');
    h.verifier.revoked.add('sub-revoked');
    unauthorized(await h.post(q, { authorization: fakeToken({ sub: 'sub-revoked' }) }), 'You are not authorized to make this call.');
    // Auth comes before the body is looked at.
    unauthorized(await h.post('', {}), 'Valid authorization header not provided.');
    assert.equal(h.usersSpy.calls(), 0);
    assert.ok((await h.errorCount('UnauthorizedException')) >= 7);
  });

  test('field-level auth: API key gets null + Unauthorized for user-pool-only fields, the rest resolves', async () => {
    const r = await h.asKey(`{ me { userId } getUser(userId: "${alice}") { nickname } }`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      data: { me: null, getUser: { nickname: 'Alice' } },
      errors: [
        {
          path: ['me'],
          data: null,
          errorType: 'Unauthorized',
          errorInfo: null,
          locations: [{ line: 1, column: 3, sourceName: null }],
          message: 'Not Authorized to access me on type Query',
        },
      ],
    });
  });

  test('API key cannot mutate: the non-null mutation field bubbles to data null', async () => {
    h.usersSpy.reset();
    const r = await h.asKey('mutation { updateProfile(input: { ciudad: "Lima" }) { userId } }');
    assert.equal(r.json.data, null);
    assert.equal(r.json.errors[0].errorType, 'Unauthorized');
    assert.equal(r.json.errors[0].message, 'Not Authorized to access updateProfile on type Mutation');
    assert.equal(h.usersSpy.calls(), 0);
  });
});

describe('GraphQL handler: body and request errors', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  const key = { 'x-api-key': API_KEY };
  const malformed = { errors: [{ message: 'Unable to parse GraphQL query.', errorType: 'MalformedHttpRequestException' }] };

  test('empty body and unparsable bodies are 400 MalformedHttpRequestException', async () => {
    const empty = await h.post('', key);
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.json, { errors: [{ message: 'Request body is empty.', errorType: 'MalformedHttpRequestException' }] });
    for (const body of ['meow', '{}', '[]', 'null', '"query"', '{"query": 5}', '{"query": ""}', '{"query":"{ __typename }","variables":[1]}',
      '{"query":"{ __typename }","operationName":7}']) {
      const r = await h.post(body, key);
      assert.equal(r.status, 400, body);
      assert.deepEqual(r.json, malformed, body);
    }
  });

  test('HTTP batching (a JSON array of operations) is refused before anything runs', async () => {
    h.usersSpy.reset();
    const r = await h.post([{ query: '{ getUser(userId: "a") { userId } }' }, { query: '{ getUser(userId: "b") { userId } }' }], key);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, malformed);
    assert.equal(h.usersSpy.calls(), 0);
  });

  test('wrong variable types: 200, data null, graphql-java wording, no resolver call', async () => {
    h.usersSpy.reset();
    const missing = await h.asKey(GET_USER, {});
    assert.deepEqual(missing.json, {
      data: null,
      errors: [{ path: null, locations: [{ line: 1, column: 15, sourceName: null }], message: "Variable 'id' has coerced Null value for NonNull type 'ID!'" }],
    });
    const wrong = await h.asKey('query($l: Int) { searchUsers(prefix: "a", limit: $l) { nextToken } }', { l: 'ten' });
    assert.equal(wrong.json.data, null);
    assert.match(wrong.json.errors[0].message, /^Variable 'l' has an invalid value: /);
    const literal = await h.asKey('{ searchUsers(prefix: "a", limit: "ten") { nextToken } }');
    assert.equal(literal.json.data, null);
    assert.match(literal.json.errors[0].message, /^Validation error of type WrongType: /);
    assert.equal(h.usersSpy.calls(), 0);
  });

  test('invalid GraphQL: validation errors in AppSync shape, syntax errors too', async () => {
    const r = await h.asKey('{ badfield }');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      data: null,
      errors: [
        {
          path: null,
          locations: [{ line: 1, column: 3, sourceName: null }],
          message: "Validation error of type FieldUndefined: Field 'badfield' in type 'Query' is undefined @ 'badfield'",
        },
      ],
    });
    const nested = await h.asKey('{ getUser(userId: "x") { nope } }');
    assert.equal(nested.json.errors[0].message, "Validation error of type FieldUndefined: Field 'nope' in type 'User' is undefined @ 'getUser/nope'");
    const missingArg = await h.asKey('{ getUser { userId } }');
    assert.match(missingArg.json.errors[0].message, /^Validation error of type MissingFieldArgument: /);
    const syntax = await h.asKey('{ getUser(');
    assert.equal(syntax.status, 200);
    assert.equal(syntax.json.data, null);
    assert.match(syntax.json.errors[0].message, /^Validation error of type InvalidSyntax: /);
    assert.ok((await h.errorCount('ValidationError')) >= 4);
  });

  test('field suggestions are never shown', async () => {
    for (const q of ['{ getUsr(userId: "x") { userId } }', '{ getUser(userId: "x") { nicknam } }', '{ getUser(userID: "x") { userId } }']) {
      const r = await h.asKey(q);
      assert.ok(r.json.errors.length > 0, q);
      assert.doesNotMatch(r.text, /Did you mean/, q);
    }
  });

  test('an unknown operationName is a request error; a named operation is selected', async () => {
    const doc = 'query A { __typename } query B { me { userId } }';
    const a = await h.post({ query: doc, operationName: 'A' }, key);
    assert.deepEqual(a.json, { data: { __typename: 'Query' } });
    const c = await h.post({ query: doc, operationName: 'C' }, key);
    assert.equal(c.json.data, null);
    assert.equal(c.json.errors.length, 1);
  });
});

describe('GraphQL handler: profiles', () => {
  let h: Harness;
  let alice: string;
  let bob: string;
  before(async () => {
    h = await startHarness();
    alice = await seedUser(h, 'Alice');
    bob = await seedUser(h, 'Bob_b');
  });
  after(() => h.close());

  const UPDATE = 'mutation U($input: UpdateProfileInput!) { updateProfile(input: $input) { userId nickname ciudad } }';

  test('getUserByNickname is case-insensitive; unknown ids and nicknames are null', async () => {
    const r = await h.asKey('{ a: getUserByNickname(nickname: "ALICE") { userId } b: getUserByNickname(nickname: "nobody") { userId } c: getUser(userId: "nope") { userId } }');
    assert.deepEqual(r.json, { data: { a: { userId: alice }, b: null, c: null } });
  });

  test('updateProfile changes only the caller\'s own item', async () => {
    const before = await h.users.getUser(bob);
    const r = await h.asUser(alice, UPDATE, { input: { ciudad: 'Lima', nickname: 'alice_new' } });
    assert.deepEqual(r.json, { data: { updateProfile: { userId: alice, nickname: 'alice_new', ciudad: 'Lima' } } });
    assert.deepEqual(await h.users.getUser(bob), before);
    // There is no way to name another user: an extra input field is a validation error.
    const other = await h.asUser(alice, UPDATE, { input: { userId: bob, ciudad: 'Quito' } });
    assert.equal(other.json.data, null);
    assert.match(other.json.errors[0].message, /userId/);
    assert.deepEqual(await h.users.getUser(bob), before);
  });

  test('a taken nickname is a ConflictException and nothing changes', async () => {
    const before = await h.users.getUser(alice);
    const r = await h.asUser(alice, UPDATE, { input: { nickname: 'BOB_B', ciudad: 'Cusco' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.data, null);
    assert.deepEqual(
      { errorType: r.json.errors[0].errorType, message: r.json.errors[0].message, path: r.json.errors[0].path },
      { errorType: 'ConflictException', message: 'Nickname is already taken', path: ['updateProfile'] },
    );
    assert.deepEqual(await h.users.getUser(alice), before);
    assert.equal((await h.users.getByNickname('bob_b'))?.userId, bob);
  });

  test('invalid input is a BadRequestException naming the field', async () => {
    const r = await h.asUser(alice, UPDATE, { input: { nickname: 'no spaces' } });
    assert.equal(r.json.errors[0].errorType, 'BadRequestException');
    assert.deepEqual(r.json.errors[0].errorInfo, { field: 'nickname' });
  });

  test('me for a signed-in user without a profile is null', async () => {
    const r = await h.asUser('sub-without-profile', '{ me { userId } }');
    assert.deepEqual(r.json, { data: { me: null } });
  });

  test('unexpected errors are logged and masked as InternalFailure', async () => {
    h.usersSpy.fail = new Error('disk on fire at /var/secret');
    try {
      const r = await h.asKey('{ getUser(userId: "x") { userId } }');
      assert.deepEqual(r.json.errors[0], {
        path: ['getUser'],
        data: null,
        errorType: 'InternalFailure',
        errorInfo: null,
        locations: [{ line: 1, column: 3, sourceName: null }],
        message: 'An internal error occurred',
      });
      assert.doesNotMatch(r.text, /secret|disk/);
      assert.ok(h.logged.length > 0);
      assert.equal(await h.errorCount('InternalFailure'), 1);
    } finally {
      h.usersSpy.fail = undefined;
    }
  });
});

describe('GraphQL handler: searchUsers paging', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    for (let i = 0; i < 250; i++) await seedUser(h, `pg${String(i).padStart(3, '0')}`);
    await seedUser(h, 'other');
  });
  after(() => h.close());
  const SEARCH = 'query S($p: String!, $l: Int, $t: String) { searchUsers(prefix: $p, limit: $l, nextToken: $t) { items { nickname } nextToken } }';

  test('nextToken pages through 250 users, each exactly once, in order', async () => {
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const r = await h.asKey(SEARCH, { p: 'PG', l: 100, t: token });
      assert.equal(r.json.errors, undefined, r.text);
      seen.push(...r.json.data.searchUsers.items.map((u: { nickname: string }) => u.nickname));
      token = r.json.data.searchUsers.nextToken;
      pages++;
    } while (token && pages < 10);
    assert.equal(seen.length, 250);
    assert.equal(new Set(seen).size, 250);
    assert.deepEqual(seen, [...seen].sort());
    assert.ok(pages >= 3);
  });

  test('default page size comes from config; limit outside 1..max and bad tokens are BadRequest', async () => {
    const r = await h.asKey(SEARCH, { p: 'pg' });
    assert.equal(r.json.data.searchUsers.items.length, h.config.limits.pageSizeDefault);
    const token = r.json.data.searchUsers.nextToken as string;
    assert.ok(token);
    for (const vars of [
      { p: 'pg', l: 0 },
      { p: 'pg', l: h.config.limits.pageSizeMax + 1 },
      { p: 'pg', t: 'garbage' },
      { p: 'pg', t: Buffer.from('{"v":1,"s":"x","c":"y"}').toString('base64url') },
      { p: 'other', t: token },
    ]) {
      const bad = await h.asKey(SEARCH, vars);
      assert.equal(bad.json.data, null, JSON.stringify(vars));
      assert.equal(bad.json.errors[0].errorType, 'BadRequestException', JSON.stringify(vars));
    }
  });
});
