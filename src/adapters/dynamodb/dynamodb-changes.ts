/**
 * The Tables port's change log over DynamoDB Streams (NEW_AND_OLD_IMAGES). Shards come from
 * DescribeStream; reads use GetShardIterator + GetRecords. Iterators are cached per shard while the
 * caller continues from the last sequence number it was given, because GetShardIterator is slow and
 * rate-limited; an expired iterator (15 min) is re-acquired transparently.
 */
import { DescribeTableCommand, type AttributeValue as DdbAttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  TableValidationError,
  type ChangeLog,
  type ChangeRecord,
  type Item,
  type Key,
  type ReadChangesRequest,
  type ReadChangesResult,
  type Shard,
} from '../../ports/tables.ts';
import { mapError } from './errors.ts';
import { withRetry, type RetryPolicy } from './retry.ts';

/** GetRecords' own maximum page size. */
const MAX_LIMIT = 1000;
/** DynamoDB (Local especially) may hand out empty pages before records show up: try a few before answering. */
const MAX_EMPTY_PAGES = 4;

export interface DynamoChangeLogOptions {
  client: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  policy: RetryPolicy;
  /** Logical (port) table name to physical name. */
  physical: (table: string) => string;
}

interface CachedIterator {
  iterator: string;
  /** Sequence number the iterator continues after (undefined: the shard's start). */
  position: string | undefined;
}

const unmarshallOptions = { wrapNumbers: (value: string) => Number(value) };

function plain(image: Record<string, unknown> | undefined): Item | undefined {
  return image ? (unmarshall(image as Record<string, DdbAttributeValue>, unmarshallOptions) as Item) : undefined;
}

function toChangeRecord(table: string, record: StreamRecord): ChangeRecord {
  const data = record.dynamodb ?? {};
  const created = data.ApproximateCreationDateTime;
  const change: ChangeRecord = {
    sequenceNumber: data.SequenceNumber ?? '',
    eventName: record.eventName as ChangeRecord['eventName'],
    table,
    keys: (plain(data.Keys) ?? {}) as Key,
    approximateCreationDateTime: created ? Math.floor(new Date(created).getTime() / 1000) : 0,
  };
  const oldImage = plain(data.OldImage);
  const newImage = plain(data.NewImage);
  if (oldImage) change.oldImage = oldImage;
  if (newImage) change.newImage = newImage;
  return change;
}

export function createDynamoChangeLog(options: DynamoChangeLogOptions): ChangeLog {
  const { client, streams, policy, physical } = options;
  const streamArns = new Map<string, string>();
  const iterators = new Map<string, CachedIterator>();

  async function call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(op, fn, policy);
    } catch (error) {
      // A re-created table has a new stream: forget cached ARNs so the next call looks it up again.
      if ((error as Error).name === 'ResourceNotFoundException') streamArns.clear();
      throw mapError(error);
    }
  }

  async function streamArn(table: string): Promise<string> {
    const known = streamArns.get(table);
    if (known) return known;
    const out = await call('DescribeTable', () => client.send(new DescribeTableCommand({ TableName: physical(table) })));
    const arn = out.Table?.LatestStreamArn;
    if (!arn || !out.Table?.StreamSpecification?.StreamEnabled) {
      throw new TableValidationError(`Table ${table} has no change log (stream not enabled)`);
    }
    streamArns.set(table, arn);
    return arn;
  }

  async function acquire(arn: string, shardId: string, after: string | undefined): Promise<string> {
    const out = await call('GetShardIterator', () =>
      streams.send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: shardId,
          ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
          SequenceNumber: after,
        }),
      ),
    );
    if (!out.ShardIterator) throw new TableValidationError(`No iterator for shard ${shardId}`);
    return out.ShardIterator;
  }

  return {
    async listShards(table: string): Promise<Shard[]> {
      const arn = await streamArn(table);
      const shards: Shard[] = [];
      let start: string | undefined;
      do {
        const out = await call('DescribeStream', () =>
          streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start })),
        );
        for (const s of out.StreamDescription?.Shards ?? []) {
          if (!s.ShardId) continue;
          const shard: Shard = { shardId: s.ShardId, closed: Boolean(s.SequenceNumberRange?.EndingSequenceNumber) };
          if (s.ParentShardId) shard.parentShardId = s.ParentShardId;
          shards.push(shard);
        }
        start = out.StreamDescription?.LastEvaluatedShardId;
      } while (start);
      return shards;
    },

    async read(request: ReadChangesRequest): Promise<ReadChangesResult> {
      const { table, shardId, after } = request;
      const limit = request.limit ?? MAX_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new TableValidationError(`limit must be 1..${MAX_LIMIT}`);
      if (after !== undefined && !/^\d{1,64}$/.test(after)) throw new TableValidationError('Invalid sequence number');
      const arn = await streamArn(table);
      const cacheKey = `${arn}\n${shardId}`;
      const cached = iterators.get(cacheKey);
      iterators.delete(cacheKey); // one reader per iterator; a concurrent reader acquires its own
      let iterator = cached && cached.position === after ? cached.iterator : await acquire(arn, shardId, after);
      let reacquired = false;
      for (let empty = 0; ; ) {
        let out;
        try {
          out = await withRetry('GetRecords', () => streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit })), policy);
        } catch (error) {
          // A cached iterator may expire (15 min) or point into trimmed data (it was taken from
          // TRIM_HORIZON while the shard was empty): take a fresh one from the checkpoint, once.
          const name = (error as Error).name;
          if ((name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') && !reacquired) {
            reacquired = true;
            iterator = await acquire(arn, shardId, after);
            continue;
          }
          if ((error as Error).name === 'ResourceNotFoundException') streamArns.clear();
          throw mapError(error);
        }
        const records = (out.Records ?? []).map((r) => toChangeRecord(table, r));
        const next = out.NextShardIterator;
        if (records.length > 0 || !next || ++empty >= MAX_EMPTY_PAGES) {
          const position = records.length ? records[records.length - 1].sequenceNumber : after;
          if (next) iterators.set(cacheKey, { iterator: next, position });
          return { records, endOfShard: !next };
        }
        iterator = next;
      }
    },
  };
}
