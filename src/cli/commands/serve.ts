import type { Command } from 'commander';
import { startApp } from '../../server/app.ts';
import { createLogger } from '../../runtime/logger.ts';
import { configFrom, withConfigOptions } from '../options.ts';
import type { TlsMaterial } from '../../runtime/tls.ts';
import type { Config } from '../../config/schema.ts';
import { installProcessGuards } from '../../runtime/process-guards.ts';

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

function metricsLine(config: Config, metricsUrl: string | undefined, graphqlUrl: string): string {
  if (metricsUrl) return `${metricsUrl}${config.metrics.token ? ' (bearer token)' : ''}`;
  const url = graphqlUrl.replace(/\/graphql$/, '/metrics');
  if (config.metrics.token) return `${url} (bearer token)`;
  return config.production ? 'off (production: set metrics.port or metrics.token)' : url;
}

export function registerServe(program: Command): void {
  withConfigOptions(program.command('serve').description('serve the whole backend on one port (embedded by default)')).action(
    async (opts) => {
      const started = performance.now();
      const config = configFrom(opts);
      const log = createLogger(config.logLevel);
      installProcessGuards(log);
      const app = await startApp(config, { log });
      const e = app.endpoints;
      const mode = config.production ? 'production' : 'development';
      process.stdout.write(
        [
          `BiiLive backend ready in ${Math.round(performance.now() - started)} ms (${mode}; store: ${config.store}, data: ${config.dataDir})`,
          `  GraphQL:           ${e.graphqlUrl}`,
          `  Realtime:          ${e.realtimeUrl}`,
          `  Identity endpoint: ${e.cognitoEndpoint}`,
          `  Region:            ${e.region}`,
          `  User pool id:      ${e.userPoolId}`,
          `  Client id:         ${e.userPoolClientId}`,
          `  API key:           ${e.apiKey}`,
          `  Health:            ${e.graphqlUrl.replace(/\/graphql$/, '/healthz')} (live), ${e.graphqlUrl.replace(/\/graphql$/, '/readyz')} (ready)`,
          `  Metrics:           ${metricsLine(config, app.metricsUrl, e.graphqlUrl)}`,
          ...tlsLines(app.tls),
          '',
        ].join('\n'),
      );
      const clean = await new Promise<boolean>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            log.warn({ signal }, 'second signal: exiting now');
            process.exit(1);
          }
          stopping = true;
          log.info({ signal, boundMs: config.shutdownTimeoutMs }, 'shutting down');
          void app.close().then(resolve);
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      });
      if (!clean) process.exitCode = 1;
      // What a step abandoned at the bound still holds (a socket, a timer) must not keep the process up.
      setTimeout(() => process.exit(), 200).unref();
    },
  );
}
