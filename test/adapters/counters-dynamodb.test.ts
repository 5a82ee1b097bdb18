/**
 * The counters suite (test/unit/counters.test.ts) on DynamoDB Local, one JVM for the file: the
 * consumer reads DynamoDB Streams, commits with TransactWriteItems, and shares shards by leases.
 */
import { dynamoStoreForFile } from '../unit/support-social.ts';
import { countersSuite } from '../unit/counters.test.ts';

countersSuite(dynamoStoreForFile(), { propertyOps: 2000 });
