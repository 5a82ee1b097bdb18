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
}

const RUNTIME_FILE = 'server.json';

export function endpointsFor(config: Config, installation: Installation, port: number): Endpoints {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const scheme = tlsEnabled(config) ? 'https' : 'http';
  const base = (config.publicUrl ?? `${scheme}://${host}:${port}`).replace(/\/+$/, '');
  const certPath = tlsCertPath(config);
  const wsBase = base.replace(/^http/, 'ws');
  return {
    graphqlUrl: `${base}/graphql`,
    realtimeUrl: `${wsBase}/graphql/realtime`,
    cognitoEndpoint: `${base}/`,
    region: config.region,
    userPoolId: installation.userPoolId,
    userPoolClientId: installation.userPoolClientId,
    apiKey: installation.apiKey,
    issuer: config.issuer ?? `${base}/${installation.userPoolId}`,
    ...(certPath ? { tlsCertPath: certPath } : {}),
  };
}

/** The `Amplify.configure` object for these endpoints (the Cognito endpoint override is code-only). */
export function amplifyConfig(e: Endpoints) {
  return {
    API: {
      GraphQL: { endpoint: e.graphqlUrl, region: e.region, defaultAuthMode: 'userPool', apiKey: e.apiKey },
    },
    Auth: {
      Cognito: { userPoolId: e.userPoolId, userPoolClientId: e.userPoolClientId, userPoolEndpoint: e.cognitoEndpoint },
    },
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
