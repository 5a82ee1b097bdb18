/**
 * Code delivery over real SMTP: the server (codes.sender smtp, nodemailer) against the
 * `smtp-server` package on loopback, driven by the AWS SDK's Cognito client. The peer accepts,
 * refuses (550) or is down; a sign-up whose code cannot be delivered answers
 * CodeDeliveryFailureException, as Cognito does, and leaves no user, code or counter behind.
 * (`biilive serve --production`, where codes are never logged nor kept: test/e2e/production.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { startTestServer, type TestServer } from '../support/server.ts';
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
