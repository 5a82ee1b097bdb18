/**
 * A real S3-API server for adapter tests: s3rver (npm, devDependency), in a child process on
 * 127.0.0.1, port 0, with a temp folder.
 *
 * Why a child process with --openssl-legacy-provider: s3rver builds ListObjectsV2 continuation
 * tokens with DES, which Node's OpenSSL 3 only offers through the legacy provider (a process-wide
 * start-up flag). Known gaps of s3rver (tests state them where they skip): it does not check
 * presigned-URL signatures, signed headers or expiry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface S3TestServer {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
  /** Stops the server (an outage), keeping its folder and port; `up()` serves them again. */
  down(): Promise<void>;
  up(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

const SCRIPT = `
const S3rver = require('s3rver');
const server = new S3rver({ port: Number(process.argv[2]) || 0, address: '127.0.0.1', silent: true, directory: process.argv[1] });
server.run().then(({ port }) => console.log('listening ' + port), (err) => { console.error(err); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
// The parent holds our stdin: when it exits (even killed), so do we.
process.stdin.on('end', () => process.exit(0)).resume();
`;

/** One s3rver child on `port` (0: any) over `dir`; resolves with the child and its port. */
async function launch(dir: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  // A peer, so its Node is pinned (scripts/test-on-node24.mjs passes the one that installed it):
  // on Node 24, s3rver stores a PUT whose client aborted mid-body instead of discarding it.
  const child = spawn(process.env.S3RVER_NODE ?? process.execPath, ['--openssl-legacy-provider', '-e', SCRIPT, dir, String(port)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const listening = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start\n${stderr}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}\n${stderr}`));
    });
  });
  return { child, port: listening };
}

const ended = (child: ChildProcess) =>
  new Promise<void>((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });

export async function startS3Server(): Promise<S3TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'biilive-s3-'));
  let { child, port } = await launch(dir, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    stop: async () => {
      await ended(child);
      rmSync(dir, { recursive: true, force: true });
    },
    down: () => ended(child),
    up: async () => {
      ({ child, port } = await launch(dir, port));
    },
  };
}
