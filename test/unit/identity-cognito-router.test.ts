import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCognitoHandler } from '../../src/server/cognito/router.ts';
import { targets } from '../../src/server/cognito/targets/index.ts';
import { AppError, badRequest } from '../../src/domain/errors.ts';
import type { Identity } from '../../src/domain/identity/create-identity.ts';
import type { Logger } from '../../src/ports/logger.ts';

/** The router in process, over a fake pool (the real one is exercised end to end in test/e2e). */
function harness(identity: Partial<Identity>, authorizeOperator?: Parameters<typeof createCognitoHandler>[0]['authorizeOperator']) {
  const errors: Array<{ obj: object; msg?: string }> = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (obj, msg) => errors.push({ obj, msg }),
    child: () => log,
  };
  const handler = createCognitoHandler({ identity: identity as Identity, log, authorizeOperator });
  async function call(action: string | undefined, body: string, headers: Record<string, string> = {}) {
    const req = { headers: { ...(action ? { 'x-amz-target': action } : {}), ...headers } } as unknown as IncomingMessage;
    let status = 0;
    let head: Record<string, string | number> = {};
    let text = '';
    const res = {
      writeHead(s: number, h: Record<string, string | number>) {
        status = s;
        head = h;
      },
      end(t: string) {
        text = t;
      },
    } as unknown as ServerResponse;
    await handler(req, res, Buffer.from(body));
    return { status, head, json: JSON.parse(text) as Record<string, unknown> };
  }
  return { call, errors };
}

const T = (action: string) => `AWSCognitoIdentityProviderService.${action}`;

