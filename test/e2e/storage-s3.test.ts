/**
 * The identity pool and the S3-compatible media endpoint with the AWS SDK v3 (Cognito Identity
 * and S3 clients) and the AWS CLI (`aws s3 cp` / `aws s3 ls`), on both blob adapters: the folder
 * store and a real S3 API (s3rver) behind the endpoint. Path-style and virtual-hosted addressing,
 * header-signed and presigned requests, multipart, and S3's refusals.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand, GetOpenIdTokenCommand } from '@aws-sdk/client-cognito-identity';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { issueCredentials } from '../../src/domain/identity-pool/credentials.ts';
import { loadIdentityPoolSecrets } from '../../src/domain/identity-pool/secrets.ts';
import { randomIds } from '../../src/ports/ids.ts';
import { graphqlCaller } from '../support/graphql-client.ts';
import { phoneJpeg } from '../support/images.ts';
import { startS3Server, type S3TestServer } from '../support/s3-server.ts';
import { signIn, signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'Corr3ct!horse';
const BUCKET = 'biihlivemedia';
const MB = 1024 * 1024;
const run = promisify(execFile);

interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

async function s3Error(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const store of ['fs', 's3'] as const) {
  describe(`S3-compatible media endpoint, ${store} store behind it`, () => {
    let s: TestServer;
    let s3rver: S3TestServer | undefined;
    let identity: CognitoIdentityClient;
    let sub: string;
    let other: string;
    let creds: Creds;
    let dir: string;
    const tokens: Record<string, string> = {};
    const { data } = graphqlCaller(() => ({ url: s.app.endpoints.graphqlUrl, apiKey: s.app.installation.apiKey }), tokens);
    const client = (c: Creds, o: { forcePathStyle?: boolean; endpoint?: string; agent?: HttpAgent } = {}) =>
      new S3Client({
        region: s.app.config.region,
        endpoint: o.endpoint ?? s.url,
        forcePathStyle: o.forcePathStyle ?? true,
        credentials: c,
        maxAttempts: 1,
        ...(o.agent ? { requestHandler: new NodeHttpHandler({ httpAgent: o.agent }) } : {}),
      });
    const login = async (username: string) => {
      const id = (await signIn(s, username, PASSWORD)).IdToken;
      return { [String(decodeJwt(id).iss).replace(/^https?:\/\//, '')]: id };
    };
    const credentialsOf = async (username: string): Promise<Creds> => {
      const Logins = await login(username);
      const { IdentityId } = await identity.send(new GetIdCommand({ IdentityPoolId: s.app.installation.identityPoolId, Logins }));
      const c = (await identity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins }))).Credentials!;
      return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretKey!, sessionToken: c.SessionToken! };
    };

    before(async () => {
      const media: Record<string, unknown> = { profilePhotoMaxBytes: 2 * MB, multipartMinPartBytes: 1 * MB };
      if (store === 's3') {
        s3rver = await startS3Server();
        process.env.AWS_ACCESS_KEY_ID = s3rver.credentials.accessKeyId;
        process.env.AWS_SECRET_ACCESS_KEY = s3rver.credentials.secretAccessKey;
        const admin = new S3Client({ region: 'us-east-1', endpoint: s3rver.endpoint, forcePathStyle: true, credentials: s3rver.credentials });
        await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
        admin.destroy();
        Object.assign(media, { store: 's3', s3Endpoint: s3rver.endpoint, s3ForcePathStyle: true });
      }
      s = await startTestServer({ autoConfirm: true, media, identityPool: { allowUnauthenticated: true } });
      identity = new CognitoIdentityClient({ region: s.app.config.region, endpoint: s.url, maxAttempts: 1 });
      sub = await signUpAndConfirm(s, 'rosa', PASSWORD, { email: 'rosa@example.com', nickname: 'rosa' });
      other = await signUpAndConfirm(s, 'saul', PASSWORD, { email: 'saul@example.com' });
      creds = await credentialsOf('rosa');
      dir = mkdtempSync(join(tmpdir(), 'biilive-s3-'));
    });
    after(async () => {
      identity?.destroy();
      await s?.stop();
      await s3rver?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('a photo PUT path-style lands in quarantine, is processed, and updates the profile', async () => {
      const s3 = client(creds);
      const key = `profile-photos/${sub}/photo_${Date.now()}.jpg`;
      const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await phoneJpeg(), ContentType: 'image/jpeg' }));
      assert.match(put.ETag ?? '', /^"[0-9a-f]{32}"$/);
      const profile = await until('the processed profile photo', async () => {
        const u = (await data('query($u: ID!) { getUser(userId: $u) { profilePhotoUrl } }', { u: sub }, 'key')).getUser as { profilePhotoUrl: string | null };
        return u.profilePhotoUrl ?? undefined;
      });
      assert.equal(profile, `${s.url}/${key}`);
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(head.ContentType, 'image/jpeg');
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `profile-photos/${sub}/` }));
      assert.deepEqual(listed.Contents?.map((o) => o.Key).sort(), [key, key.replace('/photo_', '/thumbnail_')].sort());
      // The original (EXIF, GPS) is never readable, and never written twice.
      assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `incoming/${key}` }))), { name: 'AccessDenied', status: 403 });
      assert.deepEqual(await s3Error(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await phoneJpeg(), ContentType: 'image/jpeg' }))), { name: 'AccessDenied', status: 403 });
      s3.destroy();
    });

    test('multipart: create, upload parts, list them, complete; parts below the minimum, wrong ETags and aborts', async () => {
      const s3 = client(creds);
      const key = `videos/${sub}/video_${Date.now()}.mp4`;
      const bytes = randomBytes(2 * MB + 12_345);
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: 'video/mp4' }));
      assert.ok(UploadId);
      const p1 = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: bytes.subarray(0, MB) }));
      const p2 = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: bytes.subarray(MB, 2 * MB) }));
      const p3 = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 3, Body: bytes.subarray(2 * MB) }));
      const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
      assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, MB], [2, MB], [3, 12_345]]);
      const wrong = await s3Error(
        s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"00"' }] } })),
      );
      assert.deepEqual(wrong, { name: 'InvalidPart', status: 400 });
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }, { PartNumber: 3, ETag: p3.ETag }] },
        }),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes));
      assert.deepEqual(await s3Error(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }))), { name: 'NoSuchUpload', status: 404 });

      const small = `videos/${sub}/video_${Date.now() + 1}.mp4`;
      const second = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: small, ContentType: 'video/mp4' }));
      const a = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: small, UploadId: second.UploadId, PartNumber: 1, Body: Buffer.alloc(1000, 1) }));
      const b = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: small, UploadId: second.UploadId, PartNumber: 2, Body: Buffer.alloc(1000, 2) }));
      const tooSmall = s3.send(
        new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: small, UploadId: second.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: a.ETag }, { PartNumber: 2, ETag: b.ETag }] } }),
      );
      assert.deepEqual(await s3Error(tooSmall), { name: 'EntityTooSmall', status: 400 });
      await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: small, UploadId: second.UploadId }));
      assert.deepEqual(await s3Error(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: small, UploadId: second.UploadId, PartNumber: 3, Body: 'x' }))), {
        name: 'NoSuchUpload',
        status: 404,
      });
      assert.deepEqual(await s3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `videos/${other}/video_1.mp4`, ContentType: 'video/mp4' }))), {
        name: 'AccessDenied',
        status: 403,
      });
      s3.destroy();
    });

    test('refusals: another user\'s prefix, wrong type, too large, bad layout, listing across users, missing keys', async () => {
      const s3 = client(creds);
      const denied = { name: 'AccessDenied', status: 403 };
      const put = (Key: string, Body: Buffer | string, ContentType = 'image/jpeg') => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ContentType }));
      assert.deepEqual(await s3Error(put(`profile-photos/${other}/photo_1.jpg`, 'x')), denied);
      assert.deepEqual(await s3Error(put(`profile-photos/${sub}/photo_2.jpg`, 'x', 'image/gif')), denied);
      assert.deepEqual(await s3Error(put(`profile-photos/${sub}/thumbnail_3.jpg`, 'x')), denied);
      assert.deepEqual(await s3Error(put(`profile-photos/${sub}/avatar.png`, 'x')), denied);
      assert.deepEqual(await s3Error(put(`profile-photos/${sub}/photo_4.jpg`, Buffer.alloc(2 * MB + 1))), { name: 'EntityTooLarge', status: 400 });
      assert.deepEqual(await s3Error(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'profile-photos/' }))), denied);
      assert.deepEqual(await s3Error(s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))), denied);
      assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `fotos/${sub}/full_9.jpg` }))), { name: 'NoSuchKey', status: 404 });
      assert.deepEqual(await s3Error(s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `videos/${other}/video_1.mp4` }))), denied);
      s3.destroy();
    });

    if (store === 's3') return; // the rest is about the endpoint itself, not the store behind it

    test('a tampered signature is SignatureDoesNotMatch, expired credentials ExpiredToken, unknown keys InvalidAccessKeyId, unsigned AccessDenied', async () => {
      const key = `videos/${sub}/video_${Date.now()}.mp4`;
      const wrongSecret = client({ ...creds, secretAccessKey: `${creds.secretAccessKey.slice(0, -1)}x` });
      assert.deepEqual(await s3Error(wrongSecret.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x', ContentType: 'video/mp4' }))), {
        name: 'SignatureDoesNotMatch',
        status: 403,
      });
      // An insider with the pool's key mints credentials that expired a second ago.
      const { credentialsKey } = await loadIdentityPoolSecrets(s.app.tables, s.app.config.tables.system, randomIds);
      const old = issueCredentials(credentialsKey, { identityId: 'eu-west-3:00000000-0000-4000-a000-000000000000', sub }, Date.now() - 1000);
      const expired = client(old);
      assert.deepEqual(await s3Error(expired.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))), { name: 'ExpiredToken', status: 400 });
      const forged = client({ ...creds, sessionToken: `${creds.sessionToken.slice(0, -2)}AA` });
      assert.deepEqual(await s3Error(forged.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))), { name: 'InvalidToken', status: 400 });
      const unknown = client({ accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x'.repeat(40), sessionToken: creds.sessionToken });
      assert.deepEqual(await s3Error(unknown.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))), { name: 'InvalidAccessKeyId', status: 403 });
      const unsigned = await fetch(`${s.url}/${BUCKET}/${key}`);
      assert.equal(unsigned.status, 403);
      assert.match(await unsigned.text(), /<Code>AccessDenied<\/Code>/);
      for (const c of [wrongSecret, expired, forged, unknown]) c.destroy();
    });

    test('presigned PUT and GET (the SDK presigner); a tampered presigned URL is SignatureDoesNotMatch', async () => {
      const s3 = client(creds);
      const key = `videos/${sub}/video_${Date.now()}.mp4`;
      const body = randomBytes(50_000);
      const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentType: 'video/mp4' }), { expiresIn: 300 });
      const put = await fetch(putUrl, { method: 'PUT', body, headers: { 'content-type': 'video/mp4' } });
      assert.equal(put.status, 200, await put.clone().text());
      const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
      assert.ok(Buffer.from(await (await fetch(getUrl)).arrayBuffer()).equals(body));
      const tampered = getUrl.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
      const refused = await fetch(tampered);
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
      const otherKey = getUrl.replace(key, key.replace('video_', 'video_9'));
      assert.match(await (await fetch(otherKey)).text(), /<Code>SignatureDoesNotMatch<\/Code>/);
      s3.destroy();
    });

    test('virtual-hosted addressing (Host: <bucket>.<host>) and the dotted alias path-style', async () => {
      // The client dials 127.0.0.1 whatever the host name: only the Host header says virtual-hosted.
      const loopback = (_host: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) =>
        o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
      const agent = new HttpAgent({ lookup: loopback as never });
      const hosted = client(creds, { forcePathStyle: false, endpoint: `http://localhost:${new URL(s.url).port}`, agent });
      const key = `videos/${sub}/video_${Date.now()}.mp4`;
      await hosted.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hosted', ContentType: 'video/mp4' }));
      const alias = client(creds);
      const got = await alias.send(new GetObjectCommand({ Bucket: `${BUCKET}.local`, Key: key }));
      assert.equal(await got.Body!.transformToString(), 'hosted');
      const listed = await hosted.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `videos/${sub}/` }));
      assert.ok(listed.Contents?.some((o) => o.Key === key));
      assert.equal(listed.Name, BUCKET);
      hosted.destroy();
      alias.destroy();
      agent.destroy();
    });

    test('aws s3 cp and aws s3 ls with the identity credentials', async () => {
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_SESSION_TOKEN: creds.sessionToken,
        AWS_DEFAULT_REGION: s.app.config.region,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const aws = (...args: string[]) => run('aws', ['s3', ...args, '--endpoint-url', s.url], { env });
      const photo = join(dir, 'photo.jpg');
      writeFileSync(photo, await phoneJpeg());
      const key = `fotos/${sub}/full_${Date.now()}.jpg`;
      await aws('cp', photo, `s3://${BUCKET}/${key}`, '--content-type', 'image/jpeg');
      const listing = await until('the processed gallery photo', async () => {
        const { stdout } = await aws('ls', `s3://${BUCKET}/fotos/${sub}/`);
        return stdout.includes('thumbnail_') ? stdout : undefined;
      });
      assert.match(listing, new RegExp(key.split('/').pop()!));
      const photos = await data('query($u: ID!) { listPhotos(userId: $u) { items { url } } }', { u: sub }, 'key');
      assert.deepEqual(photos, { listPhotos: { items: [{ url: `${s.url}/${key}` }] } });
      const back = join(dir, 'back.jpg');
      await aws('cp', `s3://${BUCKET}/${key}`, back);
      assert.ok(readFileSync(back).length > 0);
      const refused = await aws('cp', photo, `s3://${BUCKET}/fotos/${other}/full_1.jpg`, '--content-type', 'image/jpeg').then(
        () => '',
        (e: { stderr: string }) => e.stderr,
      );
      assert.match(refused, /AccessDenied/);
    });

    test('identity pool: a stable identity per user, Logins checked, guest identities read-only, GetOpenIdToken verifiable', async () => {
      const Logins = await login('rosa');
      const one = await identity.send(new GetIdCommand({ IdentityPoolId: s.app.installation.identityPoolId, Logins }));
      const two = await identity.send(new GetIdCommand({ IdentityPoolId: s.app.installation.identityPoolId, Logins: await login('rosa') }));
      assert.equal(one.IdentityId, two.IdentityId);
      const saul = await identity.send(new GetIdCommand({ IdentityPoolId: s.app.installation.identityPoolId, Logins: await login('saul') }));
      assert.notEqual(saul.IdentityId, one.IdentityId);
      const mismatch = await identity.send(new GetCredentialsForIdentityCommand({ IdentityId: saul.IdentityId, Logins })).catch((e: Error) => e);
      assert.equal((mismatch as Error).name, 'NotAuthorizedException');
      const badPool = await identity.send(new GetIdCommand({ IdentityPoolId: 'eu-west-3:00000000-0000-4000-a000-000000000000', Logins })).catch((e: Error) => e);
      assert.equal((badPool as Error).name, 'ResourceNotFoundException');
      const [provider, idToken] = Object.entries(Logins)[0];
      const accessToken = (await signIn(s, 'rosa', PASSWORD)).AccessToken;
      const notId = await identity.send(new GetIdCommand({ IdentityPoolId: s.app.installation.identityPoolId, Logins: { [provider]: accessToken } })).catch((e: Error) => e);
      assert.equal((notId as Error).name, 'NotAuthorizedException');
      const wrongProvider = await identity.send(new GetIdCommand({ IdentityPoolId: s.app.installation.identityPoolId, Logins: { 'accounts.google.com': idToken } })).catch((e: Error) => e);
      assert.equal((wrongProvider as Error).name, 'NotAuthorizedException');

      const openId = await identity.send(new GetOpenIdTokenCommand({ IdentityId: one.IdentityId, Logins }));
      const issuer = `${s.url}/${s.app.installation.identityPoolId}`;
      const verified = await jwtVerify(openId.Token!, createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)), { issuer, audience: s.app.installation.identityPoolId });
      assert.equal(verified.payload.sub, one.IdentityId);

      // Guests (allowed on this server): read-only.
      const guest = await identity.send(new GetIdCommand({ IdentityPoolId: s.app.installation.identityPoolId }));
      const g = (await identity.send(new GetCredentialsForIdentityCommand({ IdentityId: guest.IdentityId }))).Credentials!;
      const gs3 = client({ accessKeyId: g.AccessKeyId!, secretAccessKey: g.SecretKey!, sessionToken: g.SessionToken! });
      assert.deepEqual(await s3Error(gs3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `videos/${sub}/video_1.mp4`, Body: 'x', ContentType: 'video/mp4' }))), {
        name: 'AccessDenied',
        status: 403,
      });
      const listed = await gs3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `fotos/${sub}/` }));
      assert.ok((listed.Contents ?? []).length > 0);
      gs3.destroy();
    });
  });
}
