import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { amplifyConfig, type Endpoints } from '../../runtime/endpoints.ts';

/** The stack `npx cdk deploy` creates (infra/stack.ts). */
export const DEFAULT_STACK = 'BiiliveStack';
export const DEFAULT_OUTPUTS_FILE = 'cdk-outputs.json';

/** Stack outputs this command reads (infra/constructs/outputs.ts declares them). */
export const REQUIRED_OUTPUTS = ['GraphqlUrl', 'RealtimeUrl', 'ApiKey', 'UserPoolId', 'UserPoolClientId', 'IdentityPoolId', 'MediaBucket', 'Region'] as const;

type Outputs = Record<string, unknown>;

/** A bad outputs file, said in one line. */
export class OutputsError extends Error {
  override readonly name = 'OutputsError';
}

/** The stack's outputs out of a `cdk deploy --outputs-file` document ({ "<stack>": { "<output>": "value" } }). */
export function stackOutputs(document: unknown, stack: string): Outputs {
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw new OutputsError('not a cdk outputs file (expected a JSON object of stacks)');
  const stacks = document as Record<string, unknown>;
  const outputs = stacks[stack];
  if (!outputs || typeof outputs !== 'object') {
    const found = Object.keys(stacks);
    throw new OutputsError(`no stack ${stack} in the outputs file${found.length ? ` (found: ${found.join(', ')})` : ''}`);
  }
  const missing = REQUIRED_OUTPUTS.filter((k) => typeof (outputs as Outputs)[k] !== 'string' || (outputs as Outputs)[k] === '');
  if (missing.length > 0) throw new OutputsError(`stack ${stack} lacks the outputs ${missing.join(', ')}`);
  return outputs as Outputs;
}

/** The endpoints of a deployed stack, in the shape the embedded server reports its own. */
export function endpointsFromOutputs(o: Outputs): Endpoints {
  const region = String(o.Region);
  const cognito = `https://cognito-idp.${region}.amazonaws.com`;
  return {
    graphqlUrl: String(o.GraphqlUrl),
    realtimeUrl: String(o.RealtimeUrl),
    cognitoEndpoint: `${cognito}/`,
    region,
    userPoolId: String(o.UserPoolId),
    userPoolClientId: String(o.UserPoolClientId),
    apiKey: String(o.ApiKey),
    issuer: `${cognito}/${String(o.UserPoolId)}`,
    identityPoolId: String(o.IdentityPoolId),
    allowGuestAccess: false,
    storageBucket: String(o.MediaBucket),
    storageEndpoint: '',
    managed: true,
  };
}

/** `biilive info --amplify`'s object for the deployed stack: no endpoint overrides, AWS's own services. */
export function amplifyConfigFromOutputs(o: Outputs) {
  return amplifyConfig(endpointsFromOutputs(o));
}

/**
 * `npx biilive outputs [--file cdk-outputs.json] [--stack BiiliveStack]`: the Amplify
 * configuration of the AWS deployment, from the file `npx cdk deploy --outputs-file` wrote, so
 * an app moves between the embedded server and AWS by configuration alone.
 */
export function registerOutputs(program: Command): void {
  const command = program
    .command('outputs')
    .description('print the Amplify.configure object of the AWS deployment (from `npx cdk deploy --outputs-file cdk-outputs.json`)')
    .option('--file <path>', 'outputs file written by cdk deploy', DEFAULT_OUTPUTS_FILE)
    .option('--stack <name>', 'stack name', DEFAULT_STACK)
    .action((opts: { file: string; stack: string }) => {
      let document: unknown;
      try {
        document = JSON.parse(readFileSync(opts.file, 'utf8'));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'ENOENT' ? 'no such file (run `npx cdk deploy --outputs-file cdk-outputs.json` first)' : e.message;
        command.error(`biilive outputs: ${opts.file}: ${why}`, { exitCode: 2 });
      }
      try {
        process.stdout.write(`${JSON.stringify(amplifyConfigFromOutputs(stackOutputs(document, opts.stack)), null, 2)}\n`);
      } catch (err) {
        if (!(err instanceof OutputsError)) throw err;
        command.error(`biilive outputs: ${opts.file}: ${err.message}`, { exitCode: 2 });
      }
    });
}
