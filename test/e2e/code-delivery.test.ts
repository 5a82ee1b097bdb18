/**
 * Code delivery over real SMTP: the server (codes.sender smtp, nodemailer) against the
 * `smtp-server` package on loopback, driven by the AWS SDK's Cognito client. The peer accepts,
 * refuses (550) or is down; a sign-up whose code cannot be delivered answers
 * CodeDeliveryFailureException, as Cognito does, and leaves no user, code or counter behind.
 * Then `biilive serve --production`: codes go out by SMTP, never into the log or the outbox.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { childEnv, runCli, spawnServe, startTestServer, type TestServer } from '../support/server.ts';
import { codeIn, startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';

const PASSWORD = 'Corr3ct!horse';
const FROM = 'no-reply@biilive.test';

/** The SDK's error as name + HTTP status. */
async function sdkError(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('code delivery through a real SMTP server', () => {
  let smtp: SmtpPeer;
  let s: TestServer;
  const signUp = (username: string) =>
    s.cognito.send(
      new SignUpCommand({
        ClientId: s.clientId,
        Username: username,
        Password: PASSWORD,
        UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }],
      }),
    );
  /** Every identity-table item of a username (but its sign-in failure counter, kept for any name). */
  const itemsOf = async (username: string) =>
    (await s.app.tables.scan({ table: s.app.config.tables.identity })).items.filter(
      (i) => JSON.stringify(i).toLowerCase().includes(username) && !String(i.pk).startsWith('LOCK#'),
    );

  before(async () => {
    smtp = await startSmtpPeer();
    s = await startTestServer({ captureCodes: false, codes: { sender: 'smtp', smtpUrl: smtp.url, from: FROM, timeoutMs: 3000 } });
  });
  after(async () => {
    await s?.stop();
    await smtp?.close();
  });

  test('accepted: the code arrives by e-mail (From, To, Subject) and confirms the sign-up', async () => {
    const out = await signUp('mia');
    assert.equal(out.UserConfirmed, false);
    assert.deepEqual(out.CodeDeliveryDetails, { Destination: 'm***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    const mail = await smtp.nextMailTo('mia@example.com');
    assert.equal(mail.from, FROM);
    assert.match(mail.raw, /^Subject: Your BiiLive verification code$/m);
    assert.match(mail.raw, /confirmation code is \d{6}\./);
    await s.cognito.send(new ConfirmSignUpCommand({ ClientId: s.clientId, Username: 'mia', ConfirmationCode: codeIn(mail) }));
    const signedIn = await s.cognito.send(
      new InitiateAuthCommand({ ClientId: s.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'mia', PASSWORD } }),
    );
    assert.ok(signedIn.AuthenticationResult?.AccessToken);
  });

  test('refused (550): SignUp answers CodeDeliveryFailureException and nothing of the user stays; ForgotPassword too', async () => {
    smtp.mode = 'refuse';
    try {
      assert.deepEqual(await sdkError(signUp('noa')), { name: 'CodeDeliveryFailureException', status: 400 });
      assert.deepEqual(await itemsOf('noa'), []);
      const signIn = await sdkError(
        s.cognito.send(new InitiateAuthCommand({ ClientId: s.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'noa', PASSWORD } })),
      );
      assert.equal(signIn.name, 'NotAuthorizedException');
      assert.deepEqual(await sdkError(s.cognito.send(new ForgotPasswordCommand({ ClientId: s.clientId, Username: 'mia' }))), {
        name: 'CodeDeliveryFailureException',
        status: 400,
      });
      // The undelivered reset code was withdrawn: nothing can be confirmed with it.
      const confirm = await sdkError(
        s.cognito.send(new ConfirmForgotPasswordCommand({ ClientId: s.clientId, Username: 'mia', ConfirmationCode: '123456', Password: 'N3w!battery' })),
      );
      assert.equal(confirm.name, 'ExpiredCodeException');
    } finally {
      smtp.mode = 'accept';
    }
  });

  test('down (connection refused): CodeDeliveryFailureException, nothing stays; back up, the same sign-up succeeds', async () => {
    await smtp.down();
    try {
      assert.deepEqual(await sdkError(signUp('noa')), { name: 'CodeDeliveryFailureException', status: 400 });
      assert.deepEqual(await itemsOf('noa'), []);
    } finally {
      await smtp.up();
    }
    const out = await signUp('noa');
    assert.equal(out.UserConfirmed, false);
    const mail = await smtp.nextMailTo('noa@example.com');
    await s.cognito.send(new ConfirmSignUpCommand({ ClientId: s.clientId, Username: 'noa', ConfirmationCode: codeIn(mail) }));
  });
});

describe('biilive serve --production', () => {
  let smtp: SmtpPeer;
  let dataDir: string;
  before(async () => {
    smtp = await startSmtpPeer();
    dataDir = mkdtempSync(join(tmpdir(), 'biilive-prod-'));
  });
  after(async () => {
    await smtp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('codes go out by SMTP only: never in the log (even at debug), never in the outbox', async () => {
    const env = childEnv({ BIILIVE_CODES_SENDER: 'smtp', BIILIVE_CODES_SMTP_URL: smtp.url, BIILIVE_CODES_FROM: FROM });
    const serve = spawnServe(['--production', '--port', '0', '--data-dir', dataDir, '--log-level', 'debug'], env);
    try {
      const info = await serve.ready;
      const cognito = new CognitoIdentityProviderClient({
        region: 'eu-west-3',
        endpoint: info.cognitoEndpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      try {
        const attrs = [{ Name: 'email', Value: 'pia@example.com' }];
        await cognito.send(new SignUpCommand({ ClientId: info.clientId, Username: 'pia', Password: PASSWORD, UserAttributes: attrs }));
        const signUpCode = codeIn(await smtp.nextMailTo('pia@example.com'));
        await cognito.send(new ConfirmSignUpCommand({ ClientId: info.clientId, Username: 'pia', ConfirmationCode: signUpCode }));
        await cognito.send(new ForgotPasswordCommand({ ClientId: info.clientId, Username: 'pia' }));
        const resetCode = codeIn(await smtp.nextMailTo('pia@example.com'));
        // The outbox is off: the operator's listing refuses in production and finds nothing otherwise.
        const listed = await runCli(['users', 'codes', '--production', '--data-dir', dataDir], env);
        assert.equal(listed.code, 2, listed.stderr);
        assert.match(listed.stderr, /outbox is off in production/);
        const dev = await runCli(['users', 'codes', '--data-dir', dataDir, '--json'], childEnv());
        assert.deepEqual(JSON.parse(dev.stdout), []);
        await cognito.send(new ConfirmForgotPasswordCommand({ ClientId: info.clientId, Username: 'pia', ConfirmationCode: resetCode, Password: 'N3w!battery' }));
        const log = serve.stderr();
        assert.ok(log.length > 0, 'the server logged something at debug level');
        for (const code of [signUpCode, resetCode]) assert.ok(!log.includes(code), `the log holds the code ${code}`);
        assert.doesNotMatch(log, /"code"\s*:/);
      } finally {
        cognito.destroy();
      }
    } finally {
      await serve.stop();
    }
  });

  test('production refuses --auto-confirm and a missing code sender, naming both', async () => {
    const r = await runCli(['serve', '--production', '--auto-confirm', '--port', '0', '--data-dir', dataDir], childEnv());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /autoConfirm: not allowed in production/);
    assert.match(r.stderr, /codes\.sender: production needs a code sender/);
  });
});
