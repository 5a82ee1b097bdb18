import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from '../../ports/clock.ts';
import { ConditionalCheckFailedError, type Item, type Tables } from '../../ports/tables.ts';

/**
 * The pool's secrets, generated on first start and kept in the system table (never in the package):
 * two RSA-2048 key pairs like Cognito (ID tokens and access tokens carry different `kid`s) and the
 * key sealing stored codes. Replicas racing on first start converge: conditional put, then re-read,
 * so everyone signs with whichever set was written first.
 */
export interface SigningKey {
  kid: string;
  use: 'id' | 'access';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as published in jwks.json. */
  jwk: { kid: string; alg: 'RS256'; kty: 'RSA'; e: string; n: string; use: 'sig' };
}

export interface IdentityKeys {
  id: SigningKey;
  access: SigningKey;
  codeSealKey: Buffer;
}

const KEY = { pk: 'IDENTITY', sk: 'SIGNING_KEYS' };
const generateRsa = promisify(generateKeyPair);

/** RFC 7638 thumbprint, rendered like Cognito's kids (44-char standard base64). */
function kidOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64');
}

function toSigningKey(use: 'id' | 'access', pkcs8: string): SigningKey {
  const privateKey = createPrivateKey({ key: pkcs8, format: 'pem' });
  const publicKey = createPublicKey(privateKey);
  const { e, n } = publicKey.export({ format: 'jwk' });
  const kid = kidOf(publicKey);
  return { kid, use, privateKey, publicKey, jwk: { kid, alg: 'RS256', kty: 'RSA', e: e!, n: n!, use: 'sig' } };
}

async function newPkcs8(): Promise<string> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}

function fromItem(item: Item): IdentityKeys {
  return {
    id: toSigningKey('id', String(item.idPrivateKey)),
    access: toSigningKey('access', String(item.accessPrivateKey)),
    codeSealKey: Buffer.from(String(item.codeSealKey), 'base64url'),
  };
}

export async function loadIdentityKeys(deps: { tables: Tables; systemTable: string; clock: Clock }): Promise<IdentityKeys> {
  const { tables, systemTable } = deps;
  const stored = await tables.get(systemTable, KEY, { consistent: true });
  if (stored) return fromItem(stored);
  const [idKey, accessKey] = await Promise.all([newPkcs8(), newPkcs8()]);
  try {
    await tables.put({
      table: systemTable,
      item: {
        ...KEY,
        idPrivateKey: idKey,
        accessPrivateKey: accessKey,
        codeSealKey: randomBytes(32).toString('base64url'),
        createdAt: new Date(deps.clock.now()).toISOString(),
      },
      condition: { notExists: 'pk' },
    });
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedError)) throw err; // another replica won: use its keys
  }
  const winner = await tables.get(systemTable, KEY, { consistent: true });
  if (!winner) throw new Error('identity signing keys vanished after being written');
  return fromItem(winner);
}
