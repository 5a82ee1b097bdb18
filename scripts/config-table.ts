/**
 * Prints the README's configuration table from the schema itself: key, environment variable,
 * default, and the key's doc comment in src/config/schema.ts. `node --import tsx scripts/config-table.ts`
 */
import { readFileSync } from 'node:fs';
import { envNames } from '../src/config/load.ts';
import { configSchema } from '../src/config/schema.ts';

const source = readFileSync(new URL('../src/config/schema.ts', import.meta.url), 'utf8').split('\n');
const docs = new Map<string, string>();
const stack: Array<{ name: string; indent: number }> = [];
let comment: string[] = [];
let inComment = false;
for (let i = 0; i < source.length; i++) {
  const line = source[i];
  const trimmed = line.trim();
  if (trimmed.startsWith('/**')) {
    inComment = true;
    comment = [];
  }
  if (inComment) {
    comment.push(trimmed.replace(/^\/\*\*|\*\/$|^\*\/|^\*/g, '').trim());
    if (trimmed.endsWith('*/')) inComment = false;
    continue;
  }
  const m = /^(\s*)(\w+): /.exec(line);
  if (m) {
    const indent = m[1].length;
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    const path = [...stack.map((s) => s.name), m[2]].join('.');
    if (comment.length) docs.set(path, comment.filter(Boolean).join(' '));
    const opensObject = /z\s*$/.test(line) && /^\s*\.object\(\{/.test(source[i + 1] ?? '');
    if (opensObject || /z\.object\(\{\s*$/.test(line)) stack.push({ name: m[2], indent });
  }
  if (trimmed && !trimmed.startsWith('//')) comment = [];
}

const defaults = configSchema.parse({}) as Record<string, unknown>;
const rows = ['| key | environment | default | meaning |', '|---|---|---|---|'];
for (const [env, path] of envNames()) {
  let value: unknown = defaults;
  for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
  const shown = value === undefined ? '-' : `\`${JSON.stringify(value).replace(/\|/g, '\\|')}\``;
  rows.push(`| \`${path.join('.')}\` | \`${env}\` | ${shown} | ${(docs.get(path.join('.')) ?? '').replace(/\|/g, '\\|')} |`);
}
console.log(rows.join('\n'));
