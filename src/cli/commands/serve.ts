import type { Command } from 'commander';
import { startApp } from '../../server/app.ts';
import { createLogger } from '../logger.ts';
import { configFrom, withConfigOptions } from '../options.ts';

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
