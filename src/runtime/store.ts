import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../ports/clock.ts';
import type { TableDefinition, Tables } from '../ports/tables.ts';
import { tableDefinitions } from '../domain/tables.ts';
import { openSqliteTables } from '../adapters/sqlite/sqlite-tables.ts';
import { createDynamoTables, type DynamoTables } from '../adapters/dynamodb/dynamodb-tables.ts';
import { createPrivateFile } from './private-files.ts';

/** The store could not be used as configured (missing table, unreachable endpoint, bad credentials). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export interface OpenStoreOptions {
  clock: Clock;
  /** Create missing tables (always true for SQLite; `biilive db init` for DynamoDB). */
  create?: boolean;
  onThrottle?: (op: string, table?: string) => void;
  /** Tables checked or created so far, of all (`biilive db init`). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Start-up bounds for DynamoDB. The adapter's clients have no socket timeouts and retry network
 * errors for ~10 s, which is right for a running server and wrong for a start that cannot
 * succeed: a closed port, a black-holed address or a hung endpoint must fail in seconds.
 */
const PROBE = { connectionTimeout: 3_000, requestTimeout: 5_000, maxAttempts: 2 };
/** Safety net over the start-up table check; creating tables (GSIs on AWS) may take minutes. */
const CHECK_DEADLINE_MS = 60_000;
const CREATE_DEADLINE_MS = 15 * 60_000;

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'MissingAuthenticationToken',
  'InvalidClientTokenId',
  'ExpiredTokenException',
]);
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

/** Opens the configured Tables adapter and checks (or creates) every table the system uses. */
export async function openStore(config: Config, options: OpenStoreOptions): Promise<Tables> {
  const definitions = tableDefinitions(config.tables);
  if (config.store === 'sqlite') {
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // 0600 from the start; SQLite gives the -wal and -shm files the database file's mode.
    createPrivateFile(join(dataDir, 'biilive.sqlite'));
    const tables = openSqliteTables({
      path: join(dataDir, 'biilive.sqlite'),
      synchronous: config.sqlite.synchronous,
      busyTimeoutMs: config.sqlite.busyTimeoutMs,
      clock: options.clock,
    });
    await tables.ensure(definitions);
    return tables;
  }
  const { tables } = await openDynamo(config, definitions, options);
  return tables;
}

export interface InitResult {
  /** Physical names of every table the system uses. */
  tables: string[];
  /** The ones this call created (DynamoDB); empty when all existed (or on SQLite, which always ensures). */
  created: string[];
}

/** `biilive db init`: creates what is missing (idempotent) and checks every table; closes the store. */
export async function initStore(config: Config, options: Omit<OpenStoreOptions, 'create'>): Promise<InitResult> {
  const definitions = tableDefinitions(config.tables);
  if (config.store === 'sqlite') {
    options.onProgress?.(0, definitions.length);
    const tables = await openStore(config, { ...options, create: true });
    await tables.close();
    options.onProgress?.(definitions.length, definitions.length);
    return { tables: definitions.map((d) => d.name), created: [] };
  }
  const { tables, created } = await openDynamo(config, definitions, { ...options, create: true });
  await tables.close();
  return { tables: definitions.map((d) => config.dynamodb.tablePrefix + d.name), created };
}

/** Where the DynamoDB calls go, for messages. */
export function dynamoEndpointLabel(config: Config): string {
  return config.dynamodb.endpoint ?? process.env.AWS_ENDPOINT_URL_DYNAMODB ?? `AWS DynamoDB in ${config.region}`;
}

