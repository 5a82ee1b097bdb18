#!/usr/bin/env node
// Runs node:test over test/**/*.test.ts through tsx. Optional argument: a tier folder (unit, adapters, e2e).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const tier = process.argv[2];
const base = join(root, 'test', tier ?? '');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
})(base);
if (files.length === 0) {
  console.error(`no test files under ${base}`);
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files];
const res = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test' } });
process.exit(res.status ?? 1);
