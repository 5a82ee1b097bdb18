/**
 * The Cognito admin API over the wire: the AWS SDK v3 and the AWS CLI, SigV4-signed with the
 * installation's operator credentials; Amplify v6 finishing NEW_PASSWORD_REQUIRED for an
 * administrator-created user; and the refusals Cognito gives unsigned or wrongly signed calls.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AdminAddUserToGroupCommand,
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  DeleteUserCommand,
  GetTokensFromRefreshTokenCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  SignUpCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt } from 'jose';
import { amplifyConfig } from '../../src/runtime/endpoints.ts';
import { okResult, runAmplify } from '../support/amplify.ts';
import { graphqlCaller } from '../support/graphql-client.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'Corr3ct!horse';
const TEMP = 'Temp0rary!pass';
const run = promisify(execFile);

async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string };
    return { name: e.name, message: e.message };
  }
  throw new Error('expected the call to fail');
}

describe('Cognito admin API (SigV4, operator credentials)', () => {
  let s: TestServer;
  let admin: CognitoIdentityProviderClient;
  let poolId: string;
  const tokens: Record<string, string> = {};
  const { data } = graphqlCaller(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);
  const attrs = (u: UserType | undefined) => Object.fromEntries((u?.Attributes ?? []).map((a) => [a.Name, a.Value]));

  /** A raw admin call: `sign` decides how (or whether) it is signed. */
  const raw = async (action: string, body: object, sign?: { key: string; secret: string; region?: string; date?: Date }) => {
    const url = new URL(s.url);
    const payload = JSON.stringify(body);
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
      host: url.host,
    };
    if (sign) {
      // Signed with the AWS SDK's signer, exactly as a client would.
      const { SignatureV4 } = await import('@smithy/signature-v4');
      const { Sha256 } = await import('@aws-crypto/sha256-js');
      const signer = new SignatureV4({
        credentials: { accessKeyId: sign.key, secretAccessKey: sign.secret },
        region: sign.region ?? s.app.config.region,
        service: 'cognito-idp',
        sha256: Sha256,
      });
      const signed = await signer.sign(
        { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers, body: payload },
        { signingDate: sign.date ?? new Date() },
      );
      Object.assign(headers, signed.headers);
    }
    const res = await fetch(`${s.url}/`, { method: 'POST', headers, body: payload });
    return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), json: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    s = await startTestServer();
    poolId = s.app.installation.userPoolId;
    admin = new CognitoIdentityProviderClient({
      region: s.app.config.region,
      endpoint: s.url,
      credentials: { accessKeyId: s.app.installation.adminAccessKeyId, secretAccessKey: s.app.installation.adminSecretAccessKey },
      maxAttempts: 1,
    });
  });
  after(async () => {
    admin?.destroy();
    await s?.stop();
  });

  test('AdminCreateUser, then Amplify v6 signs in and answers NEW_PASSWORD_REQUIRED; the profile exists after', async () => {
    const created = await admin.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: 'Gaby',
        TemporaryPassword: TEMP,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: 'gaby@example.com' },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'nickname', Value: 'gaby' },
        ],
      }),
    );
    assert.equal(created.User?.UserStatus, 'FORCE_CHANGE_PASSWORD');
    assert.ok(created.User?.UserCreateDate instanceof Date);
    assert.equal(attrs(created.User).email_verified, 'true');
    const taken = await sdkError(admin.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'GABY', TemporaryPassword: TEMP })));
    assert.deepEqual(taken, { name: 'UsernameExistsException', message: 'User account already exists' });

    const results = await runAmplify({
      config: amplifyConfig(s.app.endpoints),
      steps: [
        { op: 'signIn', username: 'gaby', password: TEMP },
        { op: 'confirmSignIn', challengeResponse: 'Ch0sen!password' },
        { op: 'getCurrentUser' },
      ],
    });
    assert.equal((okResult(results[0]).nextStep as { signInStep: string }).signInStep, 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED');
    assert.deepEqual(okResult(results[1]), { isSignedIn: true, nextStep: { signInStep: 'DONE' } });
    assert.equal(okResult(results[2]).username, 'Gaby');

    const got = await admin.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'gaby' }));
    assert.equal(got.UserStatus, 'CONFIRMED');
    assert.equal(got.Enabled, true);
    assert.match(Object.fromEntries(got.UserAttributes!.map((a) => [a.Name, a.Value])).sub ?? '', /^[0-9a-f-]{36}$/);
    const profile = await data('query($n: String!) { getUserByNickname(nickname: $n) { nickname } }', { n: 'gaby' }, 'key');
    assert.deepEqual(profile, { getUserByNickname: { nickname: 'gaby' } });
  });

  test('ListUsers with Cognito filters and pagination', async () => {
    for (const name of ['ivan', 'ines', 'julia']) {
      await admin.send(
        new AdminCreateUserCommand({ UserPoolId: poolId, Username: name, TemporaryPassword: TEMP, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `${name}@example.org` }] }),
      );
    }
    const names = async (Filter?: string) =>
      ((await admin.send(new ListUsersCommand({ UserPoolId: poolId, Filter }))).Users ?? []).map((u) => u.Username).sort();
    assert.deepEqual(await names('email ^= "i"'), ['ines', 'ivan']);
    assert.deepEqual(await names('username = "JULIA"'), ['julia']);
    assert.deepEqual(await names('cognito:user_status = "confirmed"'), ['Gaby']);
    assert.deepEqual(await names('status = "Disabled"'), []);
    const gaby = (await admin.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'gaby' }))).UserAttributes!.find((a) => a.Name === 'sub')!.Value;
    assert.deepEqual(await names(`sub = "${gaby}"`), ['Gaby']);
    assert.deepEqual(await sdkError(names('email == "x"')), { name: 'InvalidParameterException', message: 'Error while parsing filter.' });

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await admin.send(new ListUsersCommand({ UserPoolId: poolId, Limit: 1, PaginationToken: token, AttributesToGet: ['email'] }));
      assert.ok((page.Users ?? []).length <= 1);
      for (const u of page.Users ?? []) {
        assert.deepEqual(Object.keys(attrs(u)), ['email']);
        seen.push(u.Username!);
      }
      token = page.PaginationToken;
    } while (token);
    assert.deepEqual(seen.sort(), ['Gaby', 'ines', 'ivan', 'julia']);
    assert.equal((await sdkError(admin.send(new ListUsersCommand({ UserPoolId: 'eu-west-3_other' })))).name, 'ResourceNotFoundException');
  });

  test('groups: add, list both ways, in the tokens, remove', async () => {
    await admin.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'gaby', GroupName: 'admin' }));
    await admin.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'gaby', GroupName: 'editors' }));
    const groups = await admin.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'gaby' }));
    assert.deepEqual(groups.Groups?.map((g) => g.GroupName), ['admin', 'editors']);
    const members = await admin.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'admin' }));
    assert.deepEqual(members.Users?.map((u) => u.Username), ['Gaby']);
    assert.deepEqual(decodeJwt((await signIn(s, 'gaby', 'Ch0sen!password')).IdToken)['cognito:groups'], ['admin', 'editors']);
    await admin.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: poolId, Username: 'gaby', GroupName: 'admin' }));
    assert.deepEqual((await admin.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'admin' }))).Users, []);
    assert.equal((await sdkError(admin.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'nobody', GroupName: 'x' })))).name, 'UserNotFoundException');
  });

  test('disable / enable, global sign-out, reset and set password, confirm sign-up', async () => {
    const session = await signIn(s, 'gaby', 'Ch0sen!password');
    await admin.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: 'gaby' }));
    assert.deepEqual(await sdkError(signIn(s, 'gaby', 'Ch0sen!password')), { name: 'NotAuthorizedException', message: 'User is disabled.' });
    const refresh = () => s.cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: s.clientId, RefreshToken: session.RefreshToken }));
    assert.equal((await sdkError(refresh())).name, 'NotAuthorizedException');
    await admin.send(new AdminEnableUserCommand({ UserPoolId: poolId, Username: 'gaby' }));
    const again = await signIn(s, 'gaby', 'Ch0sen!password');
    // Disabling ended the sessions that existed then; enabling does not bring them back.
    assert.equal((await sdkError(refresh())).name, 'NotAuthorizedException');

    await admin.send(new AdminUserGlobalSignOutCommand({ UserPoolId: poolId, Username: 'gaby' }));
    assert.equal(
      (await sdkError(s.cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: s.clientId, RefreshToken: again.RefreshToken })))).name,
      'NotAuthorizedException',
    );

    await admin.send(new AdminResetUserPasswordCommand({ UserPoolId: poolId, Username: 'gaby' }));
    assert.deepEqual(await sdkError(signIn(s, 'gaby', 'Ch0sen!password')), { name: 'PasswordResetRequiredException', message: 'Password reset required for the user' });
    await s.cognito.send(
      new ConfirmForgotPasswordCommand({ ClientId: s.clientId, Username: 'gaby', ConfirmationCode: s.codeFor('gaby', 'forgot_password'), Password: 'R3set!staple' }),
    );
    await signIn(s, 'gaby', 'R3set!staple');

    await admin.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'ivan', Password: 'Iv4n!permanent', Permanent: true }));
    assert.equal((await admin.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'ivan' }))).UserStatus, 'CONFIRMED');
    await signIn(s, 'ivan', 'Iv4n!permanent');

    await s.cognito.send(new SignUpCommand({ ClientId: s.clientId, Username: 'kai', Password: PASSWORD }));
    await admin.send(new AdminConfirmSignUpCommand({ UserPoolId: poolId, Username: 'kai' }));
    await signIn(s, 'kai', PASSWORD);
    assert.equal((await sdkError(admin.send(new AdminConfirmSignUpCommand({ UserPoolId: poolId, Username: 'kai' })))).name, 'NotAuthorizedException');
  });

  test('AdminDeleteUser and DeleteUser remove the profile, the nickname claim, the sessions and the edges', async () => {
    const hugo = await signUpAndConfirm(s, 'hugo', PASSWORD, { email: 'hugo@example.com', nickname: 'hugo' });
    const lia = await signUpAndConfirm(s, 'lia', PASSWORD, { email: 'lia@example.com', nickname: 'lia' });
    const hugoSession = await signIn(s, 'hugo', PASSWORD);
    tokens.hugo = hugoSession.AccessToken;
    tokens.lia = (await signIn(s, 'lia', PASSWORD)).AccessToken;
    await data('mutation($f: ID!) { followUser(followedId: $f) { followerId } }', { f: lia }, 'hugo');
    await data('mutation($f: ID!) { followUser(followedId: $f) { followerId } }', { f: hugo }, 'lia');

    const counters = async () => (await data('query($u: ID!) { getUser(userId: $u) { seguidores siguiendo } }', { u: lia }, 'key')).getUser;
    const settle = async (expected: object) => {
      const deadline = Date.now() + 20_000;
      while (JSON.stringify(await counters()) !== JSON.stringify(expected)) {
        if (Date.now() > deadline) throw new Error(`counters never became ${JSON.stringify(expected)}: ${JSON.stringify(await counters())}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await settle({ seguidores: 1, siguiendo: 1 });

    await admin.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'HUGO' }));
    const social = s.app.config.tables.social;
    assert.deepEqual((await s.app.tables.query({ table: social, partition: hugo })).items, []);
    assert.deepEqual((await s.app.tables.query({ table: social, index: 'GSI1', partition: hugo })).items, []);
    await settle({ seguidores: 0, siguiendo: 0 }); // UpdateUserCounters followed the removed edges
    assert.deepEqual(await data('query($u: ID!) { getUser(userId: $u) { userId } }', { u: hugo }, 'key'), { getUser: null });
    const followers = await data('query($u: ID!) { listFollowers(userId: $u) { items { userId } } }', { u: lia }, 'key');
    assert.deepEqual(followers, { listFollowers: { items: [] } });
    assert.equal(
      (await sdkError(s.cognito.send(new GetTokensFromRefreshTokenCommand({ ClientId: s.clientId, RefreshToken: hugoSession.RefreshToken })))).name,
      'NotAuthorizedException',
    );
    assert.equal((await sdkError(admin.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'hugo' })))).name, 'UserNotFoundException');
    // The nickname is free again: a new user gets exactly it.
    const newHugo = await signUpAndConfirm(s, 'hugo2', PASSWORD, { email: 'h2@example.com', nickname: 'hugo' });
    assert.deepEqual(await data('query($u: ID!) { getUser(userId: $u) { nickname } }', { u: newHugo }, 'key'), { getUser: { nickname: 'hugo' } });

    // The user's own DeleteUser follows the same rule.
    await s.cognito.send(new DeleteUserCommand({ AccessToken: tokens.lia }));
    assert.deepEqual(await data('query($u: ID!) { getUser(userId: $u) { userId } }', { u: lia }, 'key'), { getUser: null });
  });

  test('unsigned, unknown-key, wrongly signed, stale and mis-scoped calls are refused as Cognito refuses them', async () => {
    const body = { UserPoolId: poolId, Username: 'gaby' };
    const unsigned = await raw('AdminGetUser', body);
    assert.equal(unsigned.status, 400);
    assert.deepEqual(unsigned.json, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    assert.equal(unsigned.errorType, 'MissingAuthenticationTokenException:');

    const key = s.app.installation.adminAccessKeyId;
    const secret = s.app.installation.adminSecretAccessKey;
    assert.equal((await raw('AdminGetUser', body, { key: 'AKIAUNKNOWNKEY000000', secret })).json.__type, 'UnrecognizedClientException');
    assert.equal((await raw('AdminGetUser', body, { key, secret: `${secret}x` })).json.__type, 'InvalidSignatureException');
    assert.equal((await raw('AdminGetUser', body, { key, secret, date: new Date(Date.now() - 20 * 60_000) })).json.__type, 'InvalidSignatureException');
    assert.equal((await raw('AdminGetUser', body, { key, secret, region: 'us-east-1' })).json.__type, 'InvalidSignatureException');
    assert.equal((await raw('AdminGetUser', body, { key, secret })).json.Username, 'Gaby');

    // The app client (a user's token) is no operator credential.
    const asUser = new CognitoIdentityProviderClient({ region: s.app.config.region, endpoint: s.url, credentials: { accessKeyId: s.clientId.toUpperCase().slice(0, 20), secretAccessKey: 'x'.repeat(40) }, maxAttempts: 1 });
    assert.equal((await sdkError(asUser.send(new AdminGetUserCommand(body)))).name, 'UnrecognizedClientException');
    asUser.destroy();
    // A public action still ignores a signature, good or bad.
    assert.equal((await raw('ForgotPassword', { ClientId: s.clientId, Username: 'gaby' }, { key: 'AKIAUNKNOWNKEY000000', secret })).status, 200);
  });

  test('the AWS CLI drives the pool with the operator credentials; --no-sign-request is refused', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      AWS_ACCESS_KEY_ID: s.app.installation.adminAccessKeyId,
      AWS_SECRET_ACCESS_KEY: s.app.installation.adminSecretAccessKey,
      AWS_DEFAULT_REGION: s.app.config.region,
      AWS_DEFAULT_OUTPUT: 'json',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const aws = async (...args: string[]) => {
      const { stdout } = await run('aws', ['cognito-idp', ...args, '--endpoint-url', s.url, '--user-pool-id', poolId], { env });
      return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
    };
    const created = await aws('admin-create-user', '--username', 'cli-user', '--temporary-password', TEMP, '--message-action', 'SUPPRESS', '--user-attributes', 'Name=email,Value=cli@example.net');
    assert.equal((created.User as { UserStatus: string }).UserStatus, 'FORCE_CHANGE_PASSWORD');
    const listed = await aws('list-users', '--filter', 'email = "cli@example.net"');
    assert.deepEqual((listed.Users as Array<{ Username: string }>).map((u) => u.Username), ['cli-user']);
    await aws('admin-add-user-to-group', '--username', 'cli-user', '--group-name', 'testers');
    const inGroup = await aws('list-users-in-group', '--group-name', 'testers');
    assert.deepEqual((inGroup.Users as Array<{ Username: string }>).map((u) => u.Username), ['cli-user']);
    await aws('admin-delete-user', '--username', 'cli-user');
    assert.deepEqual((await aws('list-users', '--filter', 'username = "cli-user"')).Users, []);

    const refused = await run('aws', ['cognito-idp', 'list-users', '--endpoint-url', s.url, '--user-pool-id', poolId, '--no-sign-request'], { env }).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    assert.match(refused, /MissingAuthenticationTokenException/);
    const wrong = await run('aws', ['cognito-idp', 'list-users', '--endpoint-url', s.url, '--user-pool-id', poolId], {
      env: { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret-0000000000000000000000000' },
    }).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    assert.match(wrong, /InvalidSignatureException/);
  });
});
