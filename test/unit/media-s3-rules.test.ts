/**
 * The pieces behind the S3-compatible media endpoint, in process: who may write, read, list and
 * delete what (s3-access), identity-pool credentials (issue, resolve, tamper, expiry), the identity
 * pool's Logins and guest rules, and the body checks (aws-chunked framing, digests).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { issueCredentials, resolveCredentials } from '../../src/domain/identity-pool/credentials.ts';
import { IdentityPool } from '../../src/domain/identity-pool/identity-pool.ts';
import { canDelete, canList, canRead, writeTarget } from '../../src/domain/media/s3-access.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { PayloadError, planPayload } from '../../src/server/s3/payload.ts';

const U = 'c0000000-0000-4000-8000-000000000001';
const V = 'c0000000-0000-4000-8000-000000000002';

describe('s3-access', () => {
  const me = { identityId: 'eu-west-3:x', sub: U };
  test('writes: own originals in the layout only; photos to quarantine, videos in place', () => {
    assert.deepEqual(writeTarget(me, `profile-photos/${U}/photo_1.jpg`), { key: `profile-photos/${U}/photo_1.jpg`, storeKey: `incoming/profile-photos/${U}/photo_1.jpg`, kind: 'PROFILE_PHOTO' });
    assert.deepEqual(writeTarget(me, `fotos/${U}/full_2.jpg`), { key: `fotos/${U}/full_2.jpg`, storeKey: `incoming/fotos/${U}/full_2.jpg`, kind: 'PHOTO' });
    assert.deepEqual(writeTarget(me, `videos/${U}/video_3.mp4`), { key: `videos/${U}/video_3.mp4`, storeKey: `videos/${U}/video_3.mp4`, kind: 'VIDEO' });
    for (const key of [`profile-photos/${V}/photo_1.jpg`, `fotos/${U}/thumbnail_2.jpg`, `incoming/fotos/${U}/full_2.jpg`, `videos/${U}/clip.mov`, `multipart/${U}/x/1`]) {
      assert.ok('refused' in writeTarget(me, key), key);
    }
    assert.ok('refused' in writeTarget({ identityId: 'eu-west-3:guest' }, `videos/${U}/video_3.mp4`));
  });
  test('reads, listings and deletes', () => {
    assert.equal(canRead(`fotos/${V}/thumbnail_2.jpg`), true);
    assert.equal(canRead(`incoming/fotos/${V}/full_2.jpg`), false);
    assert.equal(canList(`fotos/${V}/`), true);
    assert.equal(canList(`fotos/${V}/full_`), true);
    for (const p of ['', 'fotos/', 'fotos', 'incoming/', `multipart/${U}/`, 'fotos/../', `fotos/${U}/../../incoming/`, `fotos/${U}/%2e%2e/`]) {
      assert.equal(canList(p), false, p);
    }
    assert.equal(canDelete(me, `fotos/${U}/thumbnail_2.jpg`), true);
    assert.equal(canDelete(me, `fotos/${V}/full_2.jpg`), false);
    assert.equal(canDelete({ identityId: 'g' }, `fotos/${U}/full_2.jpg`), false);
  });
});

describe('identity-pool credentials', () => {
  const key = randomBytes(32);
  test('issued credentials resolve to their holder and secret until they expire', () => {
    const c = issueCredentials(key, { identityId: 'eu-west-3:a', sub: U }, 2000);
    assert.match(c.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(c.secretAccessKey.length, 40);
    assert.deepEqual(resolveCredentials(key, c.accessKeyId, c.sessionToken, 1999), { ok: true, secretAccessKey: c.secretAccessKey, holder: { identityId: 'eu-west-3:a', sub: U } });
    assert.deepEqual(resolveCredentials(key, c.accessKeyId, c.sessionToken, 2000), { ok: false, problem: 'expired' });
  });
  test('another key id, a tampered or foreign token, or none, are refused', () => {
    const c = issueCredentials(key, { identityId: 'eu-west-3:a' }, 2000);
    const other = issueCredentials(key, { identityId: 'eu-west-3:b' }, 2000);
    assert.deepEqual(resolveCredentials(key, other.accessKeyId, c.sessionToken, 0), { ok: false, problem: 'unknown' });
    assert.deepEqual(resolveCredentials(key, c.accessKeyId, undefined, 0), { ok: false, problem: 'unknown' });
    const [payload, tag] = c.sessionToken.split('.');
    const forged = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('eu-west-3:a', 'eu-west-3:z')).toString('base64url');
    assert.deepEqual(resolveCredentials(key, c.accessKeyId, `${forged}.${tag}`, 0), { ok: false, problem: 'invalid' });
    assert.deepEqual(resolveCredentials(randomBytes(32), c.accessKeyId, c.sessionToken, 0), { ok: false, problem: 'invalid' });
    assert.deepEqual(resolveCredentials(key, c.accessKeyId, 'garbage', 0), { ok: false, problem: 'invalid' });
  });
});

describe('identity pool', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const iss = 'https://127.0.0.1:4000/eu-west-3_Pool';
  const pool = (allowUnauthenticated: boolean) =>
    new IdentityPool({
      poolId: 'eu-west-3:11111111-1111-4111-8111-111111111111',
      region: 'eu-west-3',
      allowUnauthenticated,
      credentialsSeconds: 3600,
      openIdIssuer: 'https://127.0.0.1:4000/eu-west-3:11111111-1111-4111-8111-111111111111',
      secrets: { credentialsKey: randomBytes(32), openId: { kid: 'k', privateKey, publicKey } },
      clock: new ManualClock(),
      // A stand-in user pool: tokens named "id:<sub>" are ID tokens, "access:<sub>" access tokens.
      verifier: {
        async verify(token) {
          const [use, sub] = token.split(':');
          if (!sub) throw new Error('invalid');
          return { sub, username: sub, groups: [], tokenUse: use === 'id' ? 'id' : 'access', claims: { iss } };
        },
      },
    });
  const poolId = 'eu-west-3:11111111-1111-4111-8111-111111111111';
  const provider = '127.0.0.1:4000/eu-west-3_Pool';
  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);

  test('Logins: stable identity per sub, by either provider name; refused tokens and names', async () => {
    const p = pool(false);
    const a = await p.getId({ identityPoolId: poolId, logins: { [provider]: `id:${U}` } });
    assert.deepEqual(await p.getId({ identityPoolId: poolId, logins: { 'cognito-idp.eu-west-3.amazonaws.com/eu-west-3_Pool': `id:${U}` } }), a);
    assert.notEqual((await p.getId({ identityPoolId: poolId, logins: { [provider]: `id:${V}` } })).identityId, a.identityId);
    assert.equal(await code(p.getId({ identityPoolId: poolId, logins: { [provider]: `access:${U}` } })), 'NotAuthorizedException');
    assert.equal(await code(p.getId({ identityPoolId: poolId, logins: { [provider]: 'junk' } })), 'NotAuthorizedException');
    assert.equal(await code(p.getId({ identityPoolId: poolId, logins: { 'graph.facebook.com': `id:${U}` } })), 'NotAuthorizedException');
    assert.equal(await code(p.getId({ identityPoolId: poolId, logins: { [provider]: `id:${U}`, other: `id:${U}` } })), 'InvalidParameterException');
    assert.equal(await code(p.getId({ identityPoolId: 'eu-west-3:22222222-2222-4222-8222-222222222222', logins: { [provider]: `id:${U}` } })), 'ResourceNotFoundException');
    const creds = await p.getCredentialsForIdentity({ identityId: a.identityId, logins: { [provider]: `id:${U}` } });
    const resolved = p.resolveCredentials(creds.credentials.accessKeyId, creds.credentials.sessionToken);
    assert.deepEqual(resolved.ok && resolved.holder, { identityId: a.identityId, sub: U });
    assert.equal(await code(p.getCredentialsForIdentity({ identityId: a.identityId, logins: { [provider]: `id:${V}` } })), 'NotAuthorizedException');
  });

  test('guests only when allowed, and their credentials carry no sub', async () => {
    assert.equal(await code(pool(false).getId({ identityPoolId: poolId })), 'NotAuthorizedException');
    assert.equal(await code(pool(false).getCredentialsForIdentity({ identityId: 'eu-west-3:33333333-3333-4333-8333-333333333333' })), 'NotAuthorizedException');
    const p = pool(true);
    const guest = await p.getId({ identityPoolId: poolId });
    const creds = await p.getCredentialsForIdentity({ identityId: guest.identityId });
    const resolved = p.resolveCredentials(creds.credentials.accessKeyId, creds.credentials.sessionToken);
    assert.deepEqual(resolved.ok && resolved.holder, { identityId: guest.identityId });
  });
});

describe('S3 request bodies', () => {
  const request = (headers: Record<string, string>, body: Buffer) => Object.assign(Readable.from([body]), { headers }) as unknown as IncomingMessage;
  const read = async (req: IncomingMessage, hash?: string) => {
    const plan = planPayload(req, hash);
    if (!plan.ok) return plan.code;
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
    try {
      await pipeline([req, ...plan.open(), sink]);
    } catch (err) {
      return err instanceof PayloadError ? err.code : String(err);
    }
    return { length: plan.length, body: Buffer.concat(chunks).toString() };
  };
  const crcB64 = (b: Buffer) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(b) >>> 0);
    return out.toString('base64');
  };

  test('plain bodies: the declared SHA-256 and CRC32 are checked; Content-Length is required', async () => {
    const body = Buffer.from('hello world');
    const sha = createHash('sha256').update(body).digest('hex');
    assert.deepEqual(await read(request({ 'content-length': '11', 'x-amz-content-sha256': sha, 'x-amz-checksum-crc32': crcB64(body) }, body)), { length: 11, body: 'hello world' });
    assert.equal(await read(request({ 'content-length': '11', 'x-amz-content-sha256': sha.replace(/^./, '0') }, body)), 'XAmzContentSHA256Mismatch');
    assert.equal(await read(request({ 'content-length': '11', 'x-amz-checksum-crc32': crcB64(Buffer.from('other')) }, body)), 'BadDigest');
    assert.equal(await read(request({}, body)), 'MissingContentLength');
  });

  test('aws-chunked with a trailer checksum (the AWS SDK for streams); signed chunks are refused', async () => {
    const data = Buffer.from('abcdefghij');
    const framed = (crc: string) => Buffer.from(`4\r\nabcd\r\n6\r\nefghij\r\n0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`);
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '10' };
    assert.deepEqual(await read(request(headers, framed(crcB64(data)))), { length: 10, body: 'abcdefghij' });
    assert.equal(await read(request(headers, framed(crcB64(Buffer.from('x'))))), 'BadDigest');
    assert.equal(await read(request(headers, Buffer.from('4\r\nabcd\r\n'))), 'IncompleteBody');
    assert.equal(await read(request(headers, Buffer.from('zz\r\nabcd\r\n'))), 'InvalidRequest');
    assert.equal(await read(request({ ...headers, 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' }, framed(''))), 'NotImplemented');
  });
});
