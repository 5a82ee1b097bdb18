import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createHmac } from 'node:crypto';
import {
  ChangePasswordCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  DeleteUserCommand,
  ForgotPasswordCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RevokeTokenCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Identity } from '../../src/domain/identity/create-identity.ts';
import { replicaIdentity, signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

// scrypt costs ~0.2-0.5 s per hash by design: users are reused across steps.
const PASSWORD = 'Corr3ct!horse';
const NEW_PASSWORD = 'N3w!battery';
const RESET_PASSWORD = 'R3set!staple';

/** The SDK's error as name + message + HTTP status. */
async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('Cognito user pool over the wire (AWS SDK v3)', () => {
  let s: TestServer;
  let replica: Identity;
  let tokens: Awaited<ReturnType<typeof signIn>>;
  const user = 'Erin@Example.com';

  /** A raw JSON 1.1 call, for what the SDK hides (headers, absent members, malformed bodies). */
  const raw = async (action: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${s.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  before(async () => {
    s = await startTestServer();
    // A second instance over the same store, as another replica would run: same keys, same state.
    replica = await replicaIdentity(s);
  });
  after(async () => {
    await s?.stop();
  });

  test('SignUp answers the Cognito shape and delivers a code; ConfirmSignUp with it; then sign-in', async () => {
    const out = await s.cognito.send(
      new SignUpCommand({
        ClientId: s.clientId,
        Username: user,
        Password: PASSWORD,
        UserAttributes: [
          { Name: 'email', Value: 'erin@example.com' },
          { Name: 'nickname', Value: 'erin' },
        ],
      }),
    );
    assert.equal(out.UserConfirmed, false);
    assert.match(out.UserSub!, /^[0-9a-f-]{36}$/);
    assert.deepEqual(out.CodeDeliveryDetails, { Destination: 'e***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    assert.ok(out.$metadata.requestId);

    const wrong = s.codeFor(user) === '000000' ? '000001' : '000000';
    assert.deepEqual(await sdkError(s.cognito.send(new ConfirmSignUpCommand({ ClientId: s.clientId, Username: user, ConfirmationCode: wrong }))), {
      name: 'CodeMismatchException',
      message: 'Invalid verification code provided, please try again.',
      status: 400,
    });
    await s.cognito.send(new ConfirmSignUpCommand({ ClientId: s.clientId, Username: 'erin@example.com', ConfirmationCode: s.codeFor(user) }));

    tokens = await signIn(s, 'ERIN@example.com', PASSWORD);
    assert.equal(tokens.TokenType, 'Bearer');
    assert.equal(tokens.ExpiresIn, 3600);
    const id = decodeJwt(tokens.IdToken);
    assert.equal(id['cognito:username'], user);
    assert.equal(id.email_verified, true);
    assert.equal(id.sub, out.UserSub);
  });

  test('JWKS and discovery are served, and the issued tokens verify against them with jose', async () => {
    const poolId = s.app.installation.userPoolId;
    const jwks = (await (await fetch(`${s.url}/${poolId}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const oidc = (await (await fetch(`${s.url}/${poolId}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    assert.equal(oidc.issuer, s.app.endpoints.issuer);
    assert.equal(oidc.jwks_uri, `${s.app.endpoints.issuer}/.well-known/jwks.json`);
    assert.equal((await fetch(`${s.url}/eu-west-3_nothere/.well-known/jwks.json`)).status, 404);

    const keySet = createLocalJWKSet(jwks);
    const id = await jwtVerify(tokens.IdToken, keySet, { issuer: oidc.issuer, audience: s.clientId, algorithms: ['RS256'] });
    assert.equal(id.payload.token_use, 'id');
    const access = await jwtVerify(tokens.AccessToken, keySet, { issuer: oidc.issuer, algorithms: ['RS256'] });
    assert.equal(access.payload.client_id, s.clientId);
    assert.equal(access.payload.scope, 'aws.cognito.signin.user.admin');
    assert.notEqual(id.protectedHeader.kid, access.protectedHeader.kid);
    assert.equal((await replica.verify(tokens.AccessToken)).username, user);
  });

  test('refresh via InitiateAuth REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken: no RefreshToken member', async () => {
    const viaInitiate = await raw('InitiateAuth', {
      ClientId: s.clientId,
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken },
    });
    assert.equal(viaInitiate.status, 200);
    assert.equal(viaInitiate.headers.get('content-type'), 'application/x-amz-json-1.1');
    const result = viaInitiate.json.AuthenticationResult as Record<string, unknown>;
    assert.deepEqual(Object.keys(result).sort(), ['AccessToken', 'ExpiresIn', 'IdToken', 'TokenType']);
    assert.deepEqual(viaInitiate.json.ChallengeParameters, {});

    const viaAlias = await s.cognito.send(
      new InitiateAuthCommand({ ClientId: s.clientId, AuthFlow: 'REFRESH_TOKEN', AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } }),
    );
    assert.equal(viaAlias.AuthenticationResult?.RefreshToken, undefined);

    const viaGet = await s.cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: s.clientId, RefreshToken: tokens.RefreshToken }));
    assert.ok(viaGet.AuthenticationResult?.AccessToken);
    assert.equal(viaGet.AuthenticationResult?.RefreshToken, undefined);
    const rawGet = await raw('GetTokensFromRefreshToken', { ClientId: s.clientId, RefreshToken: tokens.RefreshToken });
    assert.equal('RefreshToken' in (rawGet.json.AuthenticationResult as object), false);
    assert.equal(decodeJwt(viaGet.AuthenticationResult!.AccessToken!).auth_time, decodeJwt(tokens.AccessToken).auth_time);
  });

  test('GetUser, UpdateUserAttributes', async () => {
    const got = await s.cognito.send(new GetUserCommand({ AccessToken: tokens.AccessToken }));
    assert.equal(got.Username, user);
    const attrs = Object.fromEntries(got.UserAttributes!.map((a) => [a.Name, a.Value]));
    assert.deepEqual(attrs, { sub: decodeJwt(tokens.AccessToken).sub, email: 'erin@example.com', nickname: 'erin', email_verified: 'true' });

    const upd = await s.cognito.send(
      new UpdateUserAttributesCommand({ AccessToken: tokens.AccessToken, UserAttributes: [{ Name: 'nickname', Value: 'erin2' }, { Name: 'custom:city', Value: 'Oslo' }] }),
    );
    assert.deepEqual(upd.CodeDeliveryDetailsList, []);
    const after = await s.cognito.send(new GetUserCommand({ AccessToken: tokens.AccessToken }));
    const attrs2 = Object.fromEntries(after.UserAttributes!.map((a) => [a.Name, a.Value]));
    assert.equal(attrs2.nickname, 'erin2');
    assert.equal(attrs2['custom:city'], 'Oslo');
    const refreshed = await s.cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: s.clientId, RefreshToken: tokens.RefreshToken }));
    assert.equal(decodeJwt(refreshed.AuthenticationResult!.IdToken!)['custom:city'], 'Oslo');
  });

  test('ChangePassword, then ForgotPassword / ConfirmForgotPassword', async () => {
    assert.equal(
      (await sdkError(s.cognito.send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken, PreviousPassword: 'Wr0ng!pass', ProposedPassword: NEW_PASSWORD })))).name,
      'NotAuthorizedException',
    );
    await s.cognito.send(new ChangePasswordCommand({ AccessToken: tokens.AccessToken, PreviousPassword: PASSWORD, ProposedPassword: NEW_PASSWORD }));

    const forgot = await s.cognito.send(new ForgotPasswordCommand({ ClientId: s.clientId, Username: user }));
    assert.deepEqual(forgot.CodeDeliveryDetails, { Destination: 'e***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    const code = s.codeFor(user, 'forgot_password');
    assert.deepEqual(
      await sdkError(s.cognito.send(new ConfirmForgotPasswordCommand({ ClientId: s.clientId, Username: user, ConfirmationCode: code, Password: 'weakpass' }))),
      { name: 'InvalidPasswordException', message: 'Password did not conform with policy: Password must have uppercase characters', status: 400 },
    );
    await s.cognito.send(new ConfirmForgotPasswordCommand({ ClientId: s.clientId, Username: user, ConfirmationCode: code, Password: RESET_PASSWORD }));
    tokens = await signIn(s, user, RESET_PASSWORD);
  });

  test('RevokeToken ends that session: its tokens are refused by GetUser and by verify()', async () => {
    const other = await signIn(s, user, RESET_PASSWORD);
    await s.cognito.send(new RevokeTokenCommand({ ClientId: s.clientId, Token: other.RefreshToken }));
    assert.deepEqual(await sdkError(s.cognito.send(new GetUserCommand({ AccessToken: other.AccessToken }))), {
      name: 'NotAuthorizedException',
      message: 'Access Token has been revoked',
      status: 400,
    });
    await assert.rejects(replica.verify(other.AccessToken), /revoked/);
    await assert.rejects(replica.verify(other.IdToken), /revoked/);
    assert.equal(
      (await sdkError(s.cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: s.clientId, RefreshToken: other.RefreshToken })))).message,
      'Refresh Token has been revoked',
    );
    await replica.verify(tokens.AccessToken); // the other session is untouched
  });

  test('bad input: malformed JSON, unknown target, missing members, unknown client', async () => {
    const malformed = await raw('SignUp', '{"ClientId":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.__type, 'SerializationException');
    assert.equal(malformed.headers.get('x-amzn-errortype'), 'SerializationException:');
    assert.ok(malformed.headers.get('x-amzn-requestid'));

    const unknown = await raw('AdminInitiateAuth', {});
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.__type, 'UnknownOperationException');

    const missing = await raw('SignUp', { Username: 'x', Password: PASSWORD });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json, {
      __type: 'InvalidParameterException',
      message: "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null",
    });
    const illTyped = await raw('InitiateAuth', { ClientId: s.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 1 } });
    assert.equal(illTyped.json.__type, 'InvalidParameterException');
    const notObject = await raw('GetUser', '[1,2]');
    assert.equal(notObject.json.__type, 'SerializationException');

    assert.deepEqual(await sdkError(s.cognito.send(new ForgotPasswordCommand({ ClientId: 'nosuchclient', Username: user }))), {
      name: 'ResourceNotFoundException',
      message: 'User pool client nosuchclient does not exist.',
      status: 400,
    });
  });

  test('weak password, taken username (any case), wrong confirmation code', async () => {
    assert.deepEqual(await sdkError(s.cognito.send(new SignUpCommand({ ClientId: s.clientId, Username: 'frank', Password: 'Short1!' }))), {
      name: 'InvalidPasswordException',
      message: 'Password did not conform with policy: Password not long enough',
      status: 400,
    });
    assert.deepEqual(await sdkError(s.cognito.send(new SignUpCommand({ ClientId: s.clientId, Username: 'ERIN@EXAMPLE.COM', Password: PASSWORD }))), {
      name: 'UsernameExistsException',
      message: 'User already exists',
      status: 400,
    });
    assert.equal(
      (await sdkError(s.cognito.send(new ConfirmSignUpCommand({ ClientId: s.clientId, Username: 'ghost', ConfirmationCode: '123456' })))).name,
      'CodeMismatchException',
    );
  });

  test('unknown user and wrong password are indistinguishable (status, body, headers)', async () => {
    const body = (u: string) => ({ ClientId: s.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: u, PASSWORD: 'Wr0ng!pass' } });
    const a = await raw('InitiateAuth', body('nobody@example.com'));
    const b = await raw('InitiateAuth', body(user));
    assert.equal(a.status, 400);
    assert.equal(a.status, b.status);
    assert.equal(a.text, b.text);
    assert.deepEqual(a.json, { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    for (const h of ['content-type', 'x-amzn-errortype', 'x-amzn-errormessage']) assert.equal(a.headers.get(h), b.headers.get(h), h);
  });

  test('ConfirmForgotPassword answers an unknown username exactly as a known one, before and after ForgotPassword', async () => {
    await signUpAndConfirm(s, 'cfp-known', PASSWORD, { email: 'cfp-known@example.com' });
    const confirm = (u: string, code: string) => raw('ConfirmForgotPassword', { ClientId: s.clientId, Username: u, ConfirmationCode: code, Password: NEW_PASSWORD });
    const same = async (code: string) => {
      const [a, b] = [await confirm('cfp-known', code), await confirm('cfp-nobody', code)];
      assert.equal(a.status, b.status);
      assert.equal(a.text, b.text);
      for (const h of ['content-type', 'x-amzn-errortype', 'x-amzn-errormessage']) assert.equal(a.headers.get(h), b.headers.get(h), h);
      return a.json;
    };
    // No code requested: expired for both.
    assert.deepEqual(await same('123456'), { __type: 'ExpiredCodeException', message: 'Invalid code provided, please request a code again.' });
    for (const u of ['cfp-known', 'cfp-nobody']) await s.cognito.send(new ForgotPasswordCommand({ ClientId: s.clientId, Username: u }));
    const real = s.codeFor('cfp-known', 'forgot_password');
    const wrong = real === '000000' ? '000001' : '000000';
    // A code requested: mismatch for both, then the same attempt limit.
    for (let i = 0; i < 5; i++) assert.equal((await same(wrong)).__type, 'CodeMismatchException');
    assert.deepEqual(await same(wrong), { __type: 'LimitExceededException', message: 'Attempt limit exceeded, please try after some time.' });
  });

  test('five wrong passwords lock the account, even for the right password', async () => {
    // One failure was counted by the previous test.
    for (let i = 0; i < 4; i++) {
      assert.equal((await sdkError(signIn(s, user, 'Wr0ng!pass'))).message, 'Incorrect username or password.');
    }
    assert.deepEqual(await sdkError(signIn(s, user, RESET_PASSWORD)), {
      name: 'NotAuthorizedException',
      message: 'Password attempts exceeded',
      status: 400,
    });
  });

  test('public actions accept signed and unsigned requests alike', async () => {
    const signed = await raw(
      'ResendConfirmationCode',
      { ClientId: s.clientId, Username: 'ghost@example.com' },
      { authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-3/cognito-idp/aws4_request, SignedHeaders=host, Signature=00' },
    );
    assert.equal(signed.status, 200);
    assert.deepEqual(signed.json, { CodeDeliveryDetails: { Destination: 'g***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' } });
    const out = await s.cognito.send(new ResendConfirmationCodeCommand({ ClientId: s.clientId, Username: 'ghost2@example.com' }));
    assert.equal(out.CodeDeliveryDetails?.DeliveryMedium, 'EMAIL');
  });

  test('forged tokens are refused over the wire (alg none, HS256 with the public key, unknown kid, tampered)', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = decodeJwt(tokens.AccessToken);
    const [header] = tokens.AccessToken.split('.');
    const kid = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }).kid;
    const jwks = (await (await fetch(`${s.url}/${s.app.installation.userPoolId}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const pem = createPublicKey({ key: jwks.keys.find((k) => k.kid === kid)! as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
    const hsHead = `${b64({ alg: 'HS256', kid })}.${b64(claims)}`;
    const forged = [
      `${b64({ alg: 'none', kid })}.${b64(claims)}.`,
      `${hsHead}.${createHmac('sha256', pem).update(hsHead).digest('base64url')}`,
      `${b64({ alg: 'RS256', kid: 'unknown' })}.${b64(claims)}.${tokens.AccessToken.split('.')[2]}`,
      `${header}.${b64({ ...claims, username: 'admin' })}.${tokens.AccessToken.split('.')[2]}`,
    ];
    for (const t of forged) {
      assert.deepEqual(await sdkError(s.cognito.send(new GetUserCommand({ AccessToken: t }))), {
        name: 'NotAuthorizedException',
        message: 'Invalid Access Token',
        status: 400,
      });
      await assert.rejects(replica.verify(t));
    }
  });

  test('GlobalSignOut revokes every session; DeleteUser removes the account', async () => {
    // Wait out the 1 s lock from the previous test, then open a second session.
    await new Promise((r) => setTimeout(r, 1100));
    const second = await signIn(s, user, RESET_PASSWORD);
    await new Promise((r) => setTimeout(r, 5));
    await s.cognito.send(new GlobalSignOutCommand({ AccessToken: second.AccessToken }));
    for (const t of [tokens.AccessToken, second.AccessToken]) {
      assert.equal((await sdkError(s.cognito.send(new GetUserCommand({ AccessToken: t })))).message, 'Access Token has been revoked');
      await assert.rejects(replica.verify(t), /revoked/);
    }
    assert.equal(
      (await sdkError(s.cognito.send(new InitiateAuthCommand({ ClientId: s.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken } })))).message,
      'Refresh Token has been revoked',
    );

    await new Promise((r) => setTimeout(r, 5));
    const third = await signIn(s, user, RESET_PASSWORD);
    await s.cognito.send(new DeleteUserCommand({ AccessToken: third.AccessToken }));
    assert.equal((await sdkError(s.cognito.send(new GetUserCommand({ AccessToken: third.AccessToken })))).name, 'NotAuthorizedException');
    assert.equal((await sdkError(signIn(s, user, RESET_PASSWORD))).message, 'Incorrect username or password.');
  });

  test('helpers: signUpAndConfirm + signIn', async () => {
    const sub = await signUpAndConfirm(s, 'gina', PASSWORD, { email: 'gina@example.com' });
    const t = await signIn(s, 'gina', PASSWORD);
    assert.equal(decodeJwt(t.AccessToken).sub, sub);
  });
});
