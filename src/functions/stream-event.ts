/**
 * The DynamoDB Streams event shape Lambda hands to a function (aws-lambda's DynamoDBStreamEvent,
 * restricted to what our functions read), and its construction from the Tables change log so the
 * same handler runs embedded.
 */
import type { ChangeRecord } from '../ports/tables.ts';
import { marshallItem, type DynamoItem } from './dynamodb-json.ts';

export interface DynamoDBStreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion?: string;
  eventSource?: string;
  awsRegion?: string;
  eventSourceARN?: string;
  dynamodb: {
    Keys: DynamoItem;
    NewImage?: DynamoItem;
    OldImage?: DynamoItem;
    SequenceNumber: string;
    ApproximateCreationDateTime?: number;
    SizeBytes?: number;
    StreamViewType?: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY';
  };
}

export interface DynamoDBStreamEvent {
  Records: DynamoDBStreamRecord[];
}

/** Lambda's partial batch response (FunctionResponseTypes: ReportBatchItemFailures). */
export interface StreamBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** Sequence numbers are numeric strings, unique and increasing within a shard. */
export const compareSequence = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

export interface StreamSource {
  table: string;
  shardId: string;
  region?: string;
}

/** The ARN a Lambda would see; embedded there is no account, hence the zero account id. */
export const streamArn = (source: StreamSource) =>
  `arn:aws:dynamodb:${source.region ?? 'local'}:000000000000:table/${source.table}/stream/${source.shardId}`;

export function toStreamRecord(record: ChangeRecord, source: StreamSource): DynamoDBStreamRecord {
  return {
    // Stable across re-reads of the log, unique per stream: what DynamoDB promises of eventID.
    eventID: `${source.shardId}:${record.sequenceNumber}`,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: source.region ?? 'local',
    eventSourceARN: streamArn(source),
    dynamodb: {
      Keys: marshallItem(record.keys),
      ...(record.newImage ? { NewImage: marshallItem(record.newImage) } : {}),
      ...(record.oldImage ? { OldImage: marshallItem(record.oldImage) } : {}),
      SequenceNumber: record.sequenceNumber,
      ApproximateCreationDateTime: record.approximateCreationDateTime,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

export const toStreamEvent = (records: ChangeRecord[], source: StreamSource): DynamoDBStreamEvent => ({
  Records: records.map((r) => toStreamRecord(r, source)),
});
