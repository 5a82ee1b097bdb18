import type { Ids } from '../ports/ids.ts';
import type { Tables } from '../ports/tables.ts';
import { ConditionalCheckFailedError } from '../ports/tables.ts';

/**
 * Per-installation identifiers: generated once on first start and kept in the system table, so a
 * restart (or another replica) sees the same pool id, client id and API key. Values given in the
 * configuration win and are not stored.
 */
export interface Installation {
  userPoolId: string;
  userPoolClientId: string;
  apiKey: string;
}

const KEY = { pk: 'INSTALLATION', sk: 'IDS' };
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const POOL_ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

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
  };
}

export async function loadInstallation(
  tables: Tables,
  systemTable: string,
  ids: Ids,
  region: string,
  configured: Partial<Installation>,
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
  }
  return {
    userPoolId: configured.userPoolId ?? String(stored!.userPoolId),
    userPoolClientId: configured.userPoolClientId ?? String(stored!.userPoolClientId),
    apiKey: configured.apiKey ?? String(stored!.apiKey),
  };
}
