/**
 * Where each function's deployed bundle is: the asset directories of the one CDK synth of this
 * test run (test/support/cdk-template.ts), matched to the function by its construct path.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type LambdaName = 'api-resolver' | 'update-user-counters' | 'process-profile-photo' | 'calculate-rankings' | 'post-confirmation';

/** The bundle's entry file for a function (its asset's index.mjs). */
export async function lambdaBundle(name: LambdaName): Promise<string> {
  const { cdkOut, template } = await import('./cdk-template.ts').then((m) => m.synthesized());
  const construct = CONSTRUCT_IDS[name];
  for (const resource of Object.values(template.Resources ?? {}) as Array<{ Type: string; Metadata?: Record<string, string> }>) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const path = resource.Metadata?.['aws:cdk:path'] ?? '';
    const asset = resource.Metadata?.['aws:asset:path'];
    if (!asset || !path.split('/').includes(construct)) continue;
    const file = ['index.mjs', 'index.js'].map((f) => join(cdkOut, asset, f)).find((f) => existsSync(f));
    if (file) return file;
  }
  throw new Error(`no bundled function ${construct} (src/lambda/${name}.ts) in the synthesized template`);
}

/** The construct id each function has in infra/ (infra/constructs/functions.ts). */
const CONSTRUCT_IDS: Record<LambdaName, string> = {
  'api-resolver': 'ApiResolver',
  'update-user-counters': 'UpdateUserCounters',
  'process-profile-photo': 'ProcessProfilePhoto',
  'calculate-rankings': 'CalculateRankings',
  'post-confirmation': 'PostConfirmation',
};
