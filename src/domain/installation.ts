import type { Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';
import { ConditionalCheckFailedError } from '../ports/tables.ts';

/**
 * Per-installation identifiers: generated once on first start and kept in the system table, so a
 * restart (or another replica) sees the same pool ids, client id, API key and operator keys.
 * Values given in the configuration win and are not stored. Installations from before a value
 * existed get it generated on their next start (set only if still absent, so replicas agree).
 */
export interface Installation {
  userPoolId: string;
  userPoolClientId: string;
  apiKey: string;
  /** The Cognito identity pool id (`<region>:<uuid>`). */
  identityPoolId: string;
  /** Operator credentials: the Cognito admin API accepts requests SigV4-signed with them. */
  adminAccessKeyId: string;
  adminSecretAccessKey: string;
}

/** The configuration's say: explicit ids and keys win over generated ones. */
export interface ConfiguredInstallation {
  userPoolId?: string;
  userPoolClientId?: string;
  apiKey?: string;
  identityPool?: { id?: string };
  admin?: { accessKeyId?: string; secretAccessKey?: string };
}

const KEY = { pk: 'INSTALLATION', sk: 'IDS' };
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const POOL_ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const KEY_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomString(ids: Ids, alphabet: string, length: number): string {
  const bytes = Buffer.from(ids.token(length * 2), 'base64url');
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

export function generateInstallation(ids: Ids, region: string): Installation {
  return {
    userPoolId: `${region}_${randomString(ids, POOL_ALNUM, 9)}`,
    userPoolClientId: randomString(ids, ALNUM, 26),
    apiKey: `da2-${randomString(ids, ALNUM, 26)}`,
    identityPoolId: `${region}:${ids.uuid()}`,
    // AWS's shapes: a 20-character key id starting AKIA, a 40-character secret.
    adminAccessKeyId: `AKIA${randomString(ids, KEY_ALNUM, 16)}`,
    adminSecretAccessKey: ids.token(30),
  };
}

const FIELDS = ['userPoolId', 'userPoolClientId', 'apiKey', 'identityPoolId', 'adminAccessKeyId', 'adminSecretAccessKey'] as const;

export async function loadInstallation(
  tables: Tables,
  systemTable: string,
  ids: Ids,
  region: string,
  configured: ConfiguredInstallation,
): Promise<Installation> {
  let stored = await tables.get(systemTable, KEY, { consistent: true });
  if (!stored) {
    const fresh = generateInstallation(ids, region);
    try {
      await tables.put({ table: systemTable, item: { ...KEY, ...fresh }, condition: { notExists: 'pk' } });
    } catch (err) {
      // Another replica won the race: use its values.
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
    }
    stored = await tables.get(systemTable, KEY, { consistent: true });
  } else if (FIELDS.some((f) => stored![f] === undefined)) {
    const fresh = generateInstallation(ids, region);
    const missing = Object.fromEntries(FIELDS.filter((f) => stored![f] === undefined).map((f) => [f, fresh[f]]));
    stored = await tables.update({ table: systemTable, key: KEY, setIfNotExists: missing });
  }
  const s = stored!;
  return {
    userPoolId: configured.userPoolId ?? String(s.userPoolId),
    userPoolClientId: configured.userPoolClientId ?? String(s.userPoolClientId),
    apiKey: configured.apiKey ?? String(s.apiKey),
    identityPoolId: configured.identityPool?.id ?? String(s.identityPoolId),
    adminAccessKeyId: configured.admin?.accessKeyId ?? String(s.adminAccessKeyId),
    adminSecretAccessKey: configured.admin?.secretAccessKey ?? String(s.adminSecretAccessKey),
  };
}
