/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` run it (cdk.json), and so do the tests
 * (scripts/run-tests.mjs, test/support/cdk-template.ts). It needs no AWS account and makes no
 * AWS call: the region comes from context, the account is the deploying credentials' unless
 * pinned with `-c account=...`, and nothing is looked up.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readContext } from './context.ts';
import { BiiliveStack, STACK_NAME } from './stack.ts';

const app = new App();
const context = readContext(app.node);
new BiiliveStack(app, STACK_NAME, {
  env: { region: context.region, account: context.account ?? process.env.CDK_DEFAULT_ACCOUNT },
  context,
});
// cdk-nag's AwsSolutions pack, as a policy validation plugin: findings land in the cloud
// assembly's policy-validation-report.json, and synthesis fails on any not acknowledged.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
