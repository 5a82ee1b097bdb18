/**
 * Operations pieces without a server: the cost estimate and its projection on known counts, the
 * metered store (calls, units, failures, conflicts per table), the throttle attribution of the
 * DynamoDB adapter, the progress reporter's two modes, and ProcessProfilePhoto's recent outcomes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { countedUsage, estimate, MONTH_SECONDS, PRICES, projectMonth, SEED_USAGE } from '../../src/domain/monitoring/cost.ts';
import { parseExposition } from '../../src/domain/monitoring/exposition.ts';
import { throttledTables } from '../../src/adapters/dynamodb/retry.ts';
import { ConditionalCheckFailedError, TransactionCanceledError, type TransactOperation } from '../../src/ports/tables.ts';
import { meterTables } from '../../src/runtime/metered-tables.ts';
import { SystemMetrics } from '../../src/runtime/metrics.ts';
import { MediaActivity } from '../../src/runtime/media-activity.ts';
import { progressReporter } from '../../src/cli/progress.ts';
import { MemoryTables } from '../support/memory-tables.ts';

describe('cost', () => {
  test("the seed's usage model at eu-west-3 prices: five lines, rounded to the cent", () => {
    const e = estimate(SEED_USAGE);
    assert.equal(e.region, 'eu-west-3');
    assert.match(e.priceDate, /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(
      e.lines.map((l) => [l.name, l.usd]),
      [
        ['DynamoDB (on demand)', 1.19], // 1M WRU x 0.7425 + 1M RRU x 0.1485 + 1 GB x 0.297
        ['S3 (media)', 2.4], // 100 GB x 0.024
        ['CloudFront', 87.04], // 1024 GB x 0.085
        ['Lambda', 1.87], // 1M x 0.20/M + 100,000 GB-s x 0.0000166667
        ['AppSync', 4], // 1M x 4.00/M
      ],
    );
    assert.equal(e.totalUsd, 96.5);
  });

  test('projection on known counts: one hour of counting scaled to 730 hours', () => {
    const now = 1_800_000_000;
    const text = [
      `process_start_time_seconds ${now - 3600}`,
      'biilive_store_request_units_total{table="BIILIVEDB-USERS",kind="read"} 1000',
      'biilive_store_request_units_total{table="BIIHLIVE-SOCIAL-V2",kind="read"} 370',
      'biilive_store_request_units_total{table="BIILIVEDB-USERS",kind="write"} 200',
      'biilive_media_requests_total{behaviour="upload",method="PUT",status="2xx"} 10',
      'biilive_media_requests_total{behaviour="download",method="GET",status="2xx"} 5',
      'biilive_media_requests_total{behaviour="/profile-photos/*",method="GET",status="2xx"} 100',
      'biilive_media_requests_total{behaviour="/fotos/*",method="HEAD",status="2xx"} 20',
      `biilive_media_bytes_sent_total{behaviour="/profile-photos/*"} ${2 ** 30}`,
      `biilive_media_bytes_sent_total{behaviour="download"} ${2 ** 30}`,
      'biilive_function_invocations_total{function="UpdateUserCounters"} 30',
      'biilive_function_invocations_total{function="ProcessProfilePhoto"} 10',
      'biilive_function_duration_seconds_sum{function="ProcessProfilePhoto"} 4',
      'biilive_api_requests_total{operation="getUser",auth_mode="API_KEY"} 960',
      'biilive_api_request_duration_seconds_sum{operation="getUser",auth_mode="API_KEY"} 6',
      'biilive_realtime_messages_delivered_total{field="onMessageReceived"} 50',
    ].join('\n');
    const counted = countedUsage(parseExposition(text), now);
    assert.equal(counted.seconds, 3600);
    const month = projectMonth(counted);
    const f = MONTH_SECONDS / 3600;
    assert.equal(f, 730);
    assert.deepEqual(month.dynamodb, { readUnits: 1370 * f, writeUnits: 200 * f, storageGb: SEED_USAGE.dynamodb.storageGb });
    assert.deepEqual(month.s3, { storageGb: 100, puts: 10 * f, gets: 5 * f });
    assert.deepEqual(month.cloudfront, { transferGb: 1 * f, requests: 120 * f });
    assert.deepEqual(month.lambda, { invocations: (30 + 10 + 960) * f, gbSeconds: (4 + 6) * 0.5 * f });
    assert.deepEqual(month.appsync, { requests: 960 * f, realtimeMessages: 50 * f });
    const p = PRICES;
    const byName = Object.fromEntries(estimate(month).lines.map((l) => [l.service, l.usd]));
    const cents = (v: number) => Math.round(v * 100) / 100;
    assert.equal(byName.cloudfront, cents(730 * p.cloudfront.transferOutGb + ((120 * 730) / 10_000) * p.cloudfront.httpsPerTenThousand));
    assert.equal(byName.appsync, cents(((960 * 730) / 1e6) * p.appsync.requestsPerMillion + ((50 * 730) / 1e6) * p.appsync.realtimeMessagesPerMillion));
    assert.throws(() => countedUsage(parseExposition('x_total 1'), now), /process_start_time_seconds/);
  });
});

describe('metered store', () => {
  const defs = [
    { id: 'users', name: 'U', partitionKey: { name: 'userId', type: 'S' as const } },
    { id: 'social', name: 'S', partitionKey: { name: 'pk', type: 'S' as const }, sortKey: { name: 'sk', type: 'S' as const } },
  ];
  const value = async (metrics: SystemMetrics, key: 'storeOperations' | 'storeUnits' | 'storeErrors' | 'storeConflicts', labels: Record<string, string>) => {
    const { values } = await metrics.m[key].get();
    return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
  };

  test('calls, estimated request units and failures per table and DynamoDB operation', async () => {
    const metrics = new SystemMetrics({ defaults: false });
    const raw = new MemoryTables();
    await raw.ensure(defs);
    const tables = meterTables(raw, metrics);
    await tables.put({ table: 'U', item: { userId: 'a' } });
    await tables.get('U', { userId: 'a' }, { consistent: true });
    await tables.get('U', { userId: 'a' });
    await tables.batchGet('U', [{ userId: 'a' }, { userId: 'b' }]);
    await tables.transactWrite([{ put: { table: 'S', item: { pk: 'x', sk: 'y' } } }, { update: { table: 'U', key: { userId: 'a' }, add: { n: 1 } } }]);
    await assert.rejects(tables.put({ table: 'U', item: { userId: 'a' }, condition: { notExists: 'userId' } }), ConditionalCheckFailedError);
    await assert.rejects(tables.get('nope', { userId: 'a' }));
    assert.equal(await value(metrics, 'storeOperations', { table: 'U', operation: 'GetItem' }), 2);
    assert.equal(await value(metrics, 'storeOperations', { table: 'U', operation: 'PutItem' }), 2);
    assert.equal(await value(metrics, 'storeOperations', { table: 'S', operation: 'TransactWriteItems' }), 1, 'a transaction counts under each table it touched');
    assert.equal(await value(metrics, 'storeOperations', { table: 'U', operation: 'TransactWriteItems' }), 1);
    // Reads: 1 (consistent) + 0.5 + 2 keys x 0.5; writes: 1 put + 2 per transactional item.
    assert.equal(await value(metrics, 'storeUnits', { table: 'U', kind: 'read' }), 2.5);
    assert.equal(await value(metrics, 'storeUnits', { table: 'U', kind: 'write' }), 3);
    assert.equal(await value(metrics, 'storeUnits', { table: 'S', kind: 'write' }), 2);
    assert.equal(await value(metrics, 'storeErrors', { table: 'U', operation: 'PutItem', kind: 'conditional' }), 1);
    assert.equal(await value(metrics, 'storeErrors', { table: 'nope', kind: 'validation' }), 1);
    const { values } = await metrics.m.storeLatency.get();
    assert.ok(values.some((v) => v.metricName === 'biilive_store_operation_duration_seconds_count' && v.labels.table === 'U' && v.value === 2));
  });

  test("transaction conflicts are counted on the conflicting items' tables", async () => {
    // A stand-in store: DynamoDB Local cannot be made to cancel a transaction for a conflict on cue.
    class ConflictingStore extends MemoryTables {
      override async transactWrite(_ops: TransactOperation[]): Promise<void> {
        throw new TransactionCanceledError(['None', 'TransactionConflict']);
      }
    }
    const metrics = new SystemMetrics({ defaults: false });
    const raw = new ConflictingStore();
    await raw.ensure(defs);
    const tables = meterTables(raw, metrics);
    await assert.rejects(
      tables.transactWrite([{ put: { table: 'U', item: { userId: 'a' } } }, { put: { table: 'S', item: { pk: 'x', sk: 'y' } } }]),
      TransactionCanceledError,
    );
    assert.equal(await value(metrics, 'storeConflicts', { table: 'S' }), 1);
    assert.equal(await value(metrics, 'storeConflicts', { table: 'U' }), 0);
    assert.equal(await value(metrics, 'storeErrors', { table: 'U', kind: 'conflict' }), 1);
  });

  test('throttles are attributed to the tables they happened on', () => {
    const tables = ['U', 'S', 'U'];
    assert.deepEqual(throttledTables({ name: 'ProvisionedThroughputExceededException' }, tables), ['U', 'S']);
    const cancelled = { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, { Code: 'ThrottlingError' }, { Code: 'None' }] };
    assert.deepEqual(throttledTables(cancelled, tables), ['S']);
  });
});

describe('progress', () => {
  const sink = (tty: boolean) => {
    let text = '';
    const stream = new Writable({
      write(chunk, _enc, done) {
        text += chunk;
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    Object.assign(stream, { isTTY: tty, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    return { stream, text: () => text };
  };

  test('plain lines when not a terminal: first report of a phase, then at most one per interval, and its last', () => {
    const out = sink(false);
    const p = progressReporter('job', { stream: out.stream, intervalMs: 60_000 });
    for (let i = 1; i <= 100; i++) p.report('scan', i, 100, 'users read');
    p.report('write', 5, undefined, 'items');
    p.report('write', 9, undefined, 'items');
    p.stop();
    assert.equal(out.text(), 'job: scan 1/100 users read\njob: scan 100/100 users read\njob: write 5 items\njob: write 9 items\n');
  });

  test('a bar on a terminal', () => {
    const out = sink(true);
    const p = progressReporter('job', { stream: out.stream });
    p.report('scan', 50, 100, 'users read');
    p.stop();
    assert.match(out.text(), /job: scan \[[^\]]+\] 50\/100 users read 50%/);
  });
});

describe('media activity', () => {
  test('newest first, bounded, with reasons and thumbnails', () => {
    const a = new MediaActivity(2);
    a.record({ key: 'incoming/a', seconds: 1, results: [{ key: 'incoming/a', outcome: { status: 'processed', key: 'p/a', thumbnailKey: 'p/ta', width: 1, height: 1 } }] });
    a.record({ key: 'incoming/b', seconds: 1, results: [{ key: 'incoming/b', outcome: { status: 'rejected', reason: 'not-an-image' } }] });
    a.record({ key: 'incoming/c', seconds: 1, error: new Error('disk full') });
    assert.deepEqual(
      a.recent().map((e) => [e.upload, e.status, e.reason ?? e.thumbnailKey]),
      [
        ['incoming/c', 'failed', 'Error: disk full'],
        ['incoming/b', 'rejected', 'not-an-image'],
      ],
    );
  });
});
