/**
 * Tables port on Amazon DynamoDB (or DynamoDB Local / any compatible endpoint): a thin translation,
 * since the port's semantics are DynamoDB's. Items are plain JS through lib-dynamodb's document client.
 *
 * Errors: ConditionalCheckFailedException -> ConditionalCheckFailedError, TransactionCanceledException
 * -> TransactionCanceledError (one reason per operation), ValidationException / unknown table ->
 * TableValidationError. Throttling is retried with backoff and reported through `onThrottle`.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import {
  TableValidationError,
  type Item,
  type QueryRequest,
  type QueryResult,
  type ScanRequest,
  type TableDefinition,
  type Tables,
  type TransactOperation,
} from '../../ports/tables.ts';
import { createDynamoChangeLog } from './dynamodb-changes.ts';
import { mapError } from './errors.ts';
import { ExpressionBuilder, decodeCursor, encodeCursor, renderCondition, renderUpdate } from './expressions.ts';
import { backoffDelay, defaultRetryPolicy, sleepFor, throttledTables, withRetry, type RetryPolicy } from './retry.ts';
import { describeDrift, keysFromDefinition, keysFromDescription, tableCreateInput, type TableKeys } from './table-schema.ts';

export { tableCreateInput } from './table-schema.ts';

export interface DynamoTablesOptions {
  /** Endpoint override (DynamoDB Local); undefined = the SDK's chain (AWS_ENDPOINT_URL_DYNAMODB, then AWS). */
  endpoint?: string;
  region: string;
  /** Undefined = the SDK's default credential chain. */
  credentials?: AwsCredentialIdentity;
  /** Prepended to every physical table name (test isolation, per-environment names). */
  tablePrefix?: string;
  /** Retries of throttled / transient calls and of unprocessed BatchGet keys (default 8). */
  maxRetries?: number;
  /**
   * Called once per throttled attempt with the DynamoDB operation name and the table (as the port
   * names it, without the prefix; once per throttled table of a transaction) - the metrics hook.
   * Control-plane calls (DescribeTable, streams) report no table.
   */
  onThrottle?: (op: string, table?: string) => void;
  /** Backoff tuning (tests). */
  retry?: Partial<Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>>;
}

export interface DynamoTables extends Tables {
  /** Problems with the live tables (missing table, key schema / index / stream mismatch); empty = all good. */
  checkTables(definitions: TableDefinition[]): Promise<string[]>;
}

type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const MAX_BATCH_GET = 100;
const MAX_TRANSACT = 100;

function clientConfig(options: DynamoTablesOptions, endpoint: string | undefined) {
  // maxAttempts 1: withRetry is the single retry layer, so throttling is visible to onThrottle.
  return { region: options.region, endpoint, credentials: options.credentials, maxAttempts: 1 };
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new TableValidationError('limit must be a positive integer');
  }
}

