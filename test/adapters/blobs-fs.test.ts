import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { FsBlobs } from '../../src/adapters/blobs/fs-blobs.ts';
import { EmbeddedUrlSigner } from '../../src/adapters/blobs/url-signer.ts';
import { ManualClock } from '../../src/ports/clock.ts';
import { createMediaHandler } from '../../src/server/media/handler.ts';
import { runBlobsConformance } from './blobs.conformance.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'biilive-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

runBlobsConformance('filesystem', async () => {
  const root = tempDir();
  const clock = new ManualClock(Date.now());
  let base = '';
  const signer = new EmbeddedUrlSigner({ secret: Buffer.alloc(32, 7), baseUrl: () => base });
  const blobs = new FsBlobs({ root, bucket: 'conformance', signer, clock });
  // The conformance suite uses free-form keys: accept any key the signer signed.
  const media = createMediaHandler({ blobs, presign: signer, clock, cacheMaxBytes: 0, cacheObjectMaxBytes: 0, uploadKeys: () => true });
  const server = createServer((req, res) => {
    void media(req, res).then((handled) => handled || (res.writeHead(404), res.end()));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    blobs,
    verifiesPresigned: true,
    advance: (ms) => clock.advance(ms),
    cleanup: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await media.close();
      await blobs.close();
    },
  };
});

test('fs layout: the data file mirrors the key, metadata sits aside, no temp file is left', async () => {
  const root = tempDir();
  const blobs = new FsBlobs({ root, bucket: 'biihlivemedia' });
  await blobs.ensure();
  await blobs.put('fotos/u1/full_1.jpg', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
  const bucket = join(root, 'biihlivemedia');
  assert.equal(readFileSync(join(bucket, 'fotos/u1/full_1.jpg'), 'utf8'), 'jpeg bytes');
  const meta = JSON.parse(readFileSync(join(bucket, '.biilive/meta/fotos/u1/full_1.jpg.json'), 'utf8'));
  assert.equal(meta.contentType, 'image/jpeg');
  assert.deepEqual(readdirSync(join(bucket, '.biilive/tmp')), []);
  // The internal folder is never listed.
  assert.deepEqual((await blobs.list('')).items.map((i) => i.key), ['fotos/u1/full_1.jpg']);
});

test('fs: metadata lost in a crash between the two renames is rebuilt from the bytes', async () => {
  const root = tempDir();
  const blobs = new FsBlobs({ root, bucket: 'biihlivemedia', durable: false });
  await blobs.put('videos/u1/video_1.mp4', Buffer.from('old'), { contentType: 'video/mp4' });
  // Simulate: new data renamed into place, its metadata never written.
  writeFileSync(join(root, 'biihlivemedia', 'videos/u1/video_1.mp4.tmp'), 'new bytes');
  const { renameSync } = await import('node:fs');
  renameSync(join(root, 'biihlivemedia', 'videos/u1/video_1.mp4.tmp'), join(root, 'biihlivemedia', 'videos/u1/video_1.mp4'));
  const head = await blobs.head('videos/u1/video_1.mp4');
  assert.equal(head?.size, 9);
  assert.equal(head?.etag, '"' + (await import('node:crypto')).createHash('md5').update('new bytes').digest('hex') + '"');
  assert.equal(head?.contentType, 'video/mp4');
});

test('fs: a failed stream write leaves no file behind', async () => {
  const root = tempDir();
  const blobs = new FsBlobs({ root, bucket: 'biihlivemedia' });
  await blobs.ensure();
  const { Readable } = await import('node:stream');
  const failing = new Readable({
    read() {
      this.push(Buffer.alloc(1000));
      this.destroy(new Error('client went away'));
    },
  });
  await assert.rejects(blobs.put('videos/u/video_2.mp4', failing, { contentType: 'video/mp4', contentLength: 5000 }));
  assert.equal(existsSync(join(root, 'biihlivemedia', 'videos/u/video_2.mp4')), false);
  assert.deepEqual(readdirSync(join(root, 'biihlivemedia', '.biilive/tmp')), []);
});
