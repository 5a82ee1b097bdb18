/**
 * The deployment's settings, from CDK context (`-c key=value` or cdk.json "context"), with the
 * seed's values as defaults. Keys that are configuration keys of the server keep the config path
 * as their name (`region`, `tables.users`, `media.bucket`, `tokens.accessTokenMinutes`,
 * `auth.passwordMinLength`, `rankings.cron`), and are validated by the same schema
 * (src/config/schema.ts), so a name the server would refuse is refused here too.
 * Infrastructure-only keys: `account`, `alarmEmail`, `corsOrigins`, `logRetentionDays`.
 */
import type { Node } from 'constructs';
import { configSchema, type Config } from '../src/config/schema.ts';
import type { TableNames } from '../src/domain/tables.ts';

/** Everything the stack reads from context, resolved and validated. */
export interface BiiliveContext {
  /** The stack's region (config `region`, default the seed's). */
  region: string;
  /** Pinned account, if any; otherwise the deploying credentials' account. */
  account?: string;
  tables: TableNames;
  /** The media bucket (config `media.bucket`). */
  bucket: string;
  /** Origins allowed to PUT (presigned uploads) and GET the bucket from a browser. */
  corsOrigins: string[];
  /** Default of the AlarmEmail parameter; empty: no e-mail subscription until one is given. */
  alarmEmail: string;
  tokens: Config['tokens'];
  passwordMinLength: number;
  /** CalculateRankings' schedule as a config cron pattern (UTC), converted for EventBridge. */
  rankingsCron: string;
  /** CloudWatch Logs retention of every function and log group, days. */
  logRetentionDays: number;
}

/** Config paths that may be set from context. */
const CONFIG_KEYS = [
  'region',
  ...Object.keys(configSchema.parse({}).tables).map((t) => `tables.${t}`),
  'media.bucket',
  'tokens.accessTokenMinutes',
  'tokens.idTokenMinutes',
  'tokens.refreshTokenDays',
  'auth.passwordMinLength',
  'rankings.cron',
] as const;

const DEFAULT_LOG_RETENTION_DAYS = 30;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Thrown with every bad context value listed. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

type Lookup = (key: string) => unknown;

/** Reads and validates the context of `node` (usually the App's). */
export function readContext(node: Node): BiiliveContext {
  return resolveContext((key) => node.tryGetContext(key));
}

/** The same, over any lookup (tests). */
export function resolveContext(lookup: Lookup): BiiliveContext {
  const problems: string[] = [];
  const overrides: Record<string, Record<string, unknown> | unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = lookup(key);
    if (value === undefined) continue;
    const [head, tail] = key.split('.');
    if (tail === undefined) overrides[head] = value;
    else ((overrides[head] ??= {}) as Record<string, unknown>)[tail] = value;
  }
  const parsed = configSchema.safeParse(overrides);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }

  const account = optionalString(lookup('account'));
  if (account !== undefined && !/^\d{12}$/.test(account)) problems.push('account: must be a 12-digit AWS account id');
  const alarmEmail = optionalString(lookup('alarmEmail')) ?? '';
  if (alarmEmail !== '' && !EMAIL.test(alarmEmail)) problems.push('alarmEmail: must be an e-mail address');
  const corsOrigins = listOf(lookup('corsOrigins')) ?? ['*'];
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`corsOrigins: ${origin} is not an origin (scheme://host[:port]) or *`);
  }
  const retention = Number(lookup('logRetentionDays') ?? DEFAULT_LOG_RETENTION_DAYS);
  if (!Number.isInteger(retention) || retention < 1) problems.push('logRetentionDays: must be a positive whole number of days');

  if (problems.length > 0 || !parsed.success) {
    throw new ContextError(`invalid CDK context:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const config = parsed.data;
  return {
    region: config.region,
    account,
    tables: { ...config.tables },
    bucket: config.media.bucket,
    corsOrigins,
    alarmEmail,
    tokens: { ...config.tokens },
    passwordMinLength: config.auth.passwordMinLength,
    rankingsCron: config.rankings.cron,
    logRetentionDays: retention,
  };
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value).trim();
}

/** A list from cdk.json (array) or from `-c key=a,b` (comma-separated string). */
function listOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}
