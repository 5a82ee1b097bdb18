/**
 * Amplify Storage, unchanged, in a child process, against `serve --tls`: default `signIn` (SRP),
 * identity-pool credentials (fetchAuthSession), `uploadData` of a 12-megapixel JPEG to
 * profile-photos/{sub}/ and of an 8 MB video (multipart), `getUrl`, `list`, `getProperties`,
 * `remove`, all with the Storage settings and per-call options `biilive info --amplify` prints; the
 * profile photo then appears processed on `getUser`. Another user's prefix is AccessDenied.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { amplifyConfig } from '../../src/runtime/endpoints.ts';
import { okResult, runAmplify, type AmplifyResult } from '../support/amplify.ts';
import { signUpAndConfirm, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'Corr3ct!horse';

describe('Amplify Storage through the identity pool and the S3-compatible endpoint', () => {
  let s: TestServer;
  let dir: string;
  let sub: string;
  let other: string;

  /** GraphQL over HTTPS, trusting the server's certificate. */
  const gql = (query: string, variables: object) =>
    new Promise<{ data?: Record<string, Record<string, unknown> | null>; errors?: unknown[] }>((resolve, reject) => {
      const req = request(
        s.app.endpoints.graphqlUrl,
        { method: 'POST', ca: s.app.tls!.cert, headers: { 'content-type': 'application/json', 'x-api-key': s.app.installation.apiKey } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve(JSON.parse(text)));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ query, variables }));
    });

  /** GET over HTTPS, trusting the server's certificate. */
  const get = (url: string) =>
    new Promise<Buffer>((resolve, reject) => {
      request(url, { ca: s.app.tls!.cert }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url} answered ${res.statusCode}: ${Buffer.concat(chunks)}`))));
      })
        .on('error', reject)
        .end();
    });

  const job = (steps: object[]) => {
    const config = amplifyConfig(s.app.endpoints);
    return runAmplify({ config, storageOptions: config.biilive!.storageOptions, steps: steps as never }, { caCertPath: s.app.tls!.certPath, timeoutMs: 240_000 });
  };

  before(async () => {
    s = await startTestServer({ tls: true, autoConfirm: true });
    sub = await signUpAndConfirm(s, 'paula', PASSWORD, { email: 'paula@example.com', nickname: 'paula' });
    other = await signUpAndConfirm(s, 'quim', PASSWORD, { email: 'quim@example.com' });
    dir = mkdtempSync(join(tmpdir(), 'biilive-amplify-'));
    // A 12-megapixel photo (4000 x 3000, noisy, as a phone camera's) and an 8 MB video.
    const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#3366aa', noise: { type: 'gaussian', mean: 128, sigma: 20 } } })
      .jpeg({ quality: 70 })
      .toBuffer();
    writeFileSync(join(dir, 'photo.jpg'), photo);
    writeFileSync(join(dir, 'video.mp4'), randomBytes(8 * 1024 * 1024));
  });
  after(async () => {
    await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the printed settings: Storage bucket (dotted alias), identity pool, per-call customEndpoint', () => {
    const config = amplifyConfig(s.app.endpoints);
    assert.equal(config.Storage.S3.bucket, 'biihlivemedia.local');
    assert.equal(config.Auth.Cognito.identityPoolId, s.app.installation.identityPoolId);
    assert.equal(config.biilive!.storageOptions.customEndpoint, new URL(s.app.endpoints.graphqlUrl).host);
  });

  test("Amplify 6.22's own dangerouslyConnectToHttpEndpointForTesting fails before any request, hence customEndpoint over TLS", async () => {
    const config = amplifyConfig(s.app.endpoints);
    const [signedIn, props] = await runAmplify(
      {
        config: { ...config, Storage: { S3: { ...config.Storage.S3, dangerouslyConnectToHttpEndpointForTesting: 'true' } } },
        steps: [
          { op: 'signIn', username: 'paula', password: PASSWORD },
          { op: 'getProperties', path: `videos/${sub}/video_1.mp4` },
        ],
      },
      { caCertPath: s.app.tls!.certPath },
    );
    assert.ok(signedIn.ok);
    assert.equal(!props.ok && props.error.name, 'InvalidCustomEndpoint');
  });

  test('sign in, upload a 12 MP photo and an 8 MB video (multipart), getUrl, list, getProperties, remove', async () => {
    const photoPath = `profile-photos/${sub}/photo_${Date.now()}.jpg`;
    const videoPath = `videos/${sub}/video_${Date.now()}.mp4`;
    const results: AmplifyResult[] = await job([
      { op: 'signIn', username: 'paula', password: PASSWORD },
      { op: 'fetchAuthSession' },
      { op: 'uploadData', path: photoPath, file: join(dir, 'photo.jpg'), contentType: 'image/jpeg' },
      { op: 'uploadData', path: videoPath, file: join(dir, 'video.mp4'), contentType: 'video/mp4' },
      { op: 'uploadData', path: `profile-photos/${other}/photo_1.jpg`, file: join(dir, 'photo.jpg'), contentType: 'image/jpeg' },
      { op: 'getUrl', path: videoPath },
      { op: 'list', path: `videos/${sub}/` },
      { op: 'getProperties', path: videoPath },
    ]);
    assert.equal(okResult(results[0]).isSignedIn, true);
    const session = okResult(results[1]);
    assert.match(String(session.identityId), /^eu-west-3:[0-9a-f-]{36}$/);
    assert.match(String((session.credentials as { accessKeyId: string }).accessKeyId), /^ASIA/);
    assert.equal(okResult(results[2]).path, photoPath);
    assert.equal(okResult(results[3]).path, videoPath);
    assert.equal(results[4].ok, false);
    assert.equal(!results[4].ok && results[4].error.name, 'AccessDenied');

    const url = String(okResult(results[5]).url);
    assert.match(url, /X-Amz-Signature=/);
    const fetched = await get(url);
    assert.equal(fetched.length, 8 * 1024 * 1024);
    assert.deepEqual(okResult(results[6]).items, [{ path: videoPath, size: 8 * 1024 * 1024 }]);
    assert.deepEqual(okResult(results[7]), { path: videoPath, size: 8 * 1024 * 1024, contentType: 'video/mp4' });
    // Amplify switched to multipart for the 8 MB video (5 MB parts): the endpoint counted its calls.
    const metrics = await get(`${s.url}/metrics`);
    const count = (op: string) => Number(new RegExp(`biilive_media_requests_total\\{behaviour="s3",method="${op}",status="2xx"\\} (\\d+)`).exec(metrics.toString())?.[1] ?? 0);
    assert.equal(count('CreateMultipartUpload'), 1);
    assert.equal(count('UploadPart'), 2);
    assert.equal(count('CompleteMultipartUpload'), 1);

    const removal = await job([
      { op: 'signIn', username: 'paula', password: PASSWORD },
      { op: 'remove', path: videoPath },
      { op: 'list', path: `videos/${sub}/` },
    ]);
    assert.ok(removal[1].ok, JSON.stringify(removal[1]));
    assert.deepEqual(okResult(removal[2]).items, []);

    // The photo went through quarantine and ProcessProfilePhoto: the profile shows it, re-encoded.
    const deadline = Date.now() + 60_000;
    let profile: Record<string, unknown> | null | undefined;
    do {
      profile = (await gql('query($u: ID!) { getUser(userId: $u) { profilePhotoUrl profileThumbnailUrl } }', { u: sub })).data?.getUser;
      if (profile?.profilePhotoUrl) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    assert.equal(profile?.profilePhotoUrl, `${s.url}/${photoPath}`);
    const served = await sharp(await get(String(profile!.profilePhotoUrl))).metadata();
    assert.deepEqual([served.width, served.height], [1080, 810]);
  });
});