export function createDynamoTables(options: DynamoTablesOptions): DynamoTables {
  const prefix = options.tablePrefix ?? '';
  const physical = (table: string) => {
    if (typeof table !== 'string' || table.length === 0) throw new TableValidationError('Table name required');
    return prefix + table;
  };
  const policy: RetryPolicy = {
    ...defaultRetryPolicy,
    ...options.retry,
    maxRetries: options.maxRetries ?? defaultRetryPolicy.maxRetries,
    onThrottle: options.onThrottle ? (op) => options.onThrottle!(op) : undefined,
  };
  /** The policy of a data-plane call on these tables (`tables[i]`: a transaction's item i). */
  const policyFor = (tables: readonly string[]): RetryPolicy =>
    options.onThrottle
      ? { ...policy, onThrottle: (op, error) => throttledTables(error, tables).forEach((t) => options.onThrottle!(op, t)) }
      : policy;
  const client = new DynamoDBClient(clientConfig(options, options.endpoint));
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false, allowImpreciseNumbers: true },
    unmarshallOptions: { wrapNumbers: (value: string) => Number(value) },
  });
  // The streams client has its own endpoint variable; with only AWS_ENDPOINT_URL_DYNAMODB set (DynamoDB
  // Local), it must not silently go to AWS.
  const streamsEndpoint =
    options.endpoint ?? (process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS ? undefined : process.env.AWS_ENDPOINT_URL_DYNAMODB);
  const streams = new DynamoDBStreamsClient(clientConfig(options, streamsEndpoint));

  const keyCache = new Map<string, Promise<TableKeys>>();

  async function call<T>(op: string, fn: () => Promise<T>, tables: readonly string[] = []): Promise<T> {
    try {
      return await withRetry(op, fn, tables.length ? policyFor(tables) : policy);
    } catch (error) {
      throw mapError(error);
    }
  }

  function tableKeys(name: string): Promise<TableKeys> {
    let keys = keyCache.get(name);
    if (!keys) {
      keys = call('DescribeTable', () => client.send(new DescribeTableCommand({ TableName: name }))).then((out) => {
        if (!out.Table) throw new TableValidationError(`Unknown table ${name}`);
        return keysFromDescription(out.Table);
      });
      keys.catch(() => keyCache.delete(name));
      keyCache.set(name, keys);
    }
    return keys;
  }

  const tableOf = (operation: TransactOperation): string =>
    'put' in operation ? operation.put.table : 'update' in operation ? operation.update.table : 'delete' in operation ? operation.delete.table : operation.conditionCheck.table;

  function transactItem(operation: TransactOperation): TransactWriteItem {
    if ('put' in operation) {
      const { table, item, condition } = operation.put;
      return { Put: { TableName: physical(table), Item: item, ...renderCondition(condition) } };
    }
    if ('update' in operation) {
      const u = operation.update;
      return { Update: { TableName: physical(u.table), Key: u.key, ...renderUpdate(u) } };
    }
    if ('delete' in operation) {
      const { table, key, condition } = operation.delete;
      return { Delete: { TableName: physical(table), Key: key, ...renderCondition(condition) } };
    }
    if ('conditionCheck' in operation) {
      const { table, key, condition } = operation.conditionCheck;
      if (!condition) throw new TableValidationError('conditionCheck needs a condition');
      return { ConditionCheck: { TableName: physical(table), Key: key, ...renderCondition(condition) } };
    }
    throw new TableValidationError(`Unsupported transaction operation ${JSON.stringify(operation)}`);
  }

  async function createTable(def: TableDefinition): Promise<void> {
    const name = physical(def.name);
    try {
      await call('CreateTable', () => client.send(new CreateTableCommand(tableCreateInput(def, name))));
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error; // exists (or is being created)
    }
    await waitUntilTableExists({ client, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }, { TableName: name });
    keyCache.set(name, Promise.resolve(keysFromDefinition(def)));
  }

  return {
    async ensure(definitions) {
      await Promise.all(definitions.map(createTable));
    },

    async checkTables(definitions) {
      const problems: string[] = [];
      for (const def of definitions) {
        const name = physical(def.name);
        try {
          const out = await withRetry('DescribeTable', () => client.send(new DescribeTableCommand({ TableName: name })), policy);
          if (out.Table) problems.push(...describeDrift(def, out.Table, name));
        } catch (error) {
          if ((error as Error).name !== 'ResourceNotFoundException') throw error;
          problems.push(`${name}: table is missing`);
        }
      }
      return problems;
    },

    async get(table, key, getOptions) {
      const out = await call('GetItem', () =>
        doc.send(new GetCommand({ TableName: physical(table), Key: key, ConsistentRead: getOptions?.consistent ?? false })),
        [table],
      );
      return out.Item as Item | undefined;
    },

    async batchGet(table, keys) {
      if (!Array.isArray(keys) || keys.length > MAX_BATCH_GET) {
        throw new TableValidationError(`batchGet takes at most ${MAX_BATCH_GET} keys`);
      }
      if (keys.length === 0) return [];
      const name = physical(table);
      const items: Item[] = [];
      let pending: Record<string, unknown>[] = keys;
      for (let attempt = 0; ; attempt++) {
        const requestKeys = pending;
        const out = await call('BatchGetItem', () => doc.send(new BatchGetCommand({ RequestItems: { [name]: { Keys: requestKeys } } })), [table]);
        items.push(...((out.Responses?.[name] ?? []) as Item[]));
        pending = out.UnprocessedKeys?.[name]?.Keys ?? [];
        if (pending.length === 0) return items;
        // Unprocessed keys mean the table or partition is throttled: back off, as DynamoDB asks.
        if (attempt >= policy.maxRetries) {
          throw new Error(`BatchGetItem: ${pending.length} keys still unprocessed after ${attempt} retries`);
        }
        options.onThrottle?.('BatchGetItem', table);
        await sleepFor(policy)(backoffDelay(attempt, policy));
      }
    },

    async put(request) {
      await call(
        'PutItem',
        () => doc.send(new PutCommand({ TableName: physical(request.table), Item: request.item, ...renderCondition(request.condition) })),
        [request.table],
      );
    },

    async delete(request) {
      const out = await call('DeleteItem', () =>
        doc.send(
          new DeleteCommand({
            TableName: physical(request.table),
            Key: request.key,
            ReturnValues: 'ALL_OLD',
            ...renderCondition(request.condition),
          }),
        ),
        [request.table],
      );
      return out.Attributes as Item | undefined;
    },

    async update(request) {
      const out = await call('UpdateItem', () =>
        doc.send(new UpdateCommand({ TableName: physical(request.table), Key: request.key, ReturnValues: 'ALL_NEW', ...renderUpdate(request) })),
        [request.table],
      );
      return (out.Attributes as Item | undefined) ?? { ...request.key };
    },

    async query(request: QueryRequest): Promise<QueryResult> {
      checkLimit(request.limit);
      const name = physical(request.table);
      const exclusiveStartKey = decodeCursor(request.cursor);
      const keys = await tableKeys(name);
      const keyNames = request.index === undefined ? keys.table : keys.indexes.get(request.index);
      if (!keyNames) throw new TableValidationError(`Unknown index ${request.index} on table ${request.table}`);
      const b = new ExpressionBuilder();
      const KeyConditionExpression = b.keyCondition(keyNames.partition, request.partition, keyNames.sort, request.sort);
      const FilterExpression = request.filter ? b.condition(request.filter) : undefined;
      const out = await call('Query', () =>
        doc.send(
          new QueryCommand({
            TableName: name,
            IndexName: request.index,
            KeyConditionExpression,
            FilterExpression,
            ...b.params(),
            ScanIndexForward: request.forward ?? true,
            Limit: request.limit,
            ExclusiveStartKey: exclusiveStartKey,
            // GSIs only support eventually consistent reads: the port says the flag is ignored there.
            ConsistentRead: request.index === undefined ? (request.consistent ?? false) : undefined,
          }),
        ),
        [request.table],
      );
      return page(out.Items, out.LastEvaluatedKey);
    },

    async scan(request: ScanRequest): Promise<QueryResult> {
      checkLimit(request.limit);
      const exclusiveStartKey = decodeCursor(request.cursor);
      const out = await call('Scan', () =>
        doc.send(new ScanCommand({ TableName: physical(request.table), Limit: request.limit, ExclusiveStartKey: exclusiveStartKey })),
        [request.table],
      );
      return page(out.Items, out.LastEvaluatedKey);
    },

    async transactWrite(operations) {
      if (!Array.isArray(operations) || operations.length > MAX_TRANSACT) {
        throw new TableValidationError(`transactWrite takes at most ${MAX_TRANSACT} operations`);
      }
      if (operations.length === 0) return;
      const TransactItems = operations.map(transactItem);
      // One token for all attempts: a retry after a lost response is not applied twice (10 min window).
      const ClientRequestToken = randomUUID();
      await call('TransactWriteItems', () => doc.send(new TransactWriteCommand({ TransactItems, ClientRequestToken })), operations.map(tableOf));
    },

    changes: createDynamoChangeLog({ client, streams, policy, physical }),

    async close() {
      doc.destroy();
      client.destroy();
      streams.destroy();
    },
  };
}

function page(items: Record<string, unknown>[] | undefined, lastEvaluatedKey: Record<string, unknown> | undefined): QueryResult {
  const result: QueryResult = { items: (items ?? []) as Item[] };
  const cursor = encodeCursor(lastEvaluatedKey);
  if (cursor) result.cursor = cursor;
  return result;
}

/** Start-up check without keeping a client around. */
export async function checkTables(definitions: TableDefinition[], options: DynamoTablesOptions): Promise<string[]> {
  const tables = createDynamoTables(options);
  try {
    return await tables.checkTables(definitions);
  } finally {
    await tables.close();
  }
}
