import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Installation } from '../domain/installation.ts';
import { writePrivateFile } from './private-files.ts';
import { tlsCertPath, tlsEnabled } from './tls.ts';

/** What a client needs to reach this server: printed by `serve`, `info --json`, `info --amplify`. */
export interface Endpoints {
  graphqlUrl: string;
  realtimeUrl: string;
  cognitoEndpoint: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  apiKey: string;
  issuer: string;
  /** With TLS: the certificate clients must trust (self-signed: generated in the data dir). */
  tlsCertPath?: string;
  /** 'external': the user pool is another (Cognito) pool; this server serves no user-pool endpoint. */
  identityMode?: 'embedded' | 'external';
  /** The Cognito identity pool (same endpoint as the user pool: POST /). */
  identityPoolId: string;
  allowGuestAccess: boolean;
  /** The S3-compatible media endpoint: the bucket name Amplify should use (the dotted alias, path-style) ... */
  storageBucket: string;
  /** ... and its per-call `customEndpoint` (host and port, no scheme: Amplify always dials https). */
  storageEndpoint: string;
  /** AWS itself (an AWS-native deployment): Amplify reaches Cognito and S3 without endpoint overrides. */
  managed?: boolean;
}

/** The dotted name the S3 endpoint also answers to (Amplify addresses it path-style: no DNS needed). */
export const apiBucketAlias = (config: Pick<Config, 'media'>) => config.media.apiBucketAlias ?? `${config.media.bucket}.local`;

const RUNTIME_FILE = 'server.json';

export function endpointsFor(config: Config, installation: Installation, port: number): Endpoints {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const scheme = tlsEnabled(config) ? 'https' : 'http';
  const base = (config.publicUrl ?? `${scheme}://${host}:${port}`).replace(/\/+$/, '');
  const certPath = tlsCertPath(config);
  const wsBase = base.replace(/^http/, 'ws');
  const external = config.identity.mode === 'external';
  const externalPool = config.identity.userPoolId ?? config.identity.issuer?.replace(/\/+$/, '').split('/').pop() ?? '';
  return {
    graphqlUrl: `${base}/graphql`,
    realtimeUrl: `${wsBase}/graphql/realtime`,
    cognitoEndpoint: `${base}/`,
    region: config.region,
    userPoolId: external ? externalPool : installation.userPoolId,
    userPoolClientId: external ? (config.identity.clientIds?.[0] ?? '') : installation.userPoolClientId,
    apiKey: installation.apiKey,
    issuer: external
      ? (config.identity.issuer ?? `https://cognito-idp.${externalPool.split('_')[0]}.amazonaws.com/${externalPool}`)
      : (config.issuer ?? `${base}/${installation.userPoolId}`),
    ...(certPath ? { tlsCertPath: certPath } : {}),
    ...(external ? { identityMode: 'external' as const } : {}),
    identityPoolId: installation.identityPoolId,
    allowGuestAccess: config.identityPool.allowUnauthenticated,
    storageBucket: apiBucketAlias(config),
    storageEndpoint: new URL(base).host,
  };
}

/**
 * The `Amplify.configure` object for these endpoints (the Cognito endpoint overrides are code-only),
 * plus, under `biilive`, what Amplify cannot take from configuration: the `customEndpoint` each
 * Storage call needs (`uploadData({ path, data, options: { ...biilive.storageOptions } })`).
 * Amplify ignores the extra key.
 */
export function amplifyConfig(e: Endpoints) {
  const tls = e.cognitoEndpoint.startsWith('https:');
  const managed = e.managed === true;
  return {
    API: {
      GraphQL: { endpoint: e.graphqlUrl, region: e.region, defaultAuthMode: 'userPool', apiKey: e.apiKey },
    },
    Auth: {
      // An external pool, or AWS itself, is Cognito: Amplify reaches it without an endpoint override.
      Cognito: {
        userPoolId: e.userPoolId,
        userPoolClientId: e.userPoolClientId,
        ...(e.identityMode === 'external' || managed ? {} : { userPoolEndpoint: e.cognitoEndpoint }),
        identityPoolId: e.identityPoolId,
        ...(managed ? {} : { identityPoolEndpoint: e.cognitoEndpoint }),
        allowGuestAccess: e.allowGuestAccess,
      },
    },
    // A dotted bucket name makes Amplify address the bucket path-style: https://<customEndpoint>/<bucket>/<key>.
    Storage: { S3: { bucket: e.storageBucket, region: e.region } },
    ...(managed
      ? {}
      : {
          biilive: {
            storageOptions: { customEndpoint: e.storageEndpoint },
            ...(tls ? {} : { storageRequires: 'biilive serve --tls: Amplify Storage dials https:// only' }),
          },
        }),
  };
}

/** What a running server says about itself in `<dataDir>/server.json` (0600: it holds the API key). */
export interface RuntimeInfo {
  pid: number;
  port?: number;
  endpoints?: Endpoints;
}

/** Lets `biilive info --data-dir` find the server running on a data dir. Only the lock holder writes it. */
export function writeRuntimeFile(dataDir: string, endpoints: Endpoints, port: number): void {
  const info: RuntimeInfo = { pid: process.pid, port, endpoints };
  writePrivateFile(join(dataDir, RUNTIME_FILE), JSON.stringify(info, null, 2));
}

export function removeRuntimeFile(dataDir: string): void {
  rmSync(join(dataDir, RUNTIME_FILE), { force: true });
}

/** The live server's runtime file on this data dir, or undefined if none runs there. */
export function readRuntimeInfo(dataDir: string): RuntimeInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, RUNTIME_FILE), 'utf8')) as RuntimeInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Endpoints of the live server on this data dir, or undefined if none runs there. */
export function readRuntimeFile(dataDir: string): Endpoints | undefined {
  return readRuntimeInfo(dataDir)?.endpoints;
}
