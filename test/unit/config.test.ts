import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envNames, loadConfig } from '../../src/config/load.ts';

test('defaults are the seed values', () => {
  const c = loadConfig({});
  assert.equal(c.port, 4000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.dataDir, './data');
  assert.equal(c.region, 'eu-west-3');
  assert.deepEqual(
    [c.tables.users, c.tables.social, c.tables.chats],
    ['BIILIVEDB-USERS', 'BIIHLIVE-SOCIAL-V2', 'BIILIVEDB-CHATS'],
  );
  assert.equal(c.limits.maxDepth, 6);
  assert.equal(c.limits.maxAliases, 15);
  assert.equal(c.limits.maxDirectives, 50);
  assert.equal(c.limits.maxTokens, 1000);
  assert.equal(c.limits.maxCost, 5000);
});

test('precedence: defaults < file < environment < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'biilive-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: 5000, region: 'us-east-1', limits: { maxDepth: 8, maxAliases: 3 } }));
  const c = loadConfig({
    file,
    env: { BIILIVE_PORT: '6000', BIILIVE_LIMITS_MAX_DEPTH: '9' },
    flags: { port: '7000' },
  });
  assert.equal(c.port, 7000);
  assert.equal(c.region, 'us-east-1');
  assert.equal(c.limits.maxDepth, 9);
  assert.equal(c.limits.maxAliases, 3);
  assert.equal(c.limits.maxCost, 5000);
});

test('every bad key is reported at once, by name', () => {
  assert.throws(
    () =>
      loadConfig({
        env: { BIILIVE_PORT: 'eighty', BIILIVE_NOT_A_KEY: '1', BIILIVE_REGION: 'mars' },
        flags: { limits: { maxDepth: 0 }, bogus: true },
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      for (const key of ['port', 'BIILIVE_NOT_A_KEY', 'region', 'limits.maxDepth', 'bogus']) assert.match(text, new RegExp(key));
      assert.equal(err.problems.length, 5);
      return true;
    },
  );
});

test('a config file that is not JSON is a config error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'biilive-config-'));
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{ port: ');
  assert.throws(() => loadConfig({ file }), (err: unknown) => err instanceof ConfigError && /broken\.json/.test(err.message));
});

test('the config object is frozen', () => {
  const c = loadConfig({});
  assert.throws(() => ((c as { port: number }).port = 1));
  assert.throws(() => ((c.limits as { maxDepth: number }).maxDepth = 1));
});

test('the README configuration table names every key and variable', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const [env, path] of envNames()) {
    assert.ok(readme.includes(`\`${env}\``), `README lacks ${env}`);
    assert.ok(readme.includes(`\`${path.join('.')}\``), `README lacks ${path.join('.')}`);
  }
});
