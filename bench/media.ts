/**
 * Media bench. Prints one JSON object.
 *   node --import tsx bench/media.ts [photos=20] [seconds=8]
 *
 * 1. ProcessProfilePhoto (the real handler: S3 event in, fs blob store with fsync, sharp, SQLite
 *    profile update, quarantine delete) on a 12-MP phone-like JPEG made here, beside, in the same
 *    run and on the same bytes:
 *    - a bare sharp pipeline doing the same work in memory (header check, auto-orient, 1080 px
 *      mozjpeg, 200 px cover thumbnail from it);
 *    - ImageMagick `convert` doing the same work (auto-orient, strip, 1080 px, 200 px cover crop),
 *      one process per photo; reported as unavailable when only a stand-in is installed.
 *    Latency (p50/p99) one photo at a time; throughput also with 2 at once (2 cores).
 * 2. CDN GET of a cached thumbnail through the media handler, beside a bare node:http server
 *    sending the same bytes; each server in its own process, autocannon here.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { openSqliteTables } from '../src/adapters/sqlite/sqlite-tables.ts';
import { configSchema } from '../src/config/schema.ts';
import { tableDefinitions } from '../src/domain/tables.ts';
import { systemClock } from '../src/ports/clock.ts';
import { randomIds } from '../src/ports/ids.ts';
import { silentLogger } from '../src/ports/logger.ts';
import { createMediaModule } from '../src/runtime/media.ts';
import { createMediaEndpoint } from '../src/server/media/endpoint.ts';
import { toS3Event } from '../src/functions/process-profile-photo/s3-event.ts';
import { load } from './support/load.ts';
import { startProcess } from './support/processes.ts';

const USER = 'b1000000-0000-4000-8000-000000000001';

// ---- child modes: the two HTTP servers of part 2 -----------------------------------------------

// ---- the bench ---------------------------------------------------------------------------------

interface Timing {
  photos: number;
  concurrency: number;
  photosPerSecond: number;
  p50Ms?: number;
  p99Ms?: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

type Task = (i: number) => Promise<unknown>;
type LoadResult = Awaited<ReturnType<typeof load>>;

const mean = (a: LoadResult, b: LoadResult): LoadResult => ({
  requestsPerSecond: Math.round((a.requestsPerSecond + b.requestsPerSecond) / 2),
  p50Ms: (a.p50Ms + b.p50Ms) / 2,
  p99Ms: (a.p99Ms + b.p99Ms) / 2,
  errors: a.errors + b.errors,
  non2xx: a.non2xx + b.non2xx,
});

/**
 * One photo at a time, the contenders interleaved photo by photo (A B C A B C ...), so a load
 * change on the machine hits them alike. Per contender: rate from the mean, p50/p99.
 */
async function sequential(n: number, tasks: Task[]): Promise<Timing[]> {
  const times = tasks.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < tasks.length; c++) {
      const t = performance.now();
      await tasks[c](i);
      times[c].push(performance.now() - t);
    }
  }
  return times.map((list) => {
    const sorted = [...list].sort((a, b) => a - b);
    const mean = list.reduce((a, b) => a + b, 0) / list.length;
    return { photos: n, concurrency: 1, photosPerSecond: round(1000 / mean), p50Ms: round(pct(sorted, 50), 1), p99Ms: round(pct(sorted, 99), 1) };
  });
}

/** `concurrency` photos at once, each contender in two half-runs in mirrored order (A B C, C B A). */
async function parallel(n: number, concurrency: number, tasks: Task[]): Promise<Timing[]> {
  const elapsed = tasks.map(() => 0);
  const half = Math.max(1, Math.floor(n / 2));
  const order = [...tasks.keys(), ...[...tasks.keys()].reverse()];
  for (let k = 0; k < order.length; k++) {
    const c = order[k];
    const offset = k < tasks.length ? 0 : half;
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < half) await tasks[c](offset + next++);
      }),
    );
    elapsed[c] += performance.now() - t;
  }
  return elapsed.map((ms) => ({ photos: 2 * half, concurrency, photosPerSecond: round((2 * half * 1000) / ms) }));
}

