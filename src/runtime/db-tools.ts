/**
 * What `biilive db` needs beyond opening the store (src/runtime/store.ts): the CreateTable inputs
 * for `db init --dry-run`, the media bucket for `db init --media s3`, and one-item reads for
 * `db get-item`, including the AWS CLI's form (`--table-name T --key '<DynamoDB JSON>'`, answer
 * `{"Item": <DynamoDB JSON>}`). Here so that cli/ never builds an adapter itself.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Config } from '../config/schema.ts';
import { tableDefinitions } from '../domain/tables.ts';
import { S3Blobs } from '../adapters/blobs/s3-blobs.ts';
import { tableCreateInput } from '../adapters/dynamodb/dynamodb-tables.ts';
import type { Clock } from '../ports/clock.ts';
import type { Item, Key } from '../ports/tables.ts';
import { openStore } from './store.ts';

/** A `db get-item` argument that cannot be used: a usage error (exit 2), one line. */
export class DbToolInputError extends Error {
  override readonly name = 'DbToolInputError';
}

/** `db init --dry-run`: every table's CreateTable input, table prefix applied. */
export function tableCreateInputs(config: Config): CreateTableCommandInput[] {
  const prefix = config.dynamodb.tablePrefix;
  return tableDefinitions(config.tables).map((d) => tableCreateInput(d, prefix + d.name));
}

/** `db init --media s3`: creates the media bucket if it is missing; returns where it is, for messages. */
export async function ensureMediaBucket(config: Config): Promise<string> {
  const m = config.media;
  const blobs = new S3Blobs({ bucket: m.bucket, region: config.region, endpoint: m.s3Endpoint, forcePathStyle: m.s3ForcePathStyle });
  try {
    await blobs.ensure({ create: true });
    return m.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? config.region;
  } finally {
    await blobs.close();
  }
}

/**
 * The table a `db get-item` names: a configured table name, or (DynamoDB store) its physical name
 * with BIILIVE_DYNAMODB_TABLE_PREFIX, as the AWS CLI would be given it.
 */
export function resolveTableName(config: Config, name: string): string {
  const names = tableDefinitions(config.tables).map((d) => d.name);
  if (names.includes(name)) return name;
  const prefix = config.dynamodb.tablePrefix;
  if (config.store === 'dynamodb' && prefix && name.startsWith(prefix) && names.includes(name.slice(prefix.length))) {
    return name.slice(prefix.length);
  }
  throw new DbToolInputError(`unknown table ${name}; the tables are ${names.join(', ')}`);
}

/** Reads one item (strongly consistent) from the configured store; undefined when absent. */
export async function getItem(config: Config, table: string, key: Key, clock: Clock): Promise<Item | undefined> {
  const tables = await openStore(config, { clock });
  try {
    return await tables.get(table, key, { consistent: true });
  } finally {
    await tables.close();
  }
}

/** A plain JSON key, e.g. `{"userId":"abc"}` (the positional form). */
export function parsePlainKey(text: string): Key {
  const parsed = parseJsonObject(text, `key must be a JSON object, e.g. '{"userId":"abc"}'`);
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new DbToolInputError(`key attribute ${name} must be a string or a number`);
    }
  }
  return parsed as Key;
}

/**
 * A key in DynamoDB JSON, as the AWS CLI takes it: `{"userId":{"S":"user123"}}`. Key attributes
 * are S or N (every BiiLive table key is one of them), and of the type the table declares for
 * them (`table`: a configured name); anything else is refused with one line.
 */
export function parseDynamoJsonKey(text: string, config?: Config, table?: string): Key {
  const example = `e.g. '{"userId":{"S":"user123"}}'`;
  const parsed = parseJsonObject(text, `--key must be a JSON object in DynamoDB JSON, ${example}`);
  if (Object.keys(parsed).length === 0) throw new DbToolInputError(`--key has no attributes, ${example}`);
  for (const [name, value] of Object.entries(parsed)) {
    const types = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
    if (types.length !== 1 || (types[0] !== 'S' && types[0] !== 'N')) {
      throw new DbToolInputError(`--key attribute ${name} must be {"S":"..."} or {"N":"..."} (DynamoDB JSON), ${example}`);
    }
    const raw = (value as Record<string, unknown>)[types[0]];
    if (typeof raw !== 'string' || (types[0] === 'N' && (raw.trim() === '' || !Number.isFinite(Number(raw))))) {
      throw new DbToolInputError(`--key attribute ${name}: ${types[0]} takes a ${types[0] === 'N' ? 'number written as a string' : 'string'}, e.g. {"${types[0]}":"${types[0] === 'N' ? '42' : 'user123'}"}`);
    }
  }
  const definition = config && table ? tableDefinitions(config.tables).find((d) => d.name === table) : undefined;
  for (const attr of definition ? [definition.partitionKey, definition.sortKey] : []) {
    const given = attr && parsed[attr.name] ? Object.keys(parsed[attr.name] as object)[0] : undefined;
    if (attr && given && given !== attr.type) {
      throw new DbToolInputError(`--key attribute ${attr.name} is ${given}, but ${table} declares it ${attr.type}`);
    }
  }
  return unmarshall(parsed as Parameters<typeof unmarshall>[0]) as Key;
}

/**
 * What `aws dynamodb get-item` prints: `{"Item": <DynamoDB JSON>}` with the CLI's 4-space indent,
 * and nothing at all for a missing item (the CLI prints no output for an empty response).
 */
export function awsCliGetItemOutput(item: Item | undefined): string {
  if (!item) return '';
  return `${JSON.stringify({ Item: marshall(item, { removeUndefinedValues: true }) }, null, 4)}\n`;
}

function parseJsonObject(text: string, usage: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DbToolInputError(`${usage} (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DbToolInputError(usage);
  return parsed as Record<string, unknown>;
}