async function openDynamo(
  config: Config,
  definitions: TableDefinition[],
  options: OpenStoreOptions,
): Promise<{ tables: DynamoTables; created: string[] }> {
  const where = dynamoEndpointLabel(config);
  const prefix = config.dynamodb.tablePrefix;
  await probe(config, prefix + definitions[0].name, where);
  const tables = createDynamoTables({
    endpoint: config.dynamodb.endpoint,
    region: config.region,
    tablePrefix: prefix,
    onThrottle: options.onThrottle,
  });
  const limitMs = options.create ? CREATE_DEADLINE_MS : CHECK_DEADLINE_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () => fail(new StartupError(`DynamoDB at ${where} did not finish the table ${options.create ? 'creation' : 'check'} within ${limitMs / 1000} s`)),
      limitMs,
    );
  });
  try {
    const created = await Promise.race([checkOrCreate(tables, definitions, options.create === true, prefix, where, options.onProgress), deadline]);
    return { tables, created };
  } catch (err) {
    await tables.close().catch(() => {});
    if (err instanceof StartupError) throw err;
    throw new StartupError(`cannot use DynamoDB at ${where}: ${describeError(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

async function checkOrCreate(
  tables: DynamoTables,
  definitions: TableDefinition[],
  create: boolean,
  prefix: string,
  where: string,
  onProgress?: (done: number, total: number) => void,
) {
  let created: string[] = [];
  if (create) {
    const before = await tables.checkTables(definitions);
    created = definitions.map((d) => prefix + d.name).filter((name) => before.includes(`${name}: table is missing`));
    // In parallel (a new GSI takes minutes on AWS), each table counted once it is ready.
    let done = 0;
    onProgress?.(0, definitions.length);
    await Promise.all(
      definitions.map(async (d) => {
        await tables.ensure([d]);
        onProgress?.(++done, definitions.length);
      }),
    );
  }
  const problems = await tables.checkTables(definitions);
  if (problems.length > 0) {
    const missingOnly = problems.every((p) => p.endsWith(': table is missing'));
    const advice = missingOnly ? 'run `biilive db init` with the same options to create them' : 'fix or re-create them (see `biilive db init --dry-run`)';
    throw new StartupError(
      `the DynamoDB tables at ${where} are not as expected (${advice}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return created;
}

/**
 * One DescribeTable with short timeouts, through the same credential chain as the adapter: tells
 * "cannot reach", "credentials refused" and "fine" apart before the real clients are built.
 * ResourceNotFoundException is fine here: the endpoint answered and accepted the credentials.
 */
async function probe(config: Config, tableName: string, where: string): Promise<void> {
  const client = new DynamoDBClient({
    region: config.region,
    endpoint: config.dynamodb.endpoint,
    maxAttempts: PROBE.maxAttempts,
    requestHandler: { connectionTimeout: PROBE.connectionTimeout, requestTimeout: PROBE.requestTimeout, throwOnRequestTimeout: true },
  });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.name === 'ResourceNotFoundException') return;
    if (e.name === 'CredentialsProviderError') {
      throw new StartupError(
        `no AWS credentials for DynamoDB at ${where} (${e.message}); ` +
          'set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role (any values for DynamoDB Local)',
      );
    }
    if (CREDENTIAL_ERRORS.has(e.name)) {
      throw new StartupError(
        `DynamoDB at ${where} refused the AWS credentials (${describeError(err)}); ` +
          'set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role',
      );
    }
    if (e.name === 'AccessDeniedException') {
      throw new StartupError(`the AWS credentials may not use the BiiLive tables at ${where} (${describeError(err)})`);
    }
    const network = networkProblem(err);
    if (network) throw new StartupError(`cannot reach DynamoDB at ${where}: ${network}`);
    throw new StartupError(`cannot use DynamoDB at ${where}: ${describeError(err)}`);
  } finally {
    client.destroy();
  }
}

function networkProblem(err: unknown): string | undefined {
  const e = err as Error & { code?: string; errors?: Array<{ code?: string }> };
  if (e.name === 'TimeoutError') {
    return /establish a connection/.test(e.message)
      ? `no connection within ${PROBE.connectionTimeout / 1000} s (${PROBE.maxAttempts} attempts)`
      : `connected, but no answer within ${PROBE.requestTimeout / 1000} s (${PROBE.maxAttempts} attempts)`;
  }
  const code = e.code ?? e.errors?.find((x) => x.code)?.code;
  return code ? NETWORK_CODES[code] : undefined;
}

function describeError(err: unknown): string {
  const e = err as Error & { code?: string };
  const message = e.message || e.code || 'no details';
  return e.name && e.name !== 'Error' ? `${e.name}: ${message}` : message;
}
