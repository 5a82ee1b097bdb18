/**
 * USER_SRP_AUTH over the wire with two client implementations no one here wrote: Amplify JS v6's
 * default `signIn` (no authFlowType) in a child process, and amazon-cognito-identity-js's
 * `authenticateUser` (its default flow is SRP too). Wrong passwords and the lockout included.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { decodeJwt } from 'jose';
import { amplifyConfig } from '../../src/runtime/endpoints.ts';
import { okResult, runAmplify } from '../support/amplify.ts';
import { signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'Corr3ct!horse';

describe('USER_SRP_AUTH with real clients', () => {
  let s: TestServer;
  let pool: CognitoUserPool;

  /** amazon-cognito-identity-js's default sign-in; resolves with the session or the error. */
  const legacySignIn = (username: string, password: string) =>
    new Promise<{ session?: CognitoUserSession; error?: { code?: string; name?: string; message: string } }>((resolve) => {
      const user = new CognitoUser({ Username: username, Pool: pool });
      user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
        onSuccess: (session) => resolve({ session }),
        onFailure: (error: { code?: string; name?: string; message: string }) => resolve({ error }),
        newPasswordRequired: () => resolve({ error: { message: 'unexpected NEW_PASSWORD_REQUIRED' } }),
      });
    });

  before(async () => {
    s = await startTestServer({ autoConfirm: true });
    await signUpAndConfirm(s, 'Ana', PASSWORD, { email: 'ana@example.com' });
    await signUpAndConfirm(s, 'bruno', PASSWORD, { email: 'bruno@example.com' });
    pool = new CognitoUserPool({ UserPoolId: s.app.installation.userPoolId, ClientId: s.clientId, endpoint: `${s.url}/` });
  });
  after(async () => {
    await s?.stop();
  });

  test('Amplify v6 signs in with its default flow, unchanged; a wrong password is NotAuthorizedException', async () => {
    const results = await runAmplify({
      config: amplifyConfig(s.app.endpoints),
      steps: [
        { op: 'signIn', username: 'ana', password: 'Wr0ng!pass' },
        { op: 'signIn', username: 'ana', password: PASSWORD },
        { op: 'getCurrentUser' },
        { op: 'fetchAuthSession' },
      ],
    });
    assert.equal(results[0].ok, false);
    assert.deepEqual(!results[0].ok && [results[0].error.name, results[0].error.message], ['NotAuthorizedException', 'Incorrect username or password.']);
    assert.deepEqual(okResult(results[1]), { isSignedIn: true, nextStep: { signInStep: 'DONE' } });
    assert.equal(okResult(results[2]).username, 'Ana');
    assert.equal(okResult(results[3]).hasTokens, true);
  });

  test('amazon-cognito-identity-js signs in with SRP; wrong passwords count towards the lockout', async () => {
    const ok = await legacySignIn('bruno', PASSWORD);
    assert.ok(ok.session, JSON.stringify(ok.error));
    assert.equal(decodeJwt(ok.session.getIdToken().getJwtToken())['cognito:username'], 'bruno');
    assert.ok(ok.session.getRefreshToken().getToken());

    for (let i = 0; i < 5; i++) {
      const wrong = await legacySignIn('bruno', 'Wr0ng!pass');
      assert.deepEqual([wrong.error?.code, wrong.error?.message], ['NotAuthorizedException', 'Incorrect username or password.']);
    }
    const locked = await legacySignIn('bruno', PASSWORD);
    assert.deepEqual([locked.error?.code, locked.error?.message], ['NotAuthorizedException', 'Password attempts exceeded']);
    const unknown = await legacySignIn('nobody', PASSWORD);
    assert.deepEqual([unknown.error?.code, unknown.error?.message], ['NotAuthorizedException', 'Incorrect username or password.']);
  });
});
