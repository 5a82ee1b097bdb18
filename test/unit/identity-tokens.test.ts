import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, generateKeyPairSync, createPublicKey, sign as cryptoSign } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose';
import { identityFixture, rejectsWith, tokensOf, type IdentityFixture } from '../support/identity-fixture.ts';
import type { AuthenticationResult } from '../../src/domain/identity/create-identity.ts';

/** The JWT pitfalls of shared/spec/reliability-security.md §4.2, against verify(). */
describe('verify(): forged and unacceptable tokens are refused', () => {
  let f: IdentityFixture;
  let tokens: AuthenticationResult;
  let idClaims: JWTPayload;
  let accessClaims: JWTPayload;
  let keys: { id: ReturnType<typeof createPrivateKey>; access: ReturnType<typeof createPrivateKey>; idKid: string; accessKid: string };
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

  before(async () => {
    f = await identityFixture({ autoConfirm: true });
    await f.identity.signUp({ clientId: f.clientId, username: 'carol', password: 'Corr3ct!horse', attributes: [{ name: 'email', value: 'c@example.com' }] });
    tokens = await tokensOf(f.identity.initiateAuth({
      clientId: f.clientId,
      authFlow: 'USER_PASSWORD_AUTH',
      authParameters: { USERNAME: 'carol', PASSWORD: 'Corr3ct!horse' },
    }));
    idClaims = decodeJwt(tokens.idToken);
    accessClaims = decodeJwt(tokens.accessToken);
    // The test plays an insider who can read the system table: it re-signs with the pool's keys.
    const stored = f.tables.dump(f.config.tables.system).find((i) => i.sk === 'SIGNING_KEYS')!;
    keys = {
      id: createPrivateKey(String(stored.idPrivateKey)),
      access: createPrivateKey(String(stored.accessPrivateKey)),
      idKid: decodeProtectedHeader(tokens.idToken).kid!,
      accessKid: decodeProtectedHeader(tokens.accessToken).kid!,
    };
  });

  const sign = (claims: JWTPayload, key = keys.access, kid = keys.accessKid) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);

  test('the genuine tokens verify, and a correctly re-signed copy too (control)', async () => {
    await f.identity.verify(tokens.accessToken);
    await f.identity.verify(tokens.idToken);
    await f.identity.verify(await sign(accessClaims));
  });

  test('alg "none"', async () => {
    const token = `${b64({ alg: 'none', kid: keys.accessKid })}.${b64(accessClaims)}.`;
    await rejectsWith(f.identity.verify(token), 'NotAuthorizedException', 'Invalid Token');
  });

  test('HS256 signed with the public key (algorithm confusion)', async () => {
    const pem = createPublicKey(keys.access).export({ format: 'pem', type: 'spki' }) as string;
    const head = `${b64({ alg: 'HS256', kid: keys.accessKid })}.${b64(accessClaims)}`;
    const sig = createHmac('sha256', pem).update(head).digest('base64url');
    await rejectsWith(f.identity.verify(`${head}.${sig}`), 'NotAuthorizedException');
    const jwk = JSON.stringify(createPublicKey(keys.access).export({ format: 'jwk' }));
    const sig2 = createHmac('sha256', jwk).update(head).digest('base64url');
    await rejectsWith(f.identity.verify(`${head}.${sig2}`), 'NotAuthorizedException');
  });

  test('unknown kid, and a foreign key announced in the header', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await rejectsWith(f.identity.verify(await sign(accessClaims, privateKey, 'someone-elses-kid')), 'NotAuthorizedException');
    const withJwk = await new SignJWT(accessClaims)
      .setProtectedHeader({ alg: 'RS256', kid: keys.accessKid, jwk: publicKey.export({ format: 'jwk' }) as never })
      .sign(privateKey);
    await rejectsWith(f.identity.verify(withJwk), 'NotAuthorizedException');
  });

  test('a token signed with the other token kind\'s key, or claiming the other token_use', async () => {
    await rejectsWith(f.identity.verify(await sign(accessClaims, keys.id, keys.idKid)), 'NotAuthorizedException');
    await rejectsWith(f.identity.verify(await sign({ ...idClaims, token_use: 'access' }, keys.id, keys.idKid)), 'NotAuthorizedException');
    await rejectsWith(f.identity.verify(await sign({ ...accessClaims, token_use: 'refresh' })), 'NotAuthorizedException');
  });

  test('a burst of 100 unknown kids is refused without touching the store', async () => {
    const before = { ...f.tables.calls };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await Promise.all(Array.from({ length: 100 }, (_, i) => sign(accessClaims, privateKey, `kid-${i}`)));
    const results = await Promise.allSettled(forged.map((t) => f.identity.verify(t)));
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.deepEqual(f.tables.calls, before);
  });

  test('an ID token where an access token is required (GetUser)', async () => {
    await rejectsWith(f.identity.getUser({ accessToken: tokens.idToken }), 'NotAuthorizedException', 'Invalid Access Token');
  });

  test('wrong iss', async () => {
    await rejectsWith(f.identity.verify(await sign({ ...accessClaims, iss: 'https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_other' })), 'NotAuthorizedException');
  });

  test('wrong aud (ID) or client_id (access), and an access token with only aud', async () => {
    await rejectsWith(f.identity.verify(await sign({ ...idClaims, aud: 'otherclient' }, keys.id, keys.idKid)), 'NotAuthorizedException');
    await rejectsWith(f.identity.verify(await sign({ ...idClaims, aud: [f.clientId, 'x'] }, keys.id, keys.idKid)), 'NotAuthorizedException');
    await rejectsWith(f.identity.verify(await sign({ ...accessClaims, client_id: 'otherclient' })), 'NotAuthorizedException');
    const { client_id: _drop, ...noClient } = accessClaims;
    await rejectsWith(f.identity.verify(await sign({ ...noClient, aud: f.clientId })), 'NotAuthorizedException');
  });

  test('missing required claims (origin_jti, jti)', async () => {
    const { origin_jti: _o, ...noOrigin } = accessClaims;
    await rejectsWith(f.identity.verify(await sign(noOrigin)), 'NotAuthorizedException');
    const { jti: _j, ...noJti } = accessClaims;
    await rejectsWith(f.identity.verify(await sign(noJti)), 'NotAuthorizedException');
  });

  test('not yet valid (nbf in the future)', async () => {
    const now = Math.floor(f.clock.now() / 1000);
    await rejectsWith(f.identity.verify(await sign({ ...accessClaims, nbf: now + 60 })), 'NotAuthorizedException');
  });

  test('unusual JWS forms: crit header, missing or empty signature, extra segments, non-base64url', async () => {
    const critInput = `${b64({ alg: 'RS256', kid: keys.accessKid, crit: ['x-policy'], 'x-policy': 1 })}.${b64(accessClaims)}`;
    const critical = `${critInput}.${cryptoSign('sha256', Buffer.from(critInput), keys.access).toString('base64url')}`;
    await rejectsWith(f.identity.verify(critical), 'NotAuthorizedException');
    const [h, p, sig] = (await sign(accessClaims)).split('.');
    for (const t of [`${h}.${p}`, `${h}.${p}.`, `${h}.${p}.${sig}.x`, `${h}.${p}.${sig}==`, `${h}.${p}+.${sig}`, ` ${h}.${p}.${sig}`]) {
      await rejectsWith(f.identity.verify(t), 'NotAuthorizedException');
    }
    await f.identity.verify(`${h}.${p}.${sig}`); // control
  });

  test('tampered payload keeps the old signature', async () => {
    const [h, , s] = tokens.accessToken.split('.');
    const forged = `${h}.${b64({ ...accessClaims, username: 'admin' })}.${s}`;
    await rejectsWith(f.identity.verify(forged), 'NotAuthorizedException');
    await rejectsWith(f.identity.verify('garbage'), 'NotAuthorizedException');
    await rejectsWith(f.identity.verify(''), 'NotAuthorizedException');
  });

  test('a token naming another (or no) user or session is refused as revoked', async () => {
    await rejectsWith(f.identity.verify(await sign({ ...accessClaims, sub: '00000000-0000-0000-0000-000000000000' })), 'NotAuthorizedException', 'Token has been revoked');
    await rejectsWith(f.identity.verify(await sign({ ...accessClaims, origin_jti: 'made-up' })), 'NotAuthorizedException', 'Token has been revoked');
  });

  test('expired: exactly at exp the token is refused', async () => {
    f.clock.advance(3600 * 1000 - 1000);
    await f.identity.verify(tokens.accessToken);
    f.clock.advance(1000);
    await rejectsWith(f.identity.verify(tokens.accessToken), 'NotAuthorizedException', 'Token has expired');
    await rejectsWith(f.identity.getUser({ accessToken: tokens.accessToken }), 'NotAuthorizedException', 'Access Token has expired');
  });

  test('revoked (RevokeToken on its refresh token)', async () => {
    const fresh = await f.identity.getTokensFromRefreshToken({ clientId: f.clientId, refreshToken: tokens.refreshToken! });
    await f.identity.verify(fresh.accessToken);
    await f.identity.revokeToken({ clientId: f.clientId, token: tokens.refreshToken! });
    await rejectsWith(f.identity.verify(fresh.accessToken), 'NotAuthorizedException', 'Token has been revoked');
    await rejectsWith(f.identity.verify(fresh.idToken), 'NotAuthorizedException', 'Token has been revoked');
  });

  test('refresh tokens expire after refreshTokenDays', async () => {
    const t = await tokensOf(f.identity.initiateAuth({
      clientId: f.clientId,
      authFlow: 'USER_PASSWORD_AUTH',
      authParameters: { USERNAME: 'carol', PASSWORD: 'Corr3ct!horse' },
    }));
    f.clock.advance(30 * 86_400_000 - 1);
    await f.identity.getTokensFromRefreshToken({ clientId: f.clientId, refreshToken: t.refreshToken! });
    f.clock.advance(1);
    await rejectsWith(
      f.identity.getTokensFromRefreshToken({ clientId: f.clientId, refreshToken: t.refreshToken! }),
      'NotAuthorizedException',
      'Refresh Token has expired',
    );
    assert.ok(true);
  });
});
