/**
 * SigV4 verification (src/server/sigv4/verify.ts) against requests signed by the AWS SDK's own
 * signer: the header and presigned forms pass, and any change to what was signed, the wrong key,
 * a stale date or another scope is refused with the right code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sha256 } from '@aws-crypto/sha256-js';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4, type SigV4Options } from '../../src/server/sigv4/verify.ts';

const KEY = { accessKeyId: 'ASIATESTKEY000000000', secretAccessKey: 'secret-secret-secret-secret-secret-0000', sessionToken: 'tok' };
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const HOST = '127.0.0.1:4000';

const options = (o: Partial<SigV4Options<string>> = {}): SigV4Options<string> => ({
  service: 's3',
  region: 'eu-west-3',
  now: NOW,
  maxSkewMs: 900_000,
  s3Path: true,
  credentials: async (id, token) => (id === KEY.accessKeyId && token === KEY.sessionToken ? { secretAccessKey: KEY.secretAccessKey, principal: 'rosa' } : undefined),
  ...o,
});

const signer = (o: { service?: string; region?: string; secret?: string } = {}) =>
  new SignatureV4({
    credentials: { ...KEY, secretAccessKey: o.secret ?? KEY.secretAccessKey },
    region: o.region ?? 'eu-west-3',
    service: o.service ?? 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });

const base = { method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', port: 4000, path: '/biihlivemedia/videos/u/video_1.mp4', query: { 'x-id': 'PutObject' } };

/** The signed request as our server receives it: URL and lower-cased headers. */
async function headerSigned(o: Parameters<typeof signer>[0] = {}, date = new Date(NOW)) {
  const signed = await signer(o).sign(
    { ...base, headers: { host: HOST, 'content-type': 'video/mp4', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
    { signingDate: date },
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'PUT', url: `${base.path}?x-id=PutObject`, headers };
}

test('a header-signed request verifies and names its holder; presigned too', async () => {
  const r = await verifySigV4(await headerSigned(), options());
  assert.deepEqual(r, { ok: true, principal: 'rosa', accessKeyId: KEY.accessKeyId, presigned: false, payloadHash: 'UNSIGNED-PAYLOAD' });

  // The AWS SDK's S3 presigner (what getSignedUrl uses): UNSIGNED-PAYLOAD, host signed.
  const presigner = new S3RequestPresigner({ credentials: KEY, region: 'eu-west-3', sha256: Sha256 });
  const presigned = await presigner.presign({ ...base, method: 'GET', query: {}, headers: { host: HOST } }, { signingDate: new Date(NOW), expiresIn: 300 });
  const qs = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const ok = await verifySigV4({ method: 'GET', url: `${base.path}?${qs}`, headers: { host: HOST } }, options());
  assert.equal(ok.ok && ok.presigned, true);
  const late = await verifySigV4({ method: 'GET', url: `${base.path}?${qs}`, headers: { host: HOST } }, options({ now: NOW + 301_000 }));
  assert.deepEqual(!late.ok && late.failure.code, 'Expired');
  const otherMethod = await verifySigV4({ method: 'DELETE', url: `${base.path}?${qs}`, headers: { host: HOST } }, options());
  assert.deepEqual(!otherMethod.ok && otherMethod.failure.code, 'SignatureMismatch');
});

test('any change to what was signed is SignatureMismatch', async () => {
  const good = await headerSigned();
  const changed = [
    { ...good, method: 'POST' },
    { ...good, url: good.url.replace('video_1', 'video_2') },
    { ...good, url: `${good.url}&extra=1` },
    { ...good, headers: { ...good.headers, 'content-type': 'image/jpeg' } },
    { ...good, headers: { ...good.headers, host: '127.0.0.1:4001' } },
  ];
  for (const req of changed) {
    const r = await verifySigV4(req, options());
    assert.equal(!r.ok && r.failure.code, 'SignatureMismatch', JSON.stringify(req).slice(0, 120));
  }
  // Unsigned headers may change freely (proxies add them).
  assert.equal((await verifySigV4({ ...good, headers: { ...good.headers, 'user-agent': 'other' } }, options())).ok, true);
});

test('wrong secret, unknown key, stale date, other scope, missing and malformed authorization', async () => {
  const code = async (req: Awaited<ReturnType<typeof headerSigned>>, o = options()) => {
    const r = await verifySigV4(req, o);
    return r.ok ? 'ok' : r.failure.code;
  };
  assert.equal(await code(await headerSigned({ secret: 'another-secret-another-secret-00000000' })), 'SignatureMismatch');
  assert.equal(await code(await headerSigned(), options({ credentials: async () => undefined })), 'UnknownKey');
  assert.equal(await code(await headerSigned(), options({ credentials: async () => ({ code: 'ExpiredToken', message: 'expired' }) })), 'ExpiredToken');
  assert.equal(await code(await headerSigned({}, new Date(NOW - 16 * 60_000))), 'Expired');
  assert.equal(await code(await headerSigned({}, new Date(NOW + 14 * 60_000))), 'ok');
  assert.equal(await code(await headerSigned({ region: 'us-east-1' })), 'WrongScope');
  assert.equal(await code(await headerSigned({ service: 'cognito-idp' })), 'WrongScope');
  const good = await headerSigned();
  const { authorization: _drop, ...unsigned } = good.headers;
  assert.equal(await code({ ...good, headers: unsigned }), 'Missing');
  assert.equal(await code({ ...good, headers: { ...good.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } }), 'Malformed');
  assert.equal(await code({ ...good, headers: { ...good.headers, authorization: 'Bearer abc' } }), 'Malformed');
  const noHost = String(good.headers.authorization).replace('host;', '');
  assert.equal(await code({ ...good, headers: { ...good.headers, authorization: noHost } }), 'Malformed');
});

test('a JSON service (Cognito): the body is part of the signature', async () => {
  const body = JSON.stringify({ UserPoolId: 'eu-west-3_x', Username: 'a' });
  const signed = await new SignatureV4({ credentials: KEY, region: 'eu-west-3', service: 'cognito-idp', sha256: Sha256 }).sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4000, path: '/', headers: { host: HOST, 'content-type': 'application/x-amz-json-1.1' }, body },
    { signingDate: new Date(NOW) },
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const o = options({ service: 'cognito-idp', s3Path: false });
  assert.equal((await verifySigV4({ method: 'POST', url: '/', headers, body: Buffer.from(body) }, o)).ok, true);
  const tampered = await verifySigV4({ method: 'POST', url: '/', headers, body: Buffer.from(body.replace('"a"', '"b"')) }, o);
  assert.equal(!tampered.ok && tampered.failure.code, 'SignatureMismatch');
});