/** A phone-like 12-MP JPEG: smooth gradients plus sensor-like noise, EXIF Orientation 6 and GPS. */
async function makePhoto(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const base = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#000' } })
    .composite([
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#3a6ea5"/><stop offset="0.5" stop-color="#e8c07d"/><stop offset="1" stop-color="#2d5016"/></linearGradient></defs><rect width="400" height="300" fill="url(#g)"/><circle cx="260" cy="120" r="60" fill="#c0392b"/></svg>`,
        ),
      },
    ])
    .png()
    .toBuffer();
  const noise = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 0, sigma: 12 } } })
    .png()
    .toBuffer();
  return sharp(base)
    .resize(width, height)
    .composite([{ input: noise, blend: 'add' }])
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Make: 'PhoneCo', Model: 'Bench 12' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '40/1 25/1 0/1' } })
    .toBuffer();
}

function findImageMagick(): { bin: string; version: string } | { reason: string } {
  for (const bin of ['/usr/bin/convert', 'magick', 'convert']) {
    try {
      const version = execFileSync(bin, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const line = version.split('\n')[0];
      if (/ImageMagick/.test(line)) return { bin, version: line.replace(/^Version:\s*/, '') };
    } catch {
      // not this one
    }
  }
  return { reason: 'ImageMagick not installed (only a stand-in `convert`, or none): apt-get install imagemagick' };
}

function runConvert(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`convert exited ${code}: ${err}`))));
  });
}

