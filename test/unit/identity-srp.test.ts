/**
 * USER_SRP_AUTH and NEW_PASSWORD_REQUIRED in the identity service (in-memory tables, manual clock),
 * answered by amazon-cognito-identity-js's own SRP helper (test/support/srp-client.ts).
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { identityFixture, rejectsWith, tokensOf, type IdentityFixture } from '../support/identity-fixture.ts';
import { srpClient } from '../support/srp-client.ts';
import { isChallenge, type AuthChallenge, type AuthResponse } from '../../src/domain/identity/types.ts';
import { SRP_N, modPowN, padHex } from '../../src/domain/identity/srp.ts';
import { UserStore } from '../../src/domain/identity/user-store.ts';

const PASSWORD = 'Corr3ct!horse';

function challenge(r: AuthResponse): AuthChallenge {
  if (!isChallenge(r)) throw new Error('expected a challenge, got tokens');
  return r;
}

describe('SRP arithmetic', () => {
  test('PAD is the minimal two-complement encoding, as the clients compute it', () => {
    assert.equal(padHex(0x14n), '14');
    assert.equal(padHex(0xecn), '00ec');
    assert.equal(padHex(0x1c8n), '01c8');
    assert.ok(padHex(SRP_N).startsWith('00ffffffff'));
  });

  test('modular exponentiation through OpenSSL agrees with plain BigInt arithmetic', () => {
    const slow = (b: bigint, e: bigint) => {
      let r = 1n;
      for (let acc = b % SRP_N, x = e; x > 0n; x >>= 1n, acc = (acc * acc) % SRP_N) if (x & 1n) r = (r * acc) % SRP_N;
      return r;
    };
    for (let i = 0; i < 5; i++) {
      const base = BigInt(`0x${randomBytes(200).toString('hex')}`);
      const exp = BigInt(`0x${randomBytes(32).toString('hex')}`);
      assert.equal(modPowN(base, exp), slow(base, exp));
      assert.equal(modPowN(2n, exp), slow(2n, exp));
    }
    assert.equal(modPowN(1n, 12345n), 1n);
    assert.equal(modPowN(SRP_N - 1n, 3n), SRP_N - 1n);
  });
});

describe('USER_SRP_AUTH (identity service)', () => {
  let f: IdentityFixture;
  const start = async (username: string) => {
    const client = await srpClient(f.poolId);
    const r = await f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_SRP_AUTH', authParameters: { USERNAME: username, SRP_A: client.A } });
    return { client, c: challenge(r) };
  };
  const respond = (responses: Record<string, string>, name = 'PASSWORD_VERIFIER', session?: string) =>
    f.identity.respondToAuthChallenge({ clientId: f.clientId, challengeName: name, challengeResponses: responses, session });
  const srpSignIn = async (username: string, password: string) => {
    const { client, c } = await start(username);
    return respond(await client.answer(c.challengeParameters, password));
  };

  before(async () => {
    f = await identityFixture({ autoConfirm: true });
    await f.identity.signUp({ clientId: f.clientId, username: 'Dora', password: PASSWORD, attributes: [{ name: 'email', value: 'dora@example.com' }] });
  });

  test('the right password gets tokens; the challenge carries Cognito parameters and the lower-cased user id', async () => {
    const { client, c } = await start('DORA');
    assert.equal(c.challengeName, 'PASSWORD_VERIFIER');
    assert.deepEqual(Object.keys(c.challengeParameters).sort(), ['SALT', 'SECRET_BLOCK', 'SRP_B', 'USERNAME', 'USER_ID_FOR_SRP']);
    assert.equal(c.challengeParameters.USER_ID_FOR_SRP, 'dora');
    assert.match(c.challengeParameters.SRP_B, /^[0-9a-f]+$/);
    const tokens = await tokensOf(respond(await client.answer(c.challengeParameters, PASSWORD)));
    assert.equal(decodeJwt(tokens.idToken)['cognito:username'], 'Dora');
    assert.ok(tokens.refreshToken);
    assert.equal((await f.identity.verify(tokens.accessToken)).username, 'Dora');
  });

  test('a wrong password, a replayed or tampered answer and an expired challenge are refused', async () => {
    await rejectsWith(srpSignIn('dora', 'Wr0ng!pass'), 'NotAuthorizedException', 'Incorrect username or password.');

    const { client, c } = await start('dora');
    const answer = await client.answer(c.challengeParameters, PASSWORD);
    const tampered = { ...answer, PASSWORD_CLAIM_SIGNATURE: Buffer.alloc(32, 7).toString('base64') };
    await rejectsWith(respond(tampered), 'NotAuthorizedException', 'Incorrect username or password.');
    // The challenge was spent by the failed answer: the right one cannot reuse it.
    await rejectsWith(respond(answer), 'NotAuthorizedException', 'Invalid session for the user, session is expired.');

    const late = await start('dora');
    f.clock.advance(3 * 60_000);
    await rejectsWith(respond(await late.client.answer(late.c.challengeParameters, PASSWORD)), 'NotAuthorizedException', /session is expired/);

    const ok = await start('dora');
    const good = await ok.client.answer(ok.c.challengeParameters, PASSWORD);
    await rejectsWith(respond({ ...good, TIMESTAMP: '2026-01-01T00:00:00Z' }), 'InvalidParameterException');
    await rejectsWith(respond({ ...good, PASSWORD_CLAIM_SIGNATURE: '' }), 'InvalidParameterException', 'Missing required parameter PASSWORD_CLAIM_SIGNATURE');
    await rejectsWith(
      f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_SRP_AUTH', authParameters: { USERNAME: 'dora', SRP_A: '0' } }),
      'InvalidParameterException',
    );
    await rejectsWith(
      f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_SRP_AUTH', authParameters: { USERNAME: 'dora', SRP_A: SRP_N.toString(16) } }),
      'InvalidParameterException',
    );
  });

  test('unknown users get a stable salt and the same error as a wrong password', async () => {
    const one = await start('ghost');
    const two = await start('GHOST');
    assert.equal(one.c.challengeParameters.SALT, two.c.challengeParameters.SALT);
    assert.match(one.c.challengeParameters.SALT, /^[0-9a-f]{32}$/);
    await rejectsWith(respond(await one.client.answer(one.c.challengeParameters, PASSWORD)), 'NotAuthorizedException', 'Incorrect username or password.');
  });

  test('five wrong SRP answers lock the account for both flows; the lock ends after a second', async () => {
    f.clock.advance(20 * 60_000); // earlier failures are idle long enough to be forgotten
    for (let i = 0; i < 5; i++) await rejectsWith(srpSignIn('dora', 'Wr0ng!pass'), 'NotAuthorizedException', 'Incorrect username or password.');
    await rejectsWith(start('dora'), 'NotAuthorizedException', 'Password attempts exceeded');
    await rejectsWith(
      f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters: { USERNAME: 'dora', PASSWORD } }),
      'NotAuthorizedException',
      'Password attempts exceeded',
    );
    f.clock.advance(1000);
    await tokensOf(srpSignIn('dora', PASSWORD));
  });

  test('a password changed between the challenge and the answer makes the answer stale', async () => {
    const { client, c } = await start('dora');
    const session = await tokensOf(srpSignIn('dora', PASSWORD));
    await f.identity.changePassword({ accessToken: session.accessToken, previousPassword: PASSWORD, proposedPassword: 'N3w!passw0rd' });
    await rejectsWith(respond(await client.answer(c.challengeParameters, PASSWORD)), 'NotAuthorizedException', 'Incorrect username or password.');
    await rejectsWith(srpSignIn('dora', PASSWORD), 'NotAuthorizedException', 'Incorrect username or password.');
    await tokensOf(srpSignIn('dora', 'N3w!passw0rd'));
  });

  test('a user from before SRP gets a verifier at the next USER_PASSWORD_AUTH sign-in', async () => {
    await f.identity.signUp({ clientId: f.clientId, username: 'old', password: PASSWORD });
    const users = new UserStore({ tables: f.tables, table: f.config.tables.identity, clock: f.clock });
    const stored = (await users.get('old'))!;
    await users.update(stored, { srpSalt: undefined, srpVerifier: undefined });
    assert.equal((await users.get('old'))!.srpVerifier, undefined);
    await rejectsWith(srpSignIn('old', PASSWORD), 'NotAuthorizedException', 'Incorrect username or password.');
    await tokensOf(f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters: { USERNAME: 'old', PASSWORD } }));
    assert.match((await users.get('old'))!.srpVerifier ?? '', /^[0-9a-f]+$/);
    await tokensOf(srpSignIn('old', PASSWORD));
  });

  test('the table holds the verifier, never the password, and the challenge only as a hash', async () => {
    const { c } = await start('dora');
    const dump = JSON.stringify(f.tables.dump(f.config.tables.identity));
    assert.ok(!dump.includes(PASSWORD) && !dump.includes('N3w!passw0rd'));
    assert.ok(!dump.includes(c.challengeParameters.SECRET_BLOCK));
    assert.match(dump, /"srpVerifier":"[0-9a-f]+"/);
  });
});

describe('NEW_PASSWORD_REQUIRED (administrator-created users)', () => {
  let f: IdentityFixture;
  const TEMP = 'Temp0rary!pass';

  before(async () => {
    f = await identityFixture();
  });

  test('a temporary password signs in to a NEW_PASSWORD_REQUIRED challenge in both flows', async () => {
    const created = await f.identity.adminCreateUser({
      username: 'Eve',
      temporaryPassword: TEMP,
      attributes: [{ name: 'email', value: 'eve@example.com' }, { name: 'nickname', value: 'eve' }],
    });
    assert.equal(created.status, 'FORCE_CHANGE_PASSWORD');
    assert.deepEqual(f.codes.at(-1), { username: 'Eve', code: TEMP, purpose: 'temporary_password', destination: 'eve@example.com' });

    const byPassword = challenge(
      await f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters: { USERNAME: 'eve', PASSWORD: TEMP } }),
    );
    assert.equal(byPassword.challengeName, 'NEW_PASSWORD_REQUIRED');
    assert.ok(byPassword.session);
    assert.deepEqual(byPassword.challengeParameters, {
      USER_ID_FOR_SRP: 'eve',
      requiredAttributes: '[]',
      userAttributes: JSON.stringify({ email: 'eve@example.com', nickname: 'eve' }),
    });

    const client = await srpClient(f.poolId);
    const verifier = challenge(
      await f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_SRP_AUTH', authParameters: { USERNAME: 'Eve', SRP_A: client.A } }),
    );
    const next = challenge(
      await f.identity.respondToAuthChallenge({
        clientId: f.clientId,
        challengeName: 'PASSWORD_VERIFIER',
        challengeResponses: await client.answer(verifier.challengeParameters, TEMP),
      }),
    );
    assert.equal(next.challengeName, 'NEW_PASSWORD_REQUIRED');

    const answer = (session: string | undefined, NEW_PASSWORD: string, extra: Record<string, string> = {}) =>
      f.identity.respondToAuthChallenge({
        clientId: f.clientId,
        challengeName: 'NEW_PASSWORD_REQUIRED',
        challengeResponses: { USERNAME: 'eve', NEW_PASSWORD, ...extra },
        session,
      });
    // A weak password is refused without spending the Session; then the right answer completes it.
    await rejectsWith(answer(next.session, 'weak'), 'InvalidPasswordException');
    await rejectsWith(answer(next.session, 'Ch0sen!password', { 'userAttributes.email_verified': 'true' }), 'NotAuthorizedException');
    const tokens = await tokensOf(answer(next.session, 'Ch0sen!password', { 'userAttributes.name': 'Eve E.' }));
    assert.equal(decodeJwt(tokens.idToken).name, 'Eve E.');
    assert.deepEqual(f.confirmed.map((u) => u.username), ['Eve']); // PostConfirmation created the profile
    await rejectsWith(answer(next.session, 'Ch0sen!password'), 'NotAuthorizedException', /session is expired/);
    await rejectsWith(answer(byPassword.session, 'Other!passw0rd'), 'NotAuthorizedException', /session is expired/);

    await tokensOf(f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters: { USERNAME: 'eve', PASSWORD: 'Ch0sen!password' } }));
    await rejectsWith(
      f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters: { USERNAME: 'eve', PASSWORD: TEMP } }),
      'NotAuthorizedException',
      'Incorrect username or password.',
    );
  });

  test('a temporary password expires after temporaryPasswordDays', async () => {
    await f.identity.adminCreateUser({ username: 'late', temporaryPassword: TEMP, messageAction: 'SUPPRESS' });
    f.clock.advance(7 * 86_400_000);
    await rejectsWith(
      f.identity.initiateAuth({ clientId: f.clientId, authFlow: 'USER_PASSWORD_AUTH', authParameters: { USERNAME: 'late', PASSWORD: TEMP } }),
      'NotAuthorizedException',
      'Temporary password has expired and must be reset by an administrator.',
    );
  });
});
