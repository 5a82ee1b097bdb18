/** The chat suite (test/unit/chat.test.ts) on DynamoDB Local: one JVM for the file. */
import { dynamoStoreForFile } from '../unit/support-social.ts';
import { chatSuite } from '../unit/chat.test.ts';

chatSuite(dynamoStoreForFile(), { burst: 60, racing: 40 });