async function main() {
  const photos = Number(process.argv[2] ?? 20);
  const seconds = Number(process.argv[3] ?? 8);
  const dataDir = mkdtempSync(join(tmpdir(), 'biilive-bench-'));
  try {
    const config = configSchema.parse({ dataDir, logLevel: 'silent' });
    const m = config.media;
    const input = await makePhoto();
    const inputMeta = await sharp(input).metadata();

    // -- 1. ProcessProfilePhoto, the real function --
    const tables = openSqliteTables({ path: join(dataDir, 'biilive.sqlite'), synchronous: config.sqlite.synchronous });
    await tables.ensure(tableDefinitions(config.tables));
    await tables.put({ table: config.tables.users, item: { userId: USER, nickname: 'bench' } });
    const media = await createMediaModule({ config, tables, clock: systemClock, ids: randomIds, log: silentLogger, publicUrl: () => 'http://127.0.0.1' });
    await media.blobs.ensure();
    let ts = Date.now();
    const staged = async (n: number) => {
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        const key = `incoming/profile-photos/${USER}/photo_${++ts}.jpg`;
        await media.blobs.put(key, input, { contentType: 'image/jpeg' });
        keys.push(key);
      }
      return keys;
    };
    const event = (key: string) =>
      toS3Event({ eventName: 'ObjectCreated:Put', bucket: media.blobs.bucket, key, size: input.length, etag: '"bench"', eventTime: Date.now() });
    const viaFunction = async (key: string) => {
      const [r] = await media.fn.handler(event(key));
      if (r.outcome.status !== 'processed') throw new Error(`not processed: ${JSON.stringify(r.outcome)}`);
    };

    // -- the bare sharp pipeline: the same calls, in memory --
    const opts = { failOn: 'warning', limitInputPixels: m.limitInputPixels } as const;
    const bareSharp = async () => {
      const meta = await sharp(input, opts).metadata();
      if (meta.format !== 'jpeg') throw new Error('format');
      const full = await sharp(input, opts)
        .rotate()
        .flatten({ background: '#ffffff' })
        .resize({ width: m.profilePhotoSize, height: m.profilePhotoSize, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: m.jpegQuality, mozjpeg: true })
        .toBuffer();
      await sharp(full, opts)
        .flatten({ background: '#ffffff' })
        .resize({ width: m.profileThumbnailSize, height: m.profileThumbnailSize, fit: 'cover', withoutEnlargement: true })
        .jpeg({ quality: m.jpegQuality, mozjpeg: true })
        .toBuffer();
    };

    // -- ImageMagick --
    const im = findImageMagick();
    const inputFile = join(dataDir, 'input.jpg');
    writeFileSync(inputFile, input);
    const convertArgs = (i: number) => [
      inputFile,
      '-auto-orient',
      '-strip',
      '-resize',
      `${m.profilePhotoSize}x${m.profilePhotoSize}>`,
      '-quality',
      String(m.jpegQuality),
      '-write',
      join(dataDir, `im-full-${i}.jpg`),
      '-resize',
      `${m.profileThumbnailSize}x${m.profileThumbnailSize}^`,
      '-gravity',
      'center',
      '-extent',
      `${m.profileThumbnailSize}x${m.profileThumbnailSize}`,
      join(dataDir, `im-thumb-${i}.jpg`),
    ];

    // Warm-up: one of each, so no contender pays first-call costs.
    await viaFunction((await staged(1))[0]);
    await bareSharp();
    if ('bin' in im) await runConvert(im.bin, convertArgs(0));

    const contenders: Task[] = [(i) => viaFunction(seqKeys[i]), () => bareSharp()];
    if ('bin' in im) contenders.push((i) => runConvert(im.bin, convertArgs(i)));
    const seqKeys = await staged(photos);
    const [fnSeq, sharpSeq, imSeq] = await sequential(photos, contenders);
    const parKeys = await staged(photos);
    contenders[0] = (i) => viaFunction(parKeys[i]);
    const [fnPar, sharpPar, imPar] = await parallel(photos, 2, contenders);
    const imFull = 'bin' in im ? await sharp(join(dataDir, 'im-full-0.jpg')).metadata() : undefined;

    // The profile's current photo and thumbnail (the newest processed).
    const profile = (await tables.get(config.tables.users, { userId: USER }, { consistent: true }))!;
    const keyOf = (url: unknown) => new URL(String(url)).pathname.slice(1);
    const thumbKey = keyOf(profile.profileThumbnailUrl);
    const thumb = (await media.blobs.head(thumbKey))!;
    const fullOut = await sharp(readFileSync(join(dataDir, 'media', m.bucket, keyOf(profile.profilePhotoUrl)))).metadata();
    await media.close();
    await tables.close();

    // -- 2. CDN GET of a cached thumbnail vs bare node:http --
    const thumbFile = join(dataDir, 'media', m.bucket, thumbKey);
    const cdn = await startProcess(['--import', 'tsx', 'bench/media.ts', '--serve-cdn', dataDir], /listening \d+/);
    const bare = await startProcess(['--import', 'tsx', 'bench/media.ts', '--serve-bare', thumbFile, thumb.etag], /listening \d+/);
    let cdnResult;
    let bareResult;
    try {
      const cdnUrl = `http://127.0.0.1:${/listening (\d+)/.exec(cdn.stdout)![1]}/${thumbKey}`;
      const bareUrl = `http://127.0.0.1:${/listening (\d+)/.exec(bare.stdout)![1]}/${thumbKey}`;
      const probe = await fetch(cdnUrl);
      const probeBody = Buffer.from(await probe.arrayBuffer());
      if (probe.status !== 200 || !probeBody.equals(readFileSync(thumbFile))) throw new Error(`CDN probe failed: ${probe.status}`);
      await load({ url: cdnUrl, durationSeconds: 2 });
      await load({ url: bareUrl, durationSeconds: 2 });
      // Interleaved halves (CDN, bare, bare, CDN), so a load change on the machine hits both alike.
      const half = Math.max(1, Math.round(seconds / 2));
      const c1 = await load({ url: cdnUrl, durationSeconds: half });
      const b1 = await load({ url: bareUrl, durationSeconds: half });
      const b2 = await load({ url: bareUrl, durationSeconds: half });
      const c2 = await load({ url: cdnUrl, durationSeconds: half });
      cdnResult = mean(c1, c2);
      bareResult = mean(b1, b2);
    } finally {
      await cdn.stop();
      await bare.stop();
    }

    const ratio = (a?: number, b?: number) => (a && b ? round(a / b, 3) : null);
    console.log(
      JSON.stringify(
        {
          bench: 'media: ProcessProfilePhoto and CDN GET',
          machine: { cpus: os.cpus().length, loadAverage1m: round(os.loadavg()[0], 1), node: process.version, sharp: sharp.versions.sharp, vips: sharp.versions.vips },
          input: { width: inputMeta.width, height: inputMeta.height, megapixels: round((inputMeta.width! * inputMeta.height!) / 1e6, 1), bytes: input.length, orientation: inputMeta.orientation },
          output: { full: [fullOut.width, fullOut.height], thumbnail: [m.profileThumbnailSize, m.profileThumbnailSize], thumbnailBytes: thumb.size, imagemagickFull: imFull ? [imFull.width, imFull.height] : null },
          processProfilePhoto: {
            what: 'real handler: S3 event -> fs store (fsync) read, sharp (failOn warning, pixel cap, rotate, 1080 mozjpeg + 200 cover from it), 2 fs writes, SQLite conditional profile update (synchronous FULL), quarantine delete',
            sequential: fnSeq,
            parallel: fnPar,
          },
          bareSharp: { what: 'the same sharp calls on the in-memory buffer, no storage or table', sequential: sharpSeq, parallel: sharpPar },
          imagemagick:
            'bin' in im
              ? { available: true, version: im.version, command: `convert ${convertArgs(0).map((a) => a.replace(dataDir, '$DIR')).join(' ')}`, sequential: imSeq, parallel: imPar }
              : { available: false, reason: im.reason },
          ratios: {
            processVsBareSharp: { sequential: ratio(fnSeq.photosPerSecond, sharpSeq.photosPerSecond), parallel: ratio(fnPar.photosPerSecond, sharpPar.photosPerSecond), aim: 0.9 },
            processVsImageMagick: { sequential: ratio(fnSeq.photosPerSecond, imSeq?.photosPerSecond), parallel: ratio(fnPar.photosPerSecond, imPar?.photosPerSecond) },
          },
          cdnThumbnail: {
            bytes: thumb.size,
            cdn: { what: 'GET through the media handler, hot-object cache hit', ...cdnResult },
            baseline: { what: 'bare node:http sending the same bytes', ...bareResult },
            ratio: { requestsPerSecond: ratio(cdnResult.requestsPerSecond, bareResult.requestsPerSecond) },
          },
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- child modes: the two HTTP servers of part 2 -----------------------------------------------

async function serveCdn(dataDir: string) {
  const config = configSchema.parse({ dataDir, logLevel: 'silent' });
  const tables = openSqliteTables({ path: join(dataDir, 'biilive.sqlite'), synchronous: config.sqlite.synchronous });
  let base = '';
  const media = await createMediaModule({ config, tables, clock: systemClock, ids: randomIds, log: silentLogger, publicUrl: () => base });
  const handler = createMediaEndpoint({ media, settings: config.media, clock: systemClock, log: silentLogger });
  const server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    console.log(`listening ${(server.address() as AddressInfo).port}`);
  });
  process.on('SIGTERM', () => server.close(() => void media.close().then(() => tables.close()).then(() => process.exit(0))));
}

function serveBare(file: string, etag: string) {
  const body = readFileSync(file);
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length, etag, 'cache-control': 'public, max-age=86400' });
    res.end(body);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (process.argv[2] === '--serve-cdn') await serveCdn(process.argv[3]);
else if (process.argv[2] === '--serve-bare') serveBare(process.argv[3], process.argv[4]);
else await main();