describe('Cognito router', () => {
  test('registry holds exactly the supported actions', () => {
    assert.deepEqual([...targets.keys()].sort(), [
      'AdminAddUserToGroup',
      'AdminConfirmSignUp',
      'AdminCreateUser',
      'AdminDeleteUser',
      'AdminDisableUser',
      'AdminEnableUser',
      'AdminGetUser',
      'AdminListGroupsForUser',
      'AdminRemoveUserFromGroup',
      'AdminResetUserPassword',
      'AdminSetUserPassword',
      'AdminUserGlobalSignOut',
      'ChangePassword',
      'ConfirmForgotPassword',
      'ConfirmSignUp',
      'DeleteUser',
      'ForgotPassword',
      'GetTokensFromRefreshToken',
      'GetUser',
      'GetUserAttributeVerificationCode',
      'GlobalSignOut',
      'InitiateAuth',
      'ListUsers',
      'ListUsersInGroup',
      'ResendConfirmationCode',
      'RespondToAuthChallenge',
      'RevokeToken',
      'SignUp',
      'UpdateUserAttributes',
      'VerifyUserAttribute',
    ]);
  });

  test('success: 200, JSON 1.1, request id; wire members mapped both ways', async () => {
    const seen: unknown[] = [];
    const { call } = harness({
      getUser: async (input) => {
        seen.push(input);
        return { username: 'Al', attributes: [{ name: 'sub', value: 's' }] };
      },
    });
    const r = await call(T('GetUser'), JSON.stringify({ AccessToken: 'a.b.c', Extra: 1 }), { authorization: 'AWS4-HMAC-SHA256 x' });
    assert.equal(r.status, 200);
    assert.equal(r.head['content-type'], 'application/x-amz-json-1.1');
    assert.match(String(r.head['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
    assert.deepEqual(r.json, { Username: 'Al', UserAttributes: [{ Name: 'sub', Value: 's' }] });
    assert.deepEqual(seen, [{ accessToken: 'a.b.c' }]);
  });

  test('refresh results carry no RefreshToken member at all', async () => {
    const { call } = harness({
      getTokensFromRefreshToken: async () => ({ accessToken: 'a', idToken: 'i', expiresIn: 3600, tokenType: 'Bearer' }),
    });
    const r = await call(T('GetTokensFromRefreshToken'), JSON.stringify({ ClientId: 'c1', RefreshToken: 'r' }));
    assert.deepEqual(r.json, { AuthenticationResult: { AccessToken: 'a', ExpiresIn: 3600, TokenType: 'Bearer', IdToken: 'i' } });
  });

  test('domain errors: 400 with __type, x-amzn-ErrorType "<Name>:" and a header-safe message', async () => {
    const { call } = harness({
      forgotPassword: async () => {
        throw new AppError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');
      },
      signUp: async () => {
        throw badRequest('Nicknäme\r\ntaken');
      },
    });
    const r = await call(T('ForgotPassword'), JSON.stringify({ ClientId: 'c1', Username: 'u' }));
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { __type: 'LimitExceededException', message: 'Attempt limit exceeded, please try after some time.' });
    assert.equal(r.head['x-amzn-errortype'], 'LimitExceededException:');
    assert.equal(r.head['x-amzn-errormessage'], 'Attempt limit exceeded, please try after some time.');
    const g = await call(T('SignUp'), JSON.stringify({ ClientId: 'c1', Username: 'u', Password: 'p' }));
    assert.equal(g.json.__type, 'InvalidParameterException');
    assert.equal(g.head['x-amzn-errormessage'], 'Nickn?me??taken');
  });

  test('unexpected errors: 500 InternalErrorException, masked, logged', async () => {
    const { call, errors } = harness({
      deleteUser: async () => {
        throw new Error('disk on fire at /var/lib/secret');
      },
    });
    const r = await call(T('DeleteUser'), JSON.stringify({ AccessToken: 'a.b.c' }));
    assert.equal(r.status, 500);
    assert.deepEqual(r.json, { __type: 'InternalErrorException', message: 'An internal error occurred.' });
    assert.equal(errors.length, 1);
    assert.equal((errors[0].obj as { action: string }).action, 'DeleteUser');
  });

  test('operator actions pass the operator check before anything else; public ones never ask it', async () => {
    const seen: string[] = [];
    const identity: Partial<Identity> = {
      userPoolId: 'eu-west-3_pool',
      adminGetUser: async (username) => {
        seen.push(username);
        return { username, attributes: [], createdAt: 1000, updatedAt: 2000, enabled: true, status: 'CONFIRMED' };
      },
      forgotPassword: async () => ({ codeDelivery: { destination: 'x', deliveryMedium: 'EMAIL', attributeName: 'email' } }),
    };
    const body = JSON.stringify({ UserPoolId: 'eu-west-3_pool', Username: 'al' });
    assert.equal((await harness(identity).call(T('AdminGetUser'), body)).json.__type, 'MissingAuthenticationTokenException');
    let asked = 0;
    const refusing = harness(identity, async () => {
      asked++;
      return { status: 400, type: 'InvalidSignatureException', message: 'nope' };
    });
    assert.deepEqual((await refusing.call(T('AdminGetUser'), '{not json')).json, { __type: 'InvalidSignatureException', message: 'nope' });
    assert.equal((await refusing.call(T('ForgotPassword'), JSON.stringify({ ClientId: 'c1', Username: 'u' }))).status, 200);
    assert.equal(asked, 1);
    assert.deepEqual(seen, []);
    const allowing = harness(identity, async () => undefined);
    const ok = await allowing.call(T('AdminGetUser'), body);
    assert.deepEqual(ok.json, { Username: 'al', UserCreateDate: 1, UserLastModifiedDate: 2, Enabled: true, UserStatus: 'CONFIRMED', UserAttributes: [] });
    const other = await allowing.call(T('AdminGetUser'), JSON.stringify({ UserPoolId: 'eu-west-3_other', Username: 'al' }));
    assert.deepEqual(other.json, { __type: 'ResourceNotFoundException', message: 'User pool eu-west-3_other does not exist.' });
    assert.deepEqual(seen, ['al']);
  });

  test('bad requests never reach the pool', async () => {
    const { call } = harness({});
    assert.equal((await call(undefined, '{}')).json.__type, 'UnknownOperationException');
    assert.equal((await call('SignUp', '{}')).json.__type, 'UnknownOperationException');
    assert.equal((await call(T('constructor'), '{}')).json.__type, 'UnknownOperationException');
    assert.equal((await call(T('AdminInitiateAuth'), '{}')).json.__type, 'UnknownOperationException');
    assert.equal((await call(T('SignUp'), '{nope')).json.__type, 'SerializationException');
    assert.equal((await call(T('SignUp'), 'null')).json.__type, 'SerializationException');
    const empty = await call(T('GetUser'), '');
    assert.deepEqual(empty.json, {
      __type: 'InvalidParameterException',
      message: "1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null",
    });
    const typed = await call(T('SignUp'), JSON.stringify({ ClientId: 'c1', Username: 'u', Password: 'p', UserAttributes: [{ Name: 7 }] }));
    assert.equal(typed.status, 400);
    assert.match(String(typed.json.message), /userAttributes\.1\.member\.name/);
    const long = await call(T('SignUp'), JSON.stringify({ ClientId: 'c1', Username: 'u'.repeat(129), Password: 'p' }));
    assert.match(String(long.json.message), /Member must have length less than or equal to 128/);
  });
});
