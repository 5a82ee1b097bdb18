/**
 * Trigger events built the way AWS builds them, from real peers: a DynamoDB Streams batch as
 * Lambda's event source mapping delivers it (GetRecords' records, plus the stream ARN, with the
 * creation time in epoch seconds), read from DynamoDB Local.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent, DynamoDBStreamRecord } from '../../src/functions/stream-event.ts';
import { localClientOptions } from './dynamodb-local.ts';

export interface StreamBatchOptions {
  endpoint: string;
  table: string;
  region: string;
  /** Read until at least this many records arrived (stream records surface shortly after the write). */
  minRecords: number;
}

/** Every record of the table's stream so far, as one Lambda event (TRIM_HORIZON, all shards in order). */
export async function readLambdaStreamBatch(options: StreamBatchOptions): Promise<DynamoDBStreamEvent & { Records: Array<DynamoDBStreamRecord & { eventSourceARN: string; eventSource: string }> }> {
  const client = new DynamoDBClient(localClientOptions(options.endpoint));
  const streams = new DynamoDBStreamsClient(localClientOptions(options.endpoint));
  try {
    const table = await client.send(new DescribeTableCommand({ TableName: options.table }));
    const arn = table.Table?.LatestStreamArn;
    if (!arn) throw new Error(`${options.table} has no stream`);
    for (let attempt = 0; attempt < 50; attempt++) {
      const records: _Record[] = [];
      const stream = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
      for (const shard of stream.StreamDescription?.Shards ?? []) {
        let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
        for (let pages = 0; iterator && pages < 100; pages++) {
          const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
          records.push(...(page.Records ?? []));
          if (!page.Records?.length) break;
          iterator = page.NextShardIterator;
        }
      }
      if (records.length >= options.minRecords) {
        return {
          Records: records.map((r) => ({
            eventID: r.eventID!,
            eventName: r.eventName as DynamoDBStreamRecord['eventName'],
            eventVersion: r.eventVersion ?? '1.1',
            eventSource: 'aws:dynamodb',
            awsRegion: options.region,
            eventSourceARN: arn,
            dynamodb: {
              ...(r.dynamodb as unknown as DynamoDBStreamRecord['dynamodb']),
              ApproximateCreationDateTime: Math.floor((r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000),
            },
          })),
        };
      }
      await new Promise((ok) => setTimeout(ok, 200));
    }
    throw new Error(`fewer than ${options.minRecords} records on the stream of ${options.table}`);
  } finally {
    client.destroy();
    streams.destroy();
  }
}
