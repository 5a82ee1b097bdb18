/**
 * Starts the real app (SQLite in a temp data dir, port 0 on 127.0.0.1) for end-to-end tests, with
 * codes captured instead of logged and an AWS SDK Cognito client pointed at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/ports/logger.ts';
import { startApp, type App } from '../../src/server/app.ts';

export interface CapturedCode {
  username: string;
  code: string;
  purpose: string;
  destination?: string;
}

export interface TestServer {
  app: App;
  url: string;
  codes: CapturedCode[];
  cognito: CognitoIdentityProviderClient;
  clientId: string;
  /** The latest code delivered to `username` (case-insensitive) for `purpose`. */
  codeFor(username: string, purpose?: string): string;
  stop(): Promise<void>;
}

export async function startTestServer(overrides: Partial<ConfigInput> & { dataDir?: string } = {}): Promise<TestServer> {
  const ownDir = overrides.dataDir === undefined;
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'biilive-'));
  const config = loadConfig({ flags: { port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides, dataDir } });
  const codes: CapturedCode[] = [];
  const app = await startApp(config, { log: silentLogger, codeSink: (d) => codes.push({ ...d }) });
  const url = app.endpoints.cognitoEndpoint.replace(/\/$/, '');
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) {
    await app.close();
    throw new Error(`refusing to test against a non-local endpoint: ${url}`);
  }
  const cognito = new CognitoIdentityProviderClient({
    region: config.region,
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    app,
    url,
    codes,
    cognito,
    clientId: app.installation.userPoolClientId,
    codeFor(username, purpose = 'sign_up') {
      const found = codes.filter((c) => c.username.toLowerCase() === username.toLowerCase() && c.purpose === purpose).at(-1);
      if (!found) throw new Error(`no ${purpose} code delivered for ${username}`);
      return found.code;
    },
    async stop() {
      cognito.destroy();
      await app.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs a user up and confirms them with the delivered code; returns their sub. */
export async function signUpAndConfirm(
  server: TestServer,
  username: string,
  password: string,
  attrs: Record<string, string> = {},
): Promise<string> {
  const out = await server.cognito.send(
    new SignUpCommand({
      ClientId: server.clientId,
      Username: username,
      Password: password,
      UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
    }),
  );
  if (!out.UserConfirmed) {
    await server.cognito.send(
      new ConfirmSignUpCommand({ ClientId: server.clientId, Username: username, ConfirmationCode: server.codeFor(username) }),
    );
  }
  return out.UserSub!;
}

/** USER_PASSWORD_AUTH sign-in; returns the AuthenticationResult (AccessToken, IdToken, RefreshToken, ...). */
export async function signIn(server: TestServer, username: string, password: string): Promise<Required<Pick<AuthenticationResultType, 'AccessToken' | 'IdToken' | 'RefreshToken'>> & AuthenticationResultType> {
  const out = await server.cognito.send(
    new InitiateAuthCommand({
      ClientId: server.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  );
  const r = out.AuthenticationResult;
  if (!r?.AccessToken || !r.IdToken || !r.RefreshToken) throw new Error('sign-in returned no tokens');
  return r as Required<Pick<AuthenticationResultType, 'AccessToken' | 'IdToken' | 'RefreshToken'>> & AuthenticationResultType;
}
