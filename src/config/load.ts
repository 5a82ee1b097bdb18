import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

/** Every problem with the configuration, reported at once; the CLI prints it and exits with code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Plain = Record<string, unknown>;

export interface ConfigSources {
  /** Path of an optional JSON config file. */
  file?: string;
  /** Environment (BIILIVE_PORT, BIILIVE_LIMITS_MAX_DEPTH, ...). */
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, already nested (e.g. { port: 4001, limits: { maxDepth: 8 } }). */
  flags?: Plain;
}

const ENV_PREFIX = 'BIILIVE_';

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Env variable name for each config path, derived from the schema so the two never drift. */
export function envNames(): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const shape = configSchema.shape as Record<string, z.ZodType>;
  for (const [key, type] of Object.entries(shape)) {
    const inner = unwrapObject(type);
    if (inner) {
      for (const sub of Object.keys(inner.shape)) names.set(`${ENV_PREFIX}${snake(key)}_${snake(sub)}`, [key, sub]);
    } else {
      names.set(`${ENV_PREFIX}${snake(key)}`, [key]);
    }
  }
  return names;
}

function unwrapObject(type: z.ZodType): z.ZodObject | undefined {
  let t: unknown = type;
  for (let i = 0; i < 5 && t; i++) {
    if (t instanceof z.ZodObject) return t;
    const def = (t as { _zod?: { def?: { innerType?: unknown; in?: unknown } } })._zod?.def;
    t = def?.innerType ?? def?.in;
  }
  return undefined;
}

function fromEnv(env: NodeJS.ProcessEnv, problems: string[]): Plain {
  const names = envNames();
  const out: Plain = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    if (name === 'BIILIVE_CONFIG') continue;
    const path = names.get(name);
    if (!path) {
      problems.push(`${name}: not a configuration variable`);
      continue;
    }
    setPath(out, path, value);
  }
  return out;
}

function setPath(target: Plain, path: string[], value: unknown) {
  let node = target;
  for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Plain;
  node[path[path.length - 1]] = value;
}

function merge(...layers: Plain[]): Plain {
  const out: Plain = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      const isObj = v && typeof v === 'object' && !Array.isArray(v);
      out[k] = isObj ? merge((out[k] as Plain) ?? {}, v as Plain) : v;
    }
  }
  return out;
}

function readFile(path: string, problems: string[]): Plain {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`config file ${path}: must hold a JSON object`);
      return {};
    }
    return parsed as Plain;
  } catch (err) {
    problems.push(`config file ${path}: ${(err as Error).message}`);
    return {};
  }
}

/** Builds the one frozen Config from defaults < file < environment < flags, or throws ConfigError. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const problems: string[] = [];
  const env = sources.env ?? {};
  const filePath = sources.file ?? env.BIILIVE_CONFIG;
  const file = filePath ? readFile(filePath, problems) : {};
  const merged = merge(file, fromEnv(env, problems), sources.flags ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) problems.push(`${[...issue.path, k].join('.')}: not a configuration key`);
      } else {
        problems.push(`${key || '(root)'}: ${issue.message}`);
      }
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
