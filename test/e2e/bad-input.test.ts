import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

// The foundation's bad-input list, against the real server: each gets the protocol's own error,
// never a 500, and what was stored stays as it was.
describe('bad input on the real server', () => {
  let s: TestServer;
  let sub: string;
  let token: string;
  const bodyLimit = 4096;

  const cognito = (target: string, body: string) =>
    fetch(s.url + '/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    });
  const graphql = (body: string, headers: Record<string, string> = { 'x-api-key': s.app.installation.apiKey }) =>
    fetch(s.app.endpoints.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const profile = async () => {
    const r = await graphql(JSON.stringify({ query: `{ getUser(userId: "${sub}") { userId nickname ciudad descripcion } }` }));
    return ((await r.json()) as { data: { getUser: unknown } }).data.getUser;
  };

  before(async () => {
    s = await startTestServer({ limits: { bodyBytes: bodyLimit } });
    sub = await signUpAndConfirm(s, 'ernesto', 'Ernest0-Passw0rd!', { email: 'ernesto@example.com', nickname: 'ernesto' });
    token = (await signIn(s, 'ernesto', 'Ernest0-Passw0rd!')).AccessToken;
    await graphql(JSON.stringify({ query: 'mutation { updateProfile(input: { ciudad: "Cali", descripcion: "hola" }) { userId } }' }), {
      authorization: token,
    });
  });
  after(() => s?.stop());

  test('Cognito: malformed JSON, unknown target, over-long body, missing parameters: 400 with __type', async () => {
    const cases: Array<[string, string, string]> = [
      ['AWSCognitoIdentityProviderService.SignUp', '{"ClientId": ', ''],
      ['AWSCognitoIdentityProviderService.NoSuchAction', '{}', 'UnknownOperationException'],
      ['AWSCognitoIdentityProviderService.SignUp', JSON.stringify({ ClientId: 'x', Username: 'y'.repeat(bodyLimit), Password: 'p' }), 'InvalidParameterException'],
      ['AWSCognitoIdentityProviderService.InitiateAuth', '{}', 'InvalidParameterException'],
    ];
    for (const [target, body, type] of cases) {
      const res = await cognito(target, body);
      assert.equal(res.status, 400, `${target} ${body.slice(0, 30)}`);
      const json = (await res.json()) as { __type: string; message: string };
      assert.ok(json.__type, 'has __type');
      if (type) assert.equal(json.__type, type);
      assert.equal(typeof json.message, 'string');
    }
  });

  test('Cognito: weak password and taken username are refused with their exceptions', async () => {
    const weak = await cognito(
      'AWSCognitoIdentityProviderService.SignUp',
      JSON.stringify({ ClientId: s.clientId, Username: 'newbie', Password: 'password' }),
    );
    assert.equal(((await weak.json()) as { __type: string }).__type, 'InvalidPasswordException');
    const taken = await cognito(
      'AWSCognitoIdentityProviderService.SignUp',
      JSON.stringify({ ClientId: s.clientId, Username: 'ernesto', Password: 'Other-Passw0rd!' }),
    );
    assert.equal(((await taken.json()) as { __type: string }).__type, 'UsernameExistsException');
  });

  test('GraphQL: malformed body 400, over-long body refused, invalid query and wrong variable types 200 with errors', async () => {
    const malformed = await graphql('{"query": ');
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { errors: Array<{ errorType: string }> }).errors[0].errorType, 'MalformedHttpRequestException');

    const huge = await graphql(JSON.stringify({ query: `{ getUser(userId: "${'x'.repeat(bodyLimit)}") { userId } }` }));
    assert.ok(huge.status >= 400 && huge.status < 500, `status ${huge.status}`);
    assert.ok(((await huge.json()) as { errors: unknown[] }).errors.length > 0);

    const invalid = await graphql(JSON.stringify({ query: '{ getUser(userId: "a") { noSuchField } }' }));
    assert.equal(invalid.status, 200);
    const invalidJson = (await invalid.json()) as { data: null; errors: Array<{ message: string }> };
    assert.equal(invalidJson.data, null);
    assert.match(invalidJson.errors[0].message, /noSuchField/);
    assert.doesNotMatch(invalidJson.errors[0].message, /Did you mean/);

    const wrongType = await graphql(JSON.stringify({ query: 'query Q($id: ID!) { getUser(userId: $id) { userId } }', variables: { id: { not: 'an id' } } }));
    assert.equal(wrongType.status, 200);
    assert.ok(((await wrongType.json()) as { errors: unknown[] }).errors.length > 0);
  });

  test('GraphQL: a taken nickname is a Conflict and changes nothing', async () => {
    await signUpAndConfirm(s, 'fabiola', 'Fab10la-Passw0rd!', { email: 'fabiola@example.com', nickname: 'fabiola' });
    const before = await profile();
    const r = await graphql(JSON.stringify({ query: 'mutation { updateProfile(input: { nickname: "fabiola", ciudad: "Pasto" }) { userId } }' }), {
      authorization: token,
    });
    const json = (await r.json()) as { errors: Array<{ errorType: string }> };
    assert.equal(json.errors[0].errorType, 'ConflictException');
    assert.deepEqual(await profile(), before);
  });

  test('after all of it the server is up and the stored profile is unchanged', async () => {
    const health = await fetch(s.url + '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(await profile(), { userId: sub, nickname: 'ernesto', ciudad: 'Cali', descripcion: 'hola' });
  });
});
