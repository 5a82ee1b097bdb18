import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { identityFixture, rejectsWith, tokensOf, type IdentityFixture } from '../support/identity-fixture.ts';
import { MemoryTables } from '../support/memory-tables.ts';
import type { AuthenticationResult } from '../../src/domain/identity/create-identity.ts';

// scrypt costs ~0.2-0.5 s per hash by design: the suite reuses one user across steps.
const PASSWORD = 'Corr3ct!horse';

describe('identity service (in-memory tables, manual clock)', () => {
  let f: IdentityFixture;
  let session1: AuthenticationResult;
  const signIn = (username: string, password: string) =>
    tokensOf(f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters: { USERNAME: username, PASSWORD: password } }));
  const refresh = (token: string, flow = 'REFRESH_TOKEN_AUTH') =>
    tokensOf(f.identity.initiateAuth({ clientId: f.clientId, authFlow: flow, authParameters: { REFRESH_TOKEN: token } }));

  before(async () => {
    f = await identityFixture();
  });

  test('SignUp stores a scrypt hash (never the password) and delivers a code to the masked email', async () => {
    const out = await f.identity.signUp({
      clientId: f.clientId,
      username: 'Alice',
      password: PASSWORD,
      attributes: [
        { name: 'email', value: 'alice@example.com' },
        { name: 'nickname', value: 'ally' },
      ],
    });
    assert.equal(out.userConfirmed, false);
    assert.match(out.userSub, /^[0-9a-f-]{36}$/);
    assert.deepEqual(out.codeDelivery, { destination: 'a***@e***', deliveryMedium: 'EMAIL', attributeName: 'email' });
    assert.deepEqual(f.codes.at(-1), { username: 'Alice', code: f.codeFor('alice'), purpose: 'sign_up', destination: 'alice@example.com' });
    const dump = JSON.stringify(f.tables.dump(f.config.tables.identity));
    assert.ok(!dump.includes(PASSWORD) && !dump.includes(f.codeFor('alice')));
    assert.match(dump, /\$scrypt\$ln=17,r=8,p=1\$/);
  });

  test('bad sign-ups: unknown client, weak password, taken name (case-insensitive), bad username', async () => {
    await rejectsWith(
      f.identity.signUp({ clientId: 'nope', username: 'x', password: PASSWORD }),
      'ResourceNotFoundException',
      'User pool client nope does not exist.',
    );
    await rejectsWith(
      f.identity.signUp({ clientId: f.clientId, username: 'weak', password: 'password' }),
      'InvalidPasswordException',
      'Password did not conform with policy: Password must have uppercase characters',
    );
    await rejectsWith(f.identity.signUp({ clientId: f.clientId, username: 'ALICE', password: PASSWORD }), 'UsernameExistsException', 'User already exists');
    await rejectsWith(f.identity.signUp({ clientId: f.clientId, username: 'a b', password: PASSWORD }), 'InvalidParameterException');
  });

  test('unconfirmed: sign-in refused with UserNotConfirmedException; wrong code is CodeMismatch', async () => {
    await rejectsWith(signIn('alice', PASSWORD), 'UserNotConfirmedException', 'User is not confirmed.');
    const wrong = f.codeFor('alice') === '123456' ? '654321' : '123456';
    await rejectsWith(f.identity.confirmSignUp({ clientId: f.clientId, username: 'alice', code: wrong }), 'CodeMismatchException');
    await rejectsWith(f.identity.confirmSignUp({ clientId: f.clientId, username: 'ghost', code: wrong }), 'CodeMismatchException');
  });

  test('PostConfirmation runs before the user is marked confirmed, so a failure can be retried', async () => {
    f.failPostConfirmation.count = 1;
    const code = f.codeFor('alice');
    await rejectsWith(f.identity.confirmSignUp({ clientId: f.clientId, username: 'alice', code }), 'UnexpectedLambdaException');
    const stored = f.tables.dump(f.config.tables.identity).find((i) => i.pk === 'USER#alice');
    assert.equal(stored?.status, 'UNCONFIRMED');
    await f.identity.confirmSignUp({ clientId: f.clientId, username: 'ALICE', code });
    assert.equal(f.confirmed.length, 1);
    assert.equal(f.confirmed[0].username, 'Alice');
    assert.deepEqual(f.confirmed[0].attributes, { email: 'alice@example.com', nickname: 'ally', email_verified: 'true' });
    await rejectsWith(
      f.identity.confirmSignUp({ clientId: f.clientId, username: 'alice', code }),
      'NotAuthorizedException',
      'User cannot be confirmed. Current status is CONFIRMED',
    );
  });

  test('sign-in (case-insensitive username) issues Cognito-shaped ID and access tokens', async () => {
    session1 = await signIn('aLiCe', PASSWORD);
    assert.equal(session1.tokenType, 'Bearer');
    assert.equal(session1.expiresIn, 3600);
    assert.match(session1.refreshToken!, /^[\w-]{40,}$/);
    const id = decodeJwt(session1.idToken);
    const access = decodeJwt(session1.accessToken);
    const now = Math.floor(f.clock.now() / 1000);
    assert.deepEqual(Object.keys(id).sort(), [
      'aud', 'auth_time', 'cognito:username', 'email', 'email_verified', 'event_id', 'exp', 'iat', 'iss', 'jti', 'nickname', 'origin_jti', 'sub', 'token_use',
    ]);
    assert.deepEqual(Object.keys(access).sort(), [
      'auth_time', 'client_id', 'event_id', 'exp', 'iat', 'iss', 'jti', 'origin_jti', 'scope', 'sub', 'token_use', 'username',
    ]);
    assert.equal(id.token_use, 'id');
    assert.equal(id.aud, f.clientId);
    assert.equal(id.iss, f.issuer);
    assert.equal(id['cognito:username'], 'Alice');
    assert.equal(id.email_verified, true);
    assert.equal(id.iat, now);
    assert.equal(id.exp, now + 3600);
    assert.equal(access.token_use, 'access');
    assert.equal(access.client_id, f.clientId);
    assert.equal(access.scope, 'aws.cognito.signin.user.admin');
    assert.equal(access.username, 'Alice');
    assert.equal(access.origin_jti, id.origin_jti);
    assert.equal(access.sub, id.sub);
    assert.notEqual(access.jti, id.jti);
    const [hid, hac] = [decodeProtectedHeader(session1.idToken), decodeProtectedHeader(session1.accessToken)];
    assert.equal(hid.alg, 'RS256');
    assert.notEqual(hid.kid, hac.kid);
    assert.equal(hid.kid!.length, 44);
  });

  test('verify() accepts both tokens and returns the principal', async () => {
    const p = await f.identity.verify(session1.accessToken);
    assert.equal(p.tokenUse, 'access');
    assert.equal(p.username, 'Alice');
    assert.deepEqual(p.groups, []);
    const q = await f.identity.verify(session1.idToken);
    assert.equal(q.tokenUse, 'id');
    assert.equal(q.sub, p.sub);
  });

  test('refresh (REFRESH_TOKEN_AUTH, REFRESH_TOKEN, GetTokensFromRefreshToken): new tokens, same auth_time, no refresh token', async () => {
    const first = decodeJwt(session1.accessToken);
    f.clock.advance(10 * 60_000);
    for (const result of [
      await refresh(session1.refreshToken!),
      await refresh(session1.refreshToken!, 'REFRESH_TOKEN'),
      await f.identity.getTokensFromRefreshToken({ clientId: f.clientId, refreshToken: session1.refreshToken! }),
    ]) {
      assert.equal('refreshToken' in result, false);
      const access = decodeJwt(result.accessToken);
      const id = decodeJwt(result.idToken);
      assert.equal(access.auth_time, first.auth_time);
      assert.equal(id.auth_time, first.auth_time);
      assert.equal(access.iat, (first.iat as number) + 600);
      assert.equal(access.origin_jti, first.origin_jti);
      await f.identity.verify(result.accessToken);
    }
    await rejectsWith(refresh('not-a-token'), 'NotAuthorizedException', 'Invalid Refresh Token');
    await rejectsWith(refresh(''), 'InvalidParameterException', 'Missing required parameter REFRESH_TOKEN');
    await rejectsWith(
      f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_SRP_AUTH', authParameters: { USERNAME: 'alice' } }),
      'InvalidParameterException',
      'Missing required parameter SRP_A',
    );
    await rejectsWith(
      f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'CUSTOM_AUTH', authParameters: {} }),
      'InvalidParameterException',
      'CUSTOM_AUTH flow not enabled for this client',
    );
    await rejectsWith(f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'MAGIC', authParameters: {} }), 'InvalidParameterException');
  });

  test('groups appear in cognito:groups of tokens issued afterwards', async () => {
    await f.identity.addUserToGroup('alice', 'admins');
    const r = await refresh(session1.refreshToken!);
    assert.deepEqual(decodeJwt(r.idToken)['cognito:groups'], ['admins']);
    assert.deepEqual(decodeJwt(r.accessToken)['cognito:groups'], ['admins']);
    assert.deepEqual((await f.identity.verify(r.accessToken)).groups, ['admins']);
    await f.identity.removeUserFromGroup('alice', 'admins');
    assert.equal('cognito:groups' in decodeJwt((await refresh(session1.refreshToken!)).idToken), false);
    await rejectsWith(f.identity.addUserToGroup('ghost', 'admins'), 'UserNotFoundException');
  });

  test('RevokeToken ends that session (refresh token and its tokens) only', async () => {
    const session2 = await signIn('alice', PASSWORD);
    await f.identity.revokeToken({ clientId: f.clientId, token: session2.refreshToken! });
    await rejectsWith(f.identity.verify(session2.accessToken), 'NotAuthorizedException', 'Token has been revoked');
    await rejectsWith(f.identity.verify(session2.idToken), 'NotAuthorizedException');
    await rejectsWith(refresh(session2.refreshToken!), 'NotAuthorizedException', 'Refresh Token has been revoked');
    await rejectsWith(f.identity.getUser({ accessToken: session2.accessToken }), 'NotAuthorizedException', 'Access Token has been revoked');
    await f.identity.verify(session1.accessToken);
    await f.identity.revokeToken({ clientId: f.clientId, token: 'unknown-token' });
    await rejectsWith(f.identity.revokeToken({ clientId: f.clientId, token: session1.accessToken }), 'UnsupportedTokenTypeException');
  });

  test('GetUser, UpdateUserAttributes (email change needs verification), VerifyUserAttribute', async () => {
    const user = await f.identity.getUser({ accessToken: session1.accessToken });
    assert.equal(user.username, 'Alice');
    assert.equal(user.attributes[0].name, 'sub');
    assert.deepEqual(Object.fromEntries(user.attributes.map((a) => [a.name, a.value])).email_verified, 'true');
    await rejectsWith(f.identity.getUser({ accessToken: session1.idToken }), 'NotAuthorizedException', 'Invalid Access Token');

    const out = await f.identity.updateUserAttributes({
      accessToken: session1.accessToken,
      attributes: [
        { name: 'email', value: 'alice@new.example' },
        { name: 'name', value: 'Alice A.' },
      ],
    });
    assert.deepEqual(out.codeDeliveries, [{ destination: 'a***@n***', deliveryMedium: 'EMAIL', attributeName: 'email' }]);
    let attrs = Object.fromEntries((await f.identity.getUser({ accessToken: session1.accessToken })).attributes.map((a) => [a.name, a.value]));
    assert.equal(attrs.email, 'alice@new.example');
    assert.equal(attrs.email_verified, 'false');
    assert.equal(attrs.name, 'Alice A.');
    await f.identity.verifyUserAttribute({ accessToken: session1.accessToken, attributeName: 'email', code: f.codeFor('alice', 'verify_email') });
    attrs = Object.fromEntries((await f.identity.getUser({ accessToken: session1.accessToken })).attributes.map((a) => [a.name, a.value]));
    assert.equal(attrs.email_verified, 'true');
    await rejectsWith(
      f.identity.updateUserAttributes({ accessToken: session1.accessToken, attributes: [{ name: 'email_verified', value: 'true' }] }),
      'NotAuthorizedException',
    );
  });

  test('five wrong passwords lock the account, even sent as one parallel burst; then the right one is refused', async () => {
    const burst = await Promise.allSettled(Array.from({ length: 5 }, () => signIn('alice', 'Wr0ng!pass')));
    for (const r of burst) assert.equal(r.status === 'rejected' && (r.reason as { code: string }).code, 'NotAuthorizedException');
    await rejectsWith(signIn('alice', PASSWORD), 'NotAuthorizedException', 'Password attempts exceeded');
    await rejectsWith(signIn('alice', PASSWORD), 'NotAuthorizedException', 'Password attempts exceeded');
    f.clock.advance(1000);
    await signIn('alice', PASSWORD); // unlocked after 1 s; success resets the counter
    await rejectsWith(signIn('alice', 'Wr0ng!pass'), 'NotAuthorizedException', 'Incorrect username or password.');
    await signIn('alice', PASSWORD);
  });

  test('unknown user and wrong password give the identical error', async () => {
    const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: { code: string; message: string }) => ({ code: e.code, message: e.message }));
    assert.deepEqual(await errorOf(signIn('nobody', PASSWORD)), await errorOf(signIn('alice', 'Wr0ng!pass')));
  });

  test('ChangePassword checks the previous password and the policy', async () => {
    await rejectsWith(
      f.identity.changePassword({ accessToken: session1.accessToken, previousPassword: PASSWORD, proposedPassword: 'short' }),
      'InvalidPasswordException',
    );
    await rejectsWith(
      f.identity.changePassword({ accessToken: session1.accessToken, previousPassword: 'Wr0ng!pass', proposedPassword: 'N3w!passw0rd' }),
      'NotAuthorizedException',
      'Incorrect username or password.',
    );
    await f.identity.changePassword({ accessToken: session1.accessToken, previousPassword: PASSWORD, proposedPassword: 'N3w!passw0rd' });
  });

  test('ForgotPassword / ConfirmForgotPassword; unknown users get a simulated delivery', async () => {
    const out = await f.identity.forgotPassword({ clientId: f.clientId, username: 'alice' });
    assert.deepEqual(out.codeDelivery, { destination: 'a***@n***', deliveryMedium: 'EMAIL', attributeName: 'email' });
    const code = f.codeFor('alice', 'forgot_password');
    const ghost = await f.identity.forgotPassword({ clientId: f.clientId, username: 'ghost@example.com' });
    assert.deepEqual(ghost.codeDelivery, { destination: 'g***@e***', deliveryMedium: 'EMAIL', attributeName: 'email' });
    await rejectsWith(
      f.identity.confirmForgotPassword({ clientId: f.clientId, username: 'ghost@example.com', code, password: PASSWORD }),
      'CodeMismatchException',
    );
    await rejectsWith(
      f.identity.confirmForgotPassword({ clientId: f.clientId, username: 'alice', code, password: 'weak' }),
      'InvalidPasswordException',
    );
    await f.identity.confirmForgotPassword({ clientId: f.clientId, username: 'alice', code, password: PASSWORD });
    await rejectsWith(
      f.identity.confirmForgotPassword({ clientId: f.clientId, username: 'alice', code, password: PASSWORD }),
      'ExpiredCodeException',
    );
  });

  test('pendingCodes lists unexpired codes for the operator', async () => {
    await f.identity.resendConfirmationCode({ clientId: f.clientId, username: 'ghost' });
    await rejectsWith(f.identity.resendConfirmationCode({ clientId: f.clientId, username: 'alice' }), 'InvalidParameterException');
    await f.identity.forgotPassword({ clientId: f.clientId, username: 'alice' });
    const pending = await f.identity.pendingCodes();
    assert.deepEqual(
      pending.map((p) => [p.username, p.purpose, p.code]),
      [['Alice', 'forgot_password', f.codeFor('alice', 'forgot_password')]],
    );
  });

  test('GlobalSignOut revokes every session and tokens issued before it', async () => {
    const session3 = await signIn('alice', PASSWORD);
    f.clock.advance(1);
    await f.identity.globalSignOut({ accessToken: session3.accessToken });
    for (const t of [session1.accessToken, session1.idToken, session3.accessToken]) {
      await rejectsWith(f.identity.verify(t), 'NotAuthorizedException', 'Token has been revoked');
    }
    await rejectsWith(refresh(session3.refreshToken!), 'NotAuthorizedException', 'Refresh Token has been revoked');
    await rejectsWith(f.identity.globalSignOut({ accessToken: session3.accessToken }), 'NotAuthorizedException', 'Access Token has been revoked');
    f.clock.advance(1);
    session1 = await signIn('alice', PASSWORD);
    await f.identity.verify(session1.accessToken);
  });

  test('DeleteUser removes the account and its sessions; the name can be signed up again', async () => {
    const before = await f.identity.getUser({ accessToken: session1.accessToken });
    await f.identity.deleteUser({ accessToken: session1.accessToken });
    await rejectsWith(f.identity.verify(session1.accessToken), 'NotAuthorizedException');
    await rejectsWith(refresh(session1.refreshToken!), 'NotAuthorizedException', 'Invalid Refresh Token');
    const left = f.tables
      .dump(f.config.tables.identity)
      .filter((i) => /^(USER|FAM|RT)#/.test(String(i.pk)) || (String(i.pk).startsWith('CODE#') && i.hash !== undefined));
    assert.deepEqual(left, []);
    const again = await f.identity.signUp({ clientId: f.clientId, username: 'alice', password: PASSWORD });
    assert.notEqual(again.userSub, before.attributes[0].value);
    await f.identity.adminConfirm('alice');
    await rejectsWith(f.identity.adminConfirm('alice'), 'NotAuthorizedException');
  });
});

