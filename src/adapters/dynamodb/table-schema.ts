/**
 * Table definitions as DynamoDB sees them: CreateTable input (pure, printed by `db init --dry-run`),
 * key-schema lookups for queries, and the drift check run at start-up.
 */
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  KeySchemaElement,
  TableDescription,
} from '@aws-sdk/client-dynamodb';
import { TableValidationError, type KeyAttribute, type TableDefinition } from '../../ports/tables.ts';

function keySchema(partitionKey: KeyAttribute, sortKey?: KeyAttribute): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [{ AttributeName: partitionKey.name, KeyType: 'HASH' }];
  if (sortKey) schema.push({ AttributeName: sortKey.name, KeyType: 'RANGE' });
  return schema;
}

/** CreateTable input for a definition: on-demand billing, GSIs projecting ALL, NEW_AND_OLD_IMAGES streams. */
export function tableCreateInput(def: TableDefinition, physicalName: string = def.name): CreateTableCommandInput {
  const attributes = new Map<string, KeyAttribute['type']>();
  const declare = (attr: KeyAttribute | undefined) => {
    if (!attr) return;
    const known = attributes.get(attr.name);
    if (known && known !== attr.type) {
      throw new TableValidationError(`${def.id}: attribute ${attr.name} declared as both ${known} and ${attr.type}`);
    }
    attributes.set(attr.name, attr.type);
  };
  declare(def.partitionKey);
  declare(def.sortKey);
  for (const index of def.indexes ?? []) {
    declare(index.partitionKey);
    declare(index.sortKey);
  }
  const input: CreateTableCommandInput = {
    TableName: physicalName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    AttributeDefinitions: [...attributes].map(
      ([AttributeName, AttributeType]): AttributeDefinition => ({ AttributeName, AttributeType }),
    ),
  };
  if (def.indexes?.length) {
    input.GlobalSecondaryIndexes = def.indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: 'ALL' },
    }));
  }
  if (def.stream) input.StreamSpecification = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' };
  return input;
}

/** Key attribute names of a table and its indexes, as queries need them. */
export interface KeyNames {
  partition: string;
  sort?: string;
}

export interface TableKeys {
  table: KeyNames;
  indexes: Map<string, KeyNames>;
}

export function keysFromDefinition(def: TableDefinition): TableKeys {
  return {
    table: { partition: def.partitionKey.name, sort: def.sortKey?.name },
    indexes: new Map(
      (def.indexes ?? []).map((i) => [i.name, { partition: i.partitionKey.name, sort: i.sortKey?.name }]),
    ),
  };
}

function namesOf(schema: KeySchemaElement[] | undefined): KeyNames {
  const hash = schema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const range = schema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  return { partition: hash ?? '', sort: range };
}

export function keysFromDescription(table: TableDescription): TableKeys {
  return {
    table: namesOf(table.KeySchema),
    indexes: new Map((table.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName ?? '', namesOf(i.KeySchema)])),
  };
}

/** Differences between a definition and the live table (empty when they match). */
export function describeDrift(def: TableDefinition, table: TableDescription, physicalName: string): string[] {
  const problems: string[] = [];
  const want = tableCreateInput(def, physicalName);
  const types = new Map((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  const sameSchema = (a: KeySchemaElement[] | undefined, b: KeySchemaElement[] | undefined) =>
    JSON.stringify((a ?? []).map((k) => [k.AttributeName, k.KeyType, types.get(k.AttributeName)])) ===
    JSON.stringify((b ?? []).map((k) => [k.AttributeName, k.KeyType, typeOf(want, k.AttributeName)]));
  if (!sameSchema(table.KeySchema, want.KeySchema)) {
    problems.push(`${physicalName}: key schema ${render(table.KeySchema, types)} differs from ${render(want.KeySchema, defTypes(want))}`);
  }
  for (const index of want.GlobalSecondaryIndexes ?? []) {
    const live = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.IndexName);
    if (!live) problems.push(`${physicalName}: index ${index.IndexName} is missing`);
    else if (!sameSchema(live.KeySchema, index.KeySchema)) {
      problems.push(`${physicalName}: index ${index.IndexName} key schema ${render(live.KeySchema, types)} differs from ${render(index.KeySchema, defTypes(want))}`);
    } else if (live.Projection?.ProjectionType !== 'ALL') {
      problems.push(`${physicalName}: index ${index.IndexName} must project ALL attributes`);
    }
  }
  if (def.stream) {
    const spec = table.StreamSpecification;
    if (!spec?.StreamEnabled || spec.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
      problems.push(`${physicalName}: stream with NEW_AND_OLD_IMAGES is not enabled`);
    }
  }
  return problems;
}

function typeOf(input: CreateTableCommandInput, name: string | undefined): string | undefined {
  return input.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
}

function defTypes(input: CreateTableCommandInput): Map<string | undefined, string | undefined> {
  return new Map((input.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
}

function render(schema: KeySchemaElement[] | undefined, types: Map<string | undefined, string | undefined>): string {
  return `[${(schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}:${types.get(k.AttributeName) ?? '?'}`).join(', ')}]`;
}
