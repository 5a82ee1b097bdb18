import type { Ids } from '../../ports/ids.ts';
import { ConditionalCheckFailedError, type Tables } from '../../ports/tables.ts';

const KEY = { pk: 'MEDIA', sk: 'URL-SIGNING-SECRET' };

/**
 * The HMAC key of the embedded store's presigned URLs: generated on first start and kept in the
 * system table (like the installation ids), so URLs stay valid across restarts and replicas, and no
 * secret ever sits in configuration or the package.
 */
export async function loadMediaSigningSecret(tables: Tables, systemTable: string, ids: Ids): Promise<Buffer> {
  let stored = await tables.get(systemTable, KEY, { consistent: true });
  if (!stored) {
    try {
      await tables.put({ table: systemTable, item: { ...KEY, secret: ids.token(32) }, condition: { notExists: 'pk' } });
    } catch (err) {
      // Another replica won the race: use its secret.
      if (!(err instanceof ConditionalCheckFailedError)) throw err;
    }
    stored = await tables.get(systemTable, KEY, { consistent: true });
  }
  const secret = Buffer.from(String(stored?.secret ?? ''), 'base64url');
  if (secret.length < 32) throw new Error('the stored media signing secret is missing or too short');
  return secret;
}
