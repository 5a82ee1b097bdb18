/**
 * The SES code sender. SES has no local peer that can run here, so its client is replaced by
 * aws-sdk-client-mock (a MOCK of the SESv2 client): the test checks the SendEmail request the
 * adapter builds and how it reports SES's refusals. The SMTP sender is tested against a real SMTP
 * server (test/e2e/code-delivery.test.ts).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { createSesSender } from '../../src/adapters/codes/ses-sender.ts';
import { CodeDeliveryError, type CodeMessage } from '../../src/ports/code-sender.ts';

const sesMock = mockClient(SESv2Client);
afterEach(() => sesMock.reset());

const message: CodeMessage = { username: 'ana', code: '482913', purpose: 'forgot_password', medium: 'EMAIL', destination: 'ana@example.com' };
const sender = () =>
  createSesSender({ region: 'eu-west-3', from: 'no-reply@biilive.test', subject: 'Your BiiLive verification code', timeoutMs: 1000, client: new SESv2Client({ region: 'eu-west-3' }) });

test('mocked SES: one SendEmail with simple content, from the configured address to the user, holding the code', async () => {
  sesMock.on(SendEmailCommand).resolves({ MessageId: 'mock-1' });
  await sender().send(message);
  const calls = sesMock.commandCalls(SendEmailCommand);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].args[0].input, {
    FromEmailAddress: 'no-reply@biilive.test',
    Destination: { ToAddresses: ['ana@example.com'] },
    Content: {
      Simple: {
        Subject: { Data: 'Your BiiLive verification code', Charset: 'UTF-8' },
        Body: { Text: { Data: 'Your BiiLive password reset code is 482913.\n\nIf you did not ask for it, ignore this message.\n', Charset: 'UTF-8' } },
      },
    },
  });
});

test('mocked SES: a refusal is a CodeDeliveryError naming SES\'s error, without the code', async () => {
  sesMock.on(SendEmailCommand).rejects(Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }));
  await assert.rejects(sender().send(message), (err: unknown) => {
    assert.ok(err instanceof CodeDeliveryError);
    assert.match(err.message, /MessageRejected/);
    assert.ok(!err.message.includes(message.code));
    return true;
  });
});

test('SMS is not sent through SES: a CodeDeliveryError, and no SES call', async () => {
  await assert.rejects(sender().send({ ...message, medium: 'SMS', destination: '+34600000000' }), CodeDeliveryError);
  assert.equal(sesMock.commandCalls(SendEmailCommand).length, 0);
});
