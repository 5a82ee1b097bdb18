/**
 * A Tables store that counts what it does, per table and DynamoDB operation: calls, latency,
 * failures by kind, transaction conflicts and estimated request units (CloudWatch's
 * SuccessfulRequestLatency, ConditionalCheckFailedRequests/UserErrors/SystemErrors,
 * TransactionConflict and Consumed*CapacityUnits). Throttles are counted by the adapter's own
 * hook (they are retried inside a call). The change log is passed through unmetered.
 *
 * Request units are estimates from item counts, not sizes: items <= 1 KB, 4 KB (four items) per
 * read unit, eventually consistent reads at half, transactional items at twice the price.
 */
import {
  ConditionalCheckFailedError,
  TableValidationError,
  TransactionCanceledError,
  type TransactOperation,
  type Tables,
} from '../ports/tables.ts';
import type { StoreOperation } from '../domain/monitoring/metrics.ts';
import type { SystemMetrics } from './metrics.ts';

type Kind = 'read' | 'write';

const tableOf = (op: TransactOperation): string =>
  'put' in op ? op.put.table : 'update' in op ? op.update.table : 'delete' in op ? op.delete.table : op.conditionCheck.table;

function failureKind(error: unknown): string {
  if (error instanceof ConditionalCheckFailedError) return 'conditional';
  if (error instanceof TableValidationError) return 'validation';
  if (error instanceof TransactionCanceledError) return error.reasons.includes('ConditionalCheckFailed') ? 'conditional' : 'conflict';
  return 'system';
}

const readUnits = (items: number, consistent: boolean | undefined) => Math.max(1, Math.ceil(items / 4)) * (consistent ? 1 : 0.5);

export function meterTables(tables: Tables, metrics: SystemMetrics): Tables {
  const { m } = metrics;
  /** Label-bound children, so the hot path does not hash label objects on every call. */
  const bound = new Map<string, { calls: ReturnType<typeof m.storeOperations.labels>; latency: ReturnType<typeof m.storeLatency.labels> }>();
  const children = (table: string, op: StoreOperation) => {
    const key = `${table}\u0000${op}`;
    let c = bound.get(key);
    if (!c) bound.set(key, (c = { calls: m.storeOperations.labels(table, op), latency: m.storeLatency.labels(table, op) }));
    return c;
  };

  async function run<T>(table: string, op: StoreOperation, fn: () => Promise<T>, units?: (result: T) => [Kind, number]): Promise<T> {
    const started = performance.now();
    const c = children(table, op);
    try {
      const result = await fn();
      if (units) {
        const [kind, n] = units(result);
        m.storeUnits.inc({ table, kind }, n);
      }
      return result;
    } catch (error) {
      m.storeErrors.inc({ table, operation: op, kind: failureKind(error) });
      throw error;
    } finally {
      c.calls.inc();
      c.latency.observe((performance.now() - started) / 1000);
    }
  }

  return {
    ensure: (definitions) => tables.ensure(definitions),
    get: (table, key, options) => run(table, 'GetItem', () => tables.get(table, key, options), () => ['read', readUnits(1, options?.consistent)]),
    batchGet: (table, keys) => run(table, 'BatchGetItem', () => tables.batchGet(table, keys), () => ['read', keys.length * 0.5]),
    put: (request) => run(request.table, 'PutItem', () => tables.put(request), () => ['write', 1]),
    delete: (request) => run(request.table, 'DeleteItem', () => tables.delete(request), () => ['write', 1]),
    update: (request) => run(request.table, 'UpdateItem', () => tables.update(request), () => ['write', 1]),
    query: (request) =>
      run(request.table, 'Query', () => tables.query(request), (r) => ['read', readUnits(r.items.length, request.consistent && !request.index)]),
    scan: (request) => run(request.table, 'Scan', () => tables.scan(request), (r) => ['read', readUnits(r.items.length, false)]),
    async transactWrite(operations) {
      const started = performance.now();
      const touched = [...new Set(operations.map(tableOf))];
      try {
        await tables.transactWrite(operations);
        for (const op of operations) {
          m.storeUnits.inc({ table: tableOf(op), kind: 'conditionCheck' in op ? 'read' : 'write' }, 2);
        }
      } catch (error) {
        for (const table of touched) m.storeErrors.inc({ table, operation: 'TransactWriteItems', kind: failureKind(error) });
        if (error instanceof TransactionCanceledError) {
          error.reasons.forEach((reason, i) => {
            if (reason === 'TransactionConflict' && operations[i]) m.storeConflicts.inc({ table: tableOf(operations[i]) });
          });
        }
        throw error;
      } finally {
        // DynamoDB reports a transaction under each table it touched.
        const seconds = (performance.now() - started) / 1000;
        for (const table of touched) {
          const c = children(table, 'TransactWriteItems');
          c.calls.inc();
          c.latency.observe(seconds);
        }
      }
    },
    get changes() {
      return tables.changes;
    },
    close: () => tables.close(),
  };
}
