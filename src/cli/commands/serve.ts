import type { Command } from 'commander';
import { startApp } from '../../server/app.ts';
import { createLogger } from '../../runtime/logger.ts';
import { configFrom, withConfigOptions } from '../options.ts';
import type { TlsMaterial } from '../../runtime/tls.ts';

/** Where the certificate is and how clients come to trust it (a self-signed one is trusted by path or fingerprint). */
function tlsLines(tls: TlsMaterial | undefined): string[] {
  if (!tls) return [];
  const kind = tls.selfSigned ? `self-signed, ${tls.created ? 'generated now' : 'kept in the data dir'}` : 'provided';
  const lines = [`  TLS certificate:   ${tls.certPath} (${kind}, valid until ${tls.validTo})`, `  SHA-256:           ${tls.fingerprint256}`];
  if (tls.selfSigned) {
    lines.push(
      `  Trust it:          Node: NODE_EXTRA_CA_CERTS=${tls.certPath}   curl: --cacert ${tls.certPath}`,
      '                     browsers / devices: import the file as a trusted certificate (details: README "Real time")',
    );
  }
  return lines;
}

export function registerServe(program: Command): void {
  withConfigOptions(program.command('serve').description('serve the whole backend on one port (embedded by default)')).action(
    async (opts) => {
      const started = performance.now();
      const config = configFrom(opts);
      const log = createLogger(config.logLevel);
      const app = await startApp(config, { log });
      const e = app.endpoints;
      process.stdout.write(
        [
          `BiiLive backend ready in ${Math.round(performance.now() - started)} ms (store: ${config.store}, data: ${config.dataDir})`,
          `  GraphQL:           ${e.graphqlUrl}`,
          `  Realtime:          ${e.realtimeUrl}`,
          `  Identity endpoint: ${e.cognitoEndpoint}`,
          `  Region:            ${e.region}`,
          `  User pool id:      ${e.userPoolId}`,
          `  Client id:         ${e.userPoolClientId}`,
          `  API key:           ${e.apiKey}`,
          `  Health:            ${e.graphqlUrl.replace(/\/graphql$/, '/healthz')}`,
          ...tlsLines(app.tls),
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = async (signal: string) => {
          log.info({ signal }, 'shutting down');
          await app.close();
          resolve();
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
      });
    },
  );
}
