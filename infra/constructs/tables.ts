/**
 * Tables (seed: DynamoDB): every table of `tableDefinitions` (src/domain/tables.ts), the same
 * definitions `biilive db init` creates, so no key or index is written twice. On-demand billing
 * (the seed's cost model), point-in-time recovery, AWS-managed encryption, retained on stack
 * deletion; the stream (NEW_AND_OLD_IMAGES) where the definition asks for one (SOCIAL-V2).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinitions, type TableNames } from '../../src/domain/tables.ts';
import type { KeyAttribute, TableDefinition } from '../../src/ports/tables.ts';

/**
 * Definitions not deployed: on AWS, Cognito is the user pool, so the embedded pool's state table
 * ('identity') has nothing to hold.
 */
export const NOT_ON_AWS: ReadonlySet<string> = new Set(['identity']);

/**
 * Time-to-live attribute per table. The system table's per-record markers of the counters Lambda
 * carry `expiresAt` in epoch seconds, 48 h ahead (src/functions/update-user-counters/handler.ts). Other system items
 * with an `expiresAt` (embedded shard leases, presence) hold epoch milliseconds, which DynamoDB
 * reads as a date tens of thousands of years ahead: TTL never removes them, as intended.
 */
export const TIME_TO_LIVE: Readonly<Record<string, string>> = { system: 'expiresAt' };

/** The definitions this stack deploys. */
export const deployedDefinitions = (names: TableNames): TableDefinition[] =>
  tableDefinitions(names).filter((d) => !NOT_ON_AWS.has(d.id));

export interface TablesProps {
  names: TableNames;
}

export class Tables extends Construct {
  /** Deployed tables keyed by definition id (users, social, chats, ...). */
  readonly byId: Readonly<Record<string, dynamodb.Table>>;
  readonly definitions: readonly TableDefinition[];

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    this.definitions = deployedDefinitions(props.names);
    const byId: Record<string, dynamodb.Table> = {};
    for (const def of this.definitions) byId[def.id] = this.table(def);
    this.byId = byId;
  }

  /** The table of a definition id; throws for an id this stack does not deploy. */
  get(id: string): dynamodb.Table {
    const table = this.byId[id];
    if (!table) throw new Error(`no deployed table "${id}"`);
    return table;
  }

  private table(def: TableDefinition): dynamodb.Table {
    const table = new dynamodb.Table(this, constructId(def.id), {
      tableName: def.name,
      partitionKey: attribute(def.partitionKey),
      sortKey: def.sortKey && attribute(def.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      stream: def.stream ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
      timeToLiveAttribute: TIME_TO_LIVE[def.id],
      // Every table holds state a redeploy must find again (rankings and the ledger included).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of def.indexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey && attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }
}

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/** "users" -> "Users": stable logical ids that do not change with the configured table names. */
const constructId = (defId: string) => defId.charAt(0).toUpperCase() + defId.slice(1);
