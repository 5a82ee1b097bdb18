#!/usr/bin/env node
// Runs node:test over test/**/*.test.ts through tsx. Optional argument: a tier folder (unit, adapters, e2e, infra, lambda).
// When tests that read the CDK app's output are selected (test/infra, test/lambda), the app is
// synthesized once first, into a fresh temp dir passed to every test file in TEST_CDK_OUTDIR.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
/** Tiers whose tests read the synthesized stack or its bundles (test/support/cdk-template.ts). */
const SYNTH_TIERS = ['infra', 'lambda'];
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

const env = { ...process.env, NODE_ENV: 'test' };
let cdkOut;
if (files.some((f) => SYNTH_TIERS.includes(relative(join(root, 'test'), f).split(sep)[0]))) {
  cdkOut = mkdtempSync(join(tmpdir(), 'biilive-cdk-'));
  const started = Date.now();
  const synth = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'support', 'cdk-template.ts'), cdkOut], {
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: root,
    env,
  });
  if (synth.status !== 0) {
    rmSync(cdkOut, { recursive: true, force: true });
    console.error('cdk synth failed; no tests run');
    process.exit(synth.status ?? 1);
  }
  console.error(`cdk synth: ${((Date.now() - started) / 1000).toFixed(1)} s (${cdkOut})`);
  env.TEST_CDK_OUTDIR = cdkOut;
}

const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files];
const res = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env });
if (cdkOut) rmSync(cdkOut, { recursive: true, force: true });
process.exit(res.status ?? 1);
