/**
 * `biilive serve --production` as README "Production mode" spells it out, in a child process:
 * codes go out by SMTP (a real `smtp-server` on loopback) and never into the log (even at debug
 * level) or an outbox; --auto-confirm and a missing code sender are refused; introspection is
 * off; /metrics is only on its own port or behind the bearer token; the banner says production.
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
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { childEnv, runCli, spawnServe } from '../support/server.ts';
import { codeIn, startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';

const PASSWORD = 'Corr3ct!horse';
const FROM = 'no-reply@biilive.test';
const METRICS_TOKEN = 'metrics-token-0123456789';

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

  test('introspection off, /metrics only with the bearer token or on its own port, the banner says production', async () => {
    const smtpEnv = { BIILIVE_CODES_SENDER: 'smtp', BIILIVE_CODES_SMTP_URL: smtp.url, BIILIVE_CODES_FROM: FROM };
    const runs: Array<[string[], Record<string, string>]> = [
      [[], {}],
      [[], { BIILIVE_METRICS_TOKEN: METRICS_TOKEN }],
      [['--metrics-port', '0'], {}],
    ];
    for (const [args, extra] of runs) {
      const serve = spawnServe(['--production', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...args], childEnv({ ...smtpEnv, ...extra }));
      try {
        const info = await serve.ready;
        const banner = serve.stdout();
        assert.match(banner, /^BiiLive backend ready in \d+ ms \(production; /);
        const base = info.graphqlUrl.replace(/\/graphql$/, '');
        const metrics = (headers: Record<string, string> = {}, url = `${base}/metrics`) => fetch(url, { headers }).then((r) => r.status);
        const intro = await fetch(info.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': info.apiKey },
          body: JSON.stringify({ query: '{ __schema { types { name } } }' }),
        });
        assert.match(JSON.stringify(await intro.json()), /introspection/i, 'introspection refused');
        if (extra.BIILIVE_METRICS_TOKEN) {
          assert.match(banner, /Metrics: +http:\/\/127\.0\.0\.1:\d+\/metrics \(bearer token\)/);
          assert.equal(await metrics(), 401);
          assert.equal(await metrics({ authorization: 'Bearer wrong-token-0123456789' }), 401);
          assert.equal(await metrics({ authorization: `Bearer ${METRICS_TOKEN}` }), 200);
        } else if (args.includes('--metrics-port')) {
          const url = /Metrics: +(\S+)/.exec(banner)![1];
          assert.notEqual(new URL(url).port, new URL(base).port);
          assert.equal(await metrics({}, url), 200);
          assert.equal(await metrics(), 404, 'not on the main port');
        } else {
          assert.match(banner, /Metrics: +off \(production/);
          assert.equal(await metrics(), 404);
        }
      } finally {
        await serve.stop();
      }
    }
  });

  test('production refuses --auto-confirm and a missing code sender, naming both', async () => {
    const r = await runCli(['serve', '--production', '--auto-confirm', '--port', '0', '--data-dir', dataDir], childEnv());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /autoConfirm: not allowed in production/);
    assert.match(r.stderr, /codes\.sender: production needs a code sender/);
  });
});
