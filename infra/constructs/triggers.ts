/**
 * The functions' triggers, as the seed wires them:
 * - UpdateUserCounters on BIIHLIVE-SOCIAL-V2's stream, with the mapping settings its exactly-once
 *   markers support (src/functions/update-user-counters/handler.ts, header): partial batch
 *   failures, bisect on error, one batch at a time per shard (order per user); records that keep
 *   failing go to an SQS dead-letter queue (the repair is `npx biilive doctor counters --fix`).
 * - ProcessProfilePhoto on the bucket's ObjectCreated events under the upload quarantine
 *   `incoming/`. Deviation from the seed (which triggers on `profile-photos/*`): photos are
 *   uploaded to `incoming/` + their final key and only the re-encoded variants are written under
 *   the public prefixes, so an original (EXIF/GPS, polyglot payloads) is never served by the CDN,
 *   and the function's own outputs never re-trigger it (src/domain/media/keys.ts).
 * - CalculateRankings on an EventBridge schedule: config `rankings.cron`, daily 00:00 UTC.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INCOMING_PREFIX } from '../../src/domain/media/keys.ts';
import type { Functions } from './functions.ts';

/** The counters stream mapping. Retries are bounded by age, not count: a replay changes nothing. */
export const COUNTERS_STREAM = {
  batchSize: 100,
  parallelizationFactor: 1,
  // Halves a failing batch down to the record that fails; the per-record markers make every
  // replayed half a no-op for what it already applied.
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  retryAttempts: 10_000,
  /** Half the stream's 24 h retention: time to fix and replay from the dead-letter record. */
  maxRecordAge: Duration.hours(12),
  startingPosition: lambda.StartingPosition.TRIM_HORIZON,
} as const;

/** EventBridge's retries of an invocation it could not deliver (Lambda retries a failed run itself, twice). */
export const RANKINGS_RETRY_ATTEMPTS = 2;
const DEAD_LETTER_RETENTION = Duration.days(14);

export interface TriggersProps {
  functions: Functions;
  socialTable: dynamodb.ITable;
  bucket: s3.IBucket;
  /** EventBridge schedule expression. */
  rankingsSchedule: string;
}

export class Triggers extends Construct {
  readonly countersDeadLetters: sqs.Queue;
  readonly rankingsRule: events.Rule;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);
    const { functions } = props;

    this.countersDeadLetters = new sqs.Queue(this, 'CountersDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    functions.updateUserCounters.addEventSource(
      new sources.DynamoEventSource(props.socialTable, { ...COUNTERS_STREAM, onFailure: new sources.SqsDlq(this.countersDeadLetters) }),
    );

    props.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(functions.processProfilePhoto), {
      prefix: INCOMING_PREFIX,
    });

    this.rankingsRule = new events.Rule(this, 'RankingsSchedule', {
      description: 'CalculateRankings (config rankings.cron, UTC)',
      schedule: events.Schedule.expression(props.rankingsSchedule),
      targets: [new targets.LambdaFunction(functions.calculateRankings, { retryAttempts: RANKINGS_RETRY_ATTEMPTS })],
    });
  }
}
