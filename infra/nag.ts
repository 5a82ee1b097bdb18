/**
 * cdk-nag (AwsSolutions) findings this stack accepts, each on the constructs it concerns and with
 * its reason. Anything else the pack reports fails synthesis (and test/infra/stack.test.ts).
 * cdk-nag 3 runs as a CDK policy-validation plugin: acknowledgements are CDK's
 * `Validations.acknowledge`, ids prefixed with the plugin name.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { FUNCTIONS } from './constructs/functions.ts';
import { ownUploadPatterns } from './constructs/identity.ts';
import type { BiiliveStack } from './stack.ts';

const PACK = 'AwsSolutions';

function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${PACK}::${PACK}-${rule}`, reason });
}

/** `<LogicalId.Arn>`, as cdk-nag names a resource's ARN in granular findings. */
function arnRef(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return `<${stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement))}.Arn>`;
}

export function suppressStackFindings(stack: BiiliveStack): void {
  const { functions, media, identity, triggers, tables } = stack;

  // Functions: the managed logging policy, X-Ray, and CDK's grant action groups on scoped resources.
  acknowledge(functions, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The standard Lambda logging policy (CreateLogGroup/CreateLogStream/PutLogEvents); each function writes to its own log group.');
  acknowledge(functions, 'IAM5[Resource::*]',
    'X-Ray PutTraceSegments/PutTelemetryRecords and DynamoDB ListStreams support no resource-level permissions.');
  for (const def of tables.definitions) {
    if (!def.indexes?.length) continue;
    acknowledge(functions, `IAM5[Resource::${arnRef(tables.get(def.id))}/index/*]`,
      `Queries on the global secondary indexes of ${def.name}, which the function reads (src/domain/tables.ts).`);
  }
  const prefixes = new Set(Object.values(FUNCTIONS).flatMap((f) => [...(f.media?.put ?? []), ...(f.media?.read ?? []), ...(f.media?.delete ?? [])]));
  for (const prefix of prefixes) {
    acknowledge(functions, `IAM5[Resource::${arnRef(media.bucket)}/${prefix}*]`,
      `Objects under ${prefix}, a key prefix of the media layout this function owns (src/domain/media/keys.ts).`);
  }
  for (const action of ['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*']) {
    acknowledge(functions, `IAM5[Action::${action}]`, 'CDK bucket grant action group, on the key prefixes of this function only.');
  }
  const notifications = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (notifications) {
    acknowledge(notifications, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's bucket-notification custom resource: runs at deployment only, logging policy only.");
  }

  // Identity pool role: the wildcard is the upload's timestamp under the caller's own `sub`.
  for (const pattern of ownUploadPatterns()) {
    const resource = `${arnRef(media.bucket)}/${pattern.replace(/\$\{([^}]+)\}/g, '<$1>')}`;
    acknowledge(identity.authenticatedRole, `IAM5[Resource::${resource}]`,
      "Upload keys under the caller's own user id (session tag from the token's sub) with any timestamp; nothing else is writable.");
  }
  acknowledge(identity.userPool, 'COG2',
    'Sign-in as the embedded pool and the app do it (USER_PASSWORD_AUTH, SRP): the app implements no MFA challenge.');
  acknowledge(identity.userPool, 'COG8',
    'The Plus feature plan (threat protection) is paid; the Essentials plan matches the embedded pool. Switch per deployment.');

  // CDN on the default domain.
  acknowledge(media.distribution, 'CFR1', 'The app serves users in every country: no geographic restriction.');
  acknowledge(media.distribution, 'CFR2',
    'Read-only public media through origin access control, 404 outside the three behaviours; attach a WebACL per deployment if needed.');
  acknowledge(media.distribution, 'CFR4',
    'The default *.cloudfront.net certificate (no custom domain), whose TLS policy CloudFront fixes; a custom domain brings TLSv1.2_2021.');

  acknowledge(triggers.countersDeadLetters, 'SQS3', 'This queue is the dead-letter queue of the counters stream mapping.');
}

