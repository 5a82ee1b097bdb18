/** The follow-graph suite (test/unit/social.test.ts) on DynamoDB Local: one JVM for the file. */
import { dynamoStoreForFile } from '../unit/support-social.ts';
import { socialSuite } from '../unit/social.test.ts';

socialSuite(dynamoStoreForFile(), { fans: 300 });
