import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildASTSchema, parse } from 'graphql';
import { operations } from '../../src/api/registry.ts';
import { schemaSource } from '../../src/api/executable-schema.ts';
import { APPSYNC_PRELUDE as appsyncPrelude } from '../../src/api/appsync/prelude.ts';
import { targets } from '../../src/server/cognito/targets/index.ts';
import { poolTargets } from '../../src/server/identity-pool/targets/index.ts';
import { S3_OPERATIONS } from '../../src/server/s3/endpoint.ts';

const matrix = readFileSync(new URL('../../docs/support-matrix.md', import.meta.url), 'utf8');

/** `| \`Name\` | status ... |` rows of the section that starts with `heading`. */
function rows(heading: string): Map<string, string> {
  const section = matrix.split(/^## /m).find((s) => s.startsWith(heading));
  assert.ok(section, `section ${heading}`);
  const out = new Map<string, string>();
  for (const m of section.matchAll(/^\| `([A-Za-z0-9.*]+)` \| ([^|]+)\|/gm)) out.set(m[1], m[2].trim());
  return out;
}

test('GraphQL: the supported rows are exactly the registered operations, and every root field has a row', () => {
  const graphqlRows = rows('GraphQL operations');
  const supported = [...graphqlRows].filter(([, status]) => status.startsWith('supported')).map(([name]) => name);
  const registered = operations.map((o) => `${o.type}.${o.field}`);
  assert.deepEqual(supported.sort(), registered.sort());

  const schema = buildASTSchema(parse(`${appsyncPrelude}\n${schemaSource()}`));
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
    t ? Object.keys(t.getFields()).map((f) => `${t.name}.${f}`) : [],
  );
  for (const field of roots) assert.ok(graphqlRows.has(field), `docs/support-matrix.md lacks ${field}`);
});

test('Cognito: the supported rows are exactly the routed targets', () => {
  const supported = [...rows('Cognito user pool actions')].filter(([, s]) => s.startsWith('supported')).map(([n]) => n);
  assert.deepEqual(supported.sort(), [...targets.keys()].sort());
});

test('Cognito identity pool: the supported rows are exactly the routed targets', () => {
  const supported = [...rows('Cognito identity pool actions')].filter(([, s]) => s.startsWith('supported')).map(([n]) => n);
  assert.deepEqual(supported.sort(), [...poolTargets.keys()].sort());
});

test('S3-compatible media endpoint: the supported rows are exactly the served operations', () => {
  const supported = [...rows('S3-compatible media endpoint')].filter(([, s]) => s.startsWith('supported')).map(([n]) => n);
  assert.deepEqual(supported.sort(), [...S3_OPERATIONS].sort());
});
