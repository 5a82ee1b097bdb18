/**
 * The VTL templates of infra/api/vtl and the deploy-time values they read. VTL has no other way
 * to receive a deployment's settings than text, so a template that reads `$config.<name>` gets one
 * line prepended: `#set($config = {...})` with the values below. Templates that do not mention
 * `$config` (the seed's getUser among them) are deployed exactly as written.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VTL_DIR = fileURLToPath(new URL('./vtl/', import.meta.url));

/** What `$config` holds in the templates. */
export interface TemplateConfig {
  /** Physical name of BIILIVEDB-USERS (BatchGetItem names its table; a CDK token is fine). */
  usersTable: string;
  /** Page size when `limit` is omitted (config limits.pageSizeDefault). */
  pageSizeDefault: number;
  /** Largest `limit` accepted (config limits.pageSizeMax); at most one BatchGetItem of profiles. */
  pageSizeMax: number;
  /** Longest user id (src/domain/social/keys.ts). */
  maxUserIdLength: number;
  /** A regular expression a user id matches: no control characters (the same rule as isUserId). */
  userIdPattern: string;
}

/** Java's and JavaScript's regular expressions read it alike (AppSync's $util.matches, the simulator's). */
export const USER_ID_PATTERN = '^[^\\x00-\\x1f\\x7f]*$';

const CONFIG_REFERENCE = /\$\{?config\./;

/** A template file's text as written. */
export function readTemplate(file: string): string {
  return readFileSync(VTL_DIR + file, 'utf8');
}

/** Whether the template reads deploy-time values. */
export const usesConfig = (text: string): boolean => CONFIG_REFERENCE.test(text);

/** The template as deployed: the file, with the `$config` line in front when it reads one. */
export function renderTemplate(file: string, config: TemplateConfig): string {
  const text = readTemplate(file);
  if (!usesConfig(text)) return text;
  return `${configLine(config)}\n${text}`;
}

/** VTL string literals have no escapes: a value is written as it is, and may not hold a quote. */
function configLine(config: TemplateConfig): string {
  const entries = Object.entries(config).map(([k, v]) => {
    if (typeof v === 'number') return `"${k}": ${v}`;
    if (v.includes('"')) throw new Error(`template value ${k} holds a double quote, which VTL cannot write: ${v}`);
    return `"${k}": "${v}"`;
  });
  return `#set($config = {${entries.join(', ')}})`;
}
