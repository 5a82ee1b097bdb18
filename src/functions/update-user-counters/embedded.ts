/** Wiring for the composition root: UpdateUserCounters fed from the embedded change log. */
import type { TableNames } from '../../domain/tables.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Tables } from '../../ports/tables.ts';
import type { FaultInjector } from '../batch-ledger.ts';
import { StreamConsumer } from '../stream-consumer.ts';
import { UPDATE_USER_COUNTERS, createUpdateUserCounters } from './handler.ts';

export interface CountersConsumerOptions {
  tables: Tables;
  tableNames: Pick<TableNames, 'social' | 'users' | 'system'>;
  log?: Logger;
  idleMs?: number;
  batchSize?: number;
  faultInjector?: FaultInjector;
}

/** start() it after tables.ensure(); await stop() before tables.close(). */
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
