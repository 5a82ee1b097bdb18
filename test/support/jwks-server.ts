/**
 * A stand-in for a Cognito user pool's public side, on loopback over HTTPS (self-signed, its own
 * CA): `GET /<poolId>/.well-known/jwks.json` and tokens shaped as Cognito's, signed with its key.
 * The mock plays only what no real peer can here (AWS's Cognito); it counts JWKS fetches.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export interface JwksPool {
  poolId: string;
  issuer: string;
  /** PEM file of the server's certificate (its own CA). */
  caFile: string;
  clientId: string;
  jwksFetches: number;
  /** A token as the pool would issue it; `with` overrides claims, `key` signs with another key. */
  token(o: { use: 'id' | 'access'; sub: string; username: string; claims?: Record<string, unknown>; key?: KeyObject; kid?: string; expiresIn?: number }): Promise<string>;
  close(): Promise<void>;
}

export async function startJwksPool(poolId = 'eu-west-3_TestPool', clientId = 'externalclient0000000000001'): Promise<JwksPool> {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'test pool' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'subjectAltName', altNames: [{ type: 7 as const, ip: '127.0.0.1' }] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'biilive-jwks-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pems.cert);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const state = { fetches: 0 };
  const server: Server = createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
    if (req.url === `/${poolId}/.well-known/jwks.json`) {
      state.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}/${poolId}`;
  return {
    poolId,
    issuer,
    caFile,
    clientId,
    get jwksFetches() {
      return state.fetches;
    },
    async token(o) {
      const base =
        o.use === 'id'
          ? { aud: clientId, 'cognito:username': o.username, token_use: 'id' }
          : { client_id: clientId, username: o.username, token_use: 'access', scope: 'aws.cognito.signin.user.admin' };
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...base, sub: o.sub, iss: issuer, auth_time: now, jti: randomUUID(), origin_jti: randomUUID(), ...o.claims })
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? kid })
        .setIssuedAt(now)
        .setExpirationTime(now + (o.expiresIn ?? 3600))
        .sign(o.key ?? privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
