/**
 * Profile photo URLs are stored as keys and built per request: a photo processed while the server
 * ran on one port over HTTP is served, after a restart on another port with TLS, at a URL of the
 * new base that answers. A profile written by an older version (absolute URLs, no keys) still
 * reads as stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phoneJpeg } from '../support/images.ts';
import { signIn, signUpAndConfirm, startTestServer } from '../support/server.ts';

const PASSWORD = 'Corr3ct!horse';
const GET_USER = 'query ($id: ID!) { getUser(userId: $id) { profilePhotoUrl profileThumbnailUrl } }';

/** A request over HTTPS trusting exactly `ca` (the server's self-signed certificate). */
function https(url: string, ca: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; type: string; body: Buffer }>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

test('a profile photo follows the server to a new port and TLS; an old absolute URL still reads', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-photo-urls-'));
  try {
    const first = await startTestServer({ dataDir, autoConfirm: true });
    let sub: string;
    let key: string;
    try {
      sub = await signUpAndConfirm(first, 'pat', PASSWORD, { email: 'pat@example.com' });
      const token = (await signIn(first, 'pat', PASSWORD)).AccessToken;
      const jpeg = await phoneJpeg();
      const gql = (query: string, variables: object, auth: Record<string, string>) =>
        fetch(first.app.endpoints.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ query, variables }) }).then(
          (r) => r.json() as Promise<{ data: Record<string, Record<string, string>> }>,
        );
      const ticket = (
        await gql('mutation ($len: Int!) { requestUpload(kind: PROFILE_PHOTO, contentType: "image/jpeg", contentLength: $len) { key uploadUrl method headers } }', { len: jpeg.length }, { authorization: token })
      ).data.requestUpload;
      key = ticket.key;
      const put = await fetch(ticket.uploadUrl, { method: ticket.method, headers: JSON.parse(ticket.headers), body: new Uint8Array(jpeg) });
      assert.equal(put.status, 200);
      const deadline = Date.now() + 15_000;
      for (;;) {
        const u = (await gql(GET_USER, { id: sub }, { 'x-api-key': first.app.installation.apiKey })).data.getUser;
        if (u.profilePhotoUrl) {
          assert.equal(u.profilePhotoUrl, `${first.url}/${key}`);
          break;
        }
        assert.ok(Date.now() < deadline, 'the profile photo was never processed');
        await new Promise((ok) => setTimeout(ok, 50));
      }
      const raw = await first.app.tables.get(first.app.config.tables.users, { userId: sub }, { consistent: true });
      assert.equal(raw?.profilePhotoKey, key);
      assert.equal(raw?.profilePhotoUrl, undefined, 'no absolute URL stored without a fixed CDN base');
      // A profile written by an older version: absolute URLs, no keys.
      await first.app.tables.put({
        table: first.app.config.tables.users,
        item: { userId: 'legacy-user', nickname: 'legacy', profilePhotoUrl: 'https://cdn.example.com/profile-photos/legacy-user/photo_1.jpg', createdAt: '2026-01-01T00:00:00.000Z' },
      });
    } finally {
      await first.stop();
    }

    const second = await startTestServer({ dataDir, tls: true });
    try {
      assert.notEqual(second.url, first.url);
      assert.match(second.url, /^https:/);
      const ca = second.app.tls!.cert;
      const gql = async (variables: object) =>
        JSON.parse(
          (
            await https(second.app.endpoints.graphqlUrl, ca, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-api-key': second.app.installation.apiKey },
              body: JSON.stringify({ query: GET_USER, variables }),
            })
          ).body.toString(),
        ) as { data: { getUser: { profilePhotoUrl: string; profileThumbnailUrl: string } } };
      const moved = (await gql({ id: sub })).data.getUser;
      assert.equal(moved.profilePhotoUrl, `${second.url}/${key}`);
      assert.equal(moved.profileThumbnailUrl, `${second.url}/${key.replace('/photo_', '/thumbnail_')}`);
      const photo = await https(moved.profilePhotoUrl, ca);
      assert.equal(photo.status, 200);
      assert.equal(photo.type, 'image/jpeg');
      assert.deepEqual((await gql({ id: 'legacy-user' })).data.getUser, {
        profilePhotoUrl: 'https://cdn.example.com/profile-photos/legacy-user/photo_1.jpg',
        profileThumbnailUrl: null,
      });
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
