/**
 * CalculateRankings as deployed: the bundled Lambda (from the CDK app's synth) under Node 24, with
 * EventBridge's scheduled event, over N users in DynamoDB Local; beside, in the same run, a bare
 * paginated Scan of the same table through the AWS SDK (the read every ranking run must make).
 * The ratio says what ranking and writing the snapshot cost on top of reading the users.
 *
 * DynamoDB Local is an emulator (SQLite in a JVM on this machine): its absolute figures are not
 * AWS's. The projection to 1M users scales the measured run linearly; on AWS the scan and the
 * transactional writes are network round trips whose latency this bench does not model.
 * Prints one JSON object.
 *   node --import tsx bench/rankings-lambda.ts [users]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../src/config/load.ts';
import { scheduledEvent } from '../src/functions/calculate-rankings/scheduled-event.ts';
import { systemClock } from '../src/ports/clock.ts';
import { initStore } from '../src/runtime/store.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClientOptions, startDynamoLocal } from '../test/support/dynamodb-local.ts';
import { lambdaBundle } from '../test/support/lambda-bundles.ts';
import { startLambdaHost } from '../test/support/lambda-host.ts';
import { runAll } from './support/load.ts';

const users = Number(process.argv[2] ?? 20_000);
const LAMBDA_LIMIT_S = 15 * 60;
const PLACES = [
  ['Colombia', 'Bogotá'],
  ['Colombia', 'Medellín'],
  ['México', 'Guadalajara'],
  ['España', 'Madrid'],
  ['Argentina', 'Rosario'],
  ['Perú', 'Lima'],
];

const dynamo = await startDynamoLocal();
try {
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  const prefix = `bench${randomBytes(3).toString('hex')}-`;
  const config = loadConfig({ flags: { store: 'dynamodb', region: LOCAL_REGION, logLevel: 'silent', dynamodb: { endpoint: dynamo.endpoint, tablePrefix: prefix } } });
  await initStore(config, { clock: systemClock });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(localClientOptions(dynamo.endpoint)));
  const table = prefix + config.tables.users;

  const seedStarted = performance.now();
  const batches = Array.from({ length: Math.ceil(users / 25) }, (_, b) => b);
  await runAll(batches, 8, async (b) => {
    const items = Array.from({ length: Math.min(25, users - b * 25) }, (_, i) => {
      const n = b * 25 + i;
      const [pais, ciudad] = PLACES[n % PLACES.length];
      return { userId: randomUUID(), nickname: `user${n}`, puntos: (n * 7919) % 100_000, nivel: 1, pais, ciudad, seguidores: 0, siguiendo: 0 };
    });
    await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items.map((Item) => ({ PutRequest: { Item } })) } }));
  });
  const seedMs = performance.now() - seedStarted;

  // Baseline: the bare read every run must make, page by page as the function does.
  const scanStarted = performance.now();
  let scanned = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, Limit: config.rankings.scanPageSize, ExclusiveStartKey: start }));
    scanned += page.Items?.length ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  const scanMs = performance.now() - scanStarted;

  const fn = await startLambdaHost(await lambdaBundle('calculate-rankings'), {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    BIILIVE_DYNAMODB_ENDPOINT: dynamo.endpoint,
    BIILIVE_DYNAMODB_TABLE_PREFIX: prefix,
    BIILIVE_MEDIA_BUCKET: 'unused-bucket',
    BIILIVE_LOG_LEVEL: 'silent',
  });
  const runStarted = performance.now();
  const summary = await fn.invoke<{ users: number; items: number; phasesMs: Record<string, number> }>(scheduledEvent(new Date(), LOCAL_REGION));
  const runMs = performance.now() - runStarted;
  await fn.stop();
  doc.destroy();

  if (summary.users !== users || scanned !== users) throw new Error(`expected ${users} users, the run saw ${summary.users} and the scan ${scanned}`);
  const projected1MSeconds = (runMs / 1000) * (1_000_000 / users);
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'CalculateRankings bundled Lambda (Node 24) on DynamoDB Local',
        users,
        node: fn.node,
        figure: { runMs: Math.round(runMs), phasesMs: summary.phasesMs, snapshotItems: summary.items, bundleImportMs: Math.round(fn.importMs) },
        baseline: { bareScanMs: Math.round(scanMs), what: 'paginated Scan of the same users through the AWS SDK' },
        ratio: Number((runMs / scanMs).toFixed(2)),
        projection: {
          oneMillionUsersSeconds: Math.round(projected1MSeconds),
          lambdaLimitSeconds: LAMBDA_LIMIT_S,
          fitsWithMargin: Number((LAMBDA_LIMIT_S / projected1MSeconds).toFixed(1)),
          assumption: 'linear in users, at DynamoDB Local speed on this machine',
        },
        seedMs: Math.round(seedMs),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await dynamo.stop();
}
