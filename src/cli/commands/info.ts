import type { Command } from 'commander';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { amplifyConfig, endpointsFor, readRuntimeFile, type Endpoints } from '../../runtime/endpoints.ts';
import { openStore } from '../../runtime/store.ts';
import { systemClock } from '../../ports/clock.ts';
import { loadInstallation } from '../../domain/installation.ts';
import { randomIds } from '../../ports/ids.ts';
import type { Config } from '../../config/schema.ts';
import { configFrom, withConfigOptions } from '../options.ts';

/** The running server's endpoints on this data dir, else what `serve` would use with this configuration. */
async function endpointsOf(config: Config): Promise<Endpoints> {
  const dataDir = resolve(config.dataDir);
  const live = readRuntimeFile(dataDir);
  if (live) return live;
  return endpointsFor(config, await installationOf(config), config.port);
}

/** The installation as stored (operator keys are never in the runtime file). */
async function installationOf(config: Config) {
  const tables = await openStore(config, { clock: systemClock });
  try {
    return await loadInstallation(tables, config.tables.system, randomIds, config.region, config);
  } finally {
    await tables.close();
  }
}

/** With TLS, the certificate's SHA-256 fingerprint too, once the certificate exists. */
function withFingerprint(e: Endpoints): Endpoints & { tlsFingerprint256?: string } {
  if (!e.tlsCertPath || !existsSync(e.tlsCertPath)) return e;
  return { ...e, tlsFingerprint256: new X509Certificate(readFileSync(e.tlsCertPath)).fingerprint256 };
}

export function registerInfo(program: Command): void {
  withConfigOptions(program.command('info').description('print the endpoints, ids and API key of this installation'))
    .option('--json', 'print as JSON')
    .option('--amplify', 'print the Amplify.configure object for this server')
    .option('--admin-credentials', 'print the operator credentials of the Cognito admin API as shell exports (eval "$(biilive info --admin-credentials)")')
    .action(async (opts) => {
      const config = configFrom(opts);
      if (opts.adminCredentials) {
        const i = await installationOf(config);
        process.stdout.write(
          `export AWS_ACCESS_KEY_ID=${i.adminAccessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${i.adminSecretAccessKey}\nexport AWS_DEFAULT_REGION=${config.region}\n`,
        );
        return;
      }
      const e = withFingerprint(await endpointsOf(config));
      if (opts.amplify) {
        process.stdout.write(`${JSON.stringify(amplifyConfig(e), null, 2)}\n`);
      } else if (opts.json) {
        const { issuer: _issuer, ...rest } = e;
        process.stdout.write(`${JSON.stringify(rest, null, 2)}\n`);
      } else {
        for (const [k, v] of Object.entries(e)) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
      }
    });
}