describe('identity service: nothing secret leaves through logs', () => {
  test('codes and passwords appear in no log line', async () => {
    const f = await identityFixture();
    await f.identity.signUp({ clientId: f.clientId, username: 'lena', password: PASSWORD, attributes: [{ name: 'email', value: 'l@example.com' }] });
    f.failPostConfirmation.count = 1; // an error path that logs
    await rejectsWith(f.identity.confirmSignUp({ clientId: f.clientId, username: 'lena', code: f.codeFor('lena') }), 'UnexpectedLambdaException');
    assert.ok(f.logs.length > 0);
    const text = JSON.stringify(f.logs);
    assert.ok(!text.includes(PASSWORD) && !text.includes(f.codeFor('lena')));
  });
});

describe('identity service: auto-confirm and keys', () => {
  test('autoConfirm confirms at SignUp; a failed PostConfirmation undoes the sign-up', async () => {
    const f = await identityFixture({ autoConfirm: true });
    f.failPostConfirmation.count = 1;
    await rejectsWith(f.identity.signUp({ clientId: f.clientId, username: 'bob', password: PASSWORD }), 'UnexpectedLambdaException');
    const out = await f.identity.signUp({ clientId: f.clientId, username: 'bob', password: PASSWORD });
    assert.equal(out.userConfirmed, true);
    assert.equal(out.codeDelivery, undefined);
    assert.deepEqual(f.confirmed.map((u) => u.sub), [out.userSub]);
    assert.equal(f.codes.length, 0);
  });

  test('signing keys are generated once and shared: replicas racing on first start agree', async () => {
    const tables = new MemoryTables();
    const clock = (await identityFixture()).clock;
    const [a, b] = await Promise.all([identityFixture({}, { tables, clock }), identityFixture({}, { tables, clock })]);
    const jwksA = await a.identity.wellKnown(a.poolId, 'jwks.json');
    const jwksB = await b.identity.wellKnown(b.poolId, 'jwks.json');
    assert.deepEqual(jwksA, jwksB);
    assert.deepEqual(await (await a.replica()).wellKnown(a.poolId, 'jwks.json'), jwksA);
    const keys = (jwksA as { keys: Array<Record<string, string>> }).keys;
    assert.equal(keys.length, 2);
    for (const k of keys) {
      assert.deepEqual(Object.keys(k).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.equal(k.alg, 'RS256');
      assert.equal(k.use, 'sig');
    }
    assert.equal(await a.identity.wellKnown('eu-west-3_other', 'jwks.json'), undefined);
    const oidc = (await a.identity.wellKnown(a.poolId, 'openid-configuration')) as Record<string, unknown>;
    assert.equal(oidc.issuer, a.issuer);
    assert.equal(oidc.jwks_uri, `${a.issuer}/.well-known/jwks.json`);
    const system = tables.dump(a.config.tables.system);
    assert.equal(system.length, 1);
  });
});
