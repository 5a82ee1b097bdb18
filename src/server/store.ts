import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../ports/clock.ts';
import type { Tables } from '../ports/tables.ts';
import { tableDefinitions } from '../domain/tables.ts';
import { openSqliteTables } from '../adapters/sqlite/sqlite-tables.ts';
import { createDynamoTables } from '../adapters/dynamodb/dynamodb-tables.ts';

/** The store could not be used as configured (missing table, unreachable endpoint, bad credentials). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export interface OpenStoreOptions {
  clock: Clock;
  /** Create missing tables (always true for SQLite; `biilive db init` for DynamoDB). */
  create?: boolean;
  onThrottle?: (op: string) => void;
}

/** Opens the configured Tables adapter and checks (or creates) every table the system uses. */
export async function openStore(config: Config, options: OpenStoreOptions): Promise<Tables> {
  const definitions = tableDefinitions(config.tables);
  if (config.store === 'sqlite') {
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const tables = openSqliteTables({
      path: join(dataDir, 'biilive.sqlite'),
      synchronous: config.sqlite.synchronous,
      busyTimeoutMs: config.sqlite.busyTimeoutMs,
      clock: options.clock,
    });
    await tables.ensure(definitions);
    return tables;
  }
  const tables = createDynamoTables({ endpoint: config.dynamodb.endpoint, region: config.region, onThrottle: options.onThrottle });
  try {
    if (options.create) await tables.ensure(definitions);
    const problems = await tables.checkTables(definitions);
    if (problems.length > 0) {
      throw new StartupError(
        `the DynamoDB tables are not as expected (run \`biilive db init\` to create them):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    }
    return tables;
  } catch (err) {
    await tables.close().catch(() => {});
    if (err instanceof StartupError) throw err;
    const e = err as Error & { name?: string };
    const endpoint = config.dynamodb.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? `the AWS endpoint of ${config.region}`;
    throw new StartupError(`cannot use DynamoDB at ${endpoint}: ${e.name ?? 'Error'}: ${e.message}`);
  }
}
