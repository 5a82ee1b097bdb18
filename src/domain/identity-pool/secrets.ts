import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Ids } from '../../ports/ids.ts';
import { ConditionalCheckFailedError, type Tables } from '../../ports/tables.ts';

/**
 * The identity pool's secrets, generated on first start and kept in the system table (never in
 * configuration or the package), so credentials and tokens stay valid across restarts and replicas:
 * the HMAC key that seals and derives temporary credentials, and the RSA key of GetOpenIdToken.
 */
export interface IdentityPoolSecrets {
  credentialsKey: Buffer;
  openId: { kid: string; privateKey: KeyObject; publicKey: KeyObject };
}

const KEY = { pk: 'IDENTITY-POOL', sk: 'SECRETS' };

export async function loadIdentityPoolSecrets(tables: Tables, systemTable: string, ids: Ids): Promise<IdentityPoolSecrets> {
  let stored = await tables.get(systemTable, KEY, { consistent: true });
  if (!stored) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    try {
      await tables.put({
        table: systemTable,
        item: { ...KEY, credentialsKey: ids.token(32), openIdKid: ids.uuid(), openIdKey: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
        condition: { notExists: 'pk' },
      });
    } catch (err) {
      // Another replica won the race: use its secrets.
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
    }
    stored = await tables.get(systemTable, KEY, { consistent: true });
  }
  const credentialsKey = Buffer.from(String(stored?.credentialsKey ?? ''), 'base64url');
  if (credentialsKey.length < 32) throw new Error('the stored identity-pool secret is missing or too short');
  const privateKey = createPrivateKey(String(stored!.openIdKey));
  return { credentialsKey, openId: { kid: String(stored!.openIdKid), privateKey, publicKey: createPublicKey(privateKey) } };
}
