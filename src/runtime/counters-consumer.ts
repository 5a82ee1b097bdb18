/** Wiring for the composition root: UpdateUserCounters fed from the change log (SQLite or DynamoDB Streams). */
import type { TableNames } from '../domain/tables.ts';
import type { Tables } from '../ports/tables.ts';
import { StreamConsumer, type StreamConsumerOptions } from '../functions/stream-consumer.ts';
import { UPDATE_USER_COUNTERS, createUpdateUserCounters } from '../functions/update-user-counters/handler.ts';

export interface CountersConsumerOptions
  extends Pick<
    StreamConsumerOptions,
    'log' | 'idleMs' | 'batchSize' | 'errorBackoffMs' | 'faultInjector' | 'owner' | 'leaseMs' | 'renewMs' | 'shardRefreshMs' | 'now' | 'region' | 'observe'
  > {
  tables: Tables;
  tableNames: Pick<TableNames, 'social' | 'users' | 'system'>;
}

/**
 * start() it after tables.ensure(); await stop() before tables.close(). Every replica may run
 * one: shard leases make them share the stream's shards (see stream-consumer.ts).
 */
export function createCountersConsumer(options: CountersConsumerOptions): StreamConsumer {
  const { tables, tableNames, ...rest } = options;
  const fn = createUpdateUserCounters({ tables, tableNames });
  return new StreamConsumer({
    tables,
    table: tableNames.social,
    systemTable: tableNames.system,
    fn: { name: UPDATE_USER_COUNTERS, plan: fn.plan },
    ...rest,
  });
}
