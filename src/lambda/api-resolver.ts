/**
 * Lambda: the AppSync API's business-rule fields (infra/api: the Lambda data source). Thin: the
 * system comes from runtime/, the dispatch from api/.
 */
import { createLambdaResolver, type AppSyncResolverEvent } from '../api/appsync/lambda-resolver.ts';
import { lambdaSystemOnce, type LambdaSystem } from '../runtime/lambda.ts';

/** The dispatcher over a system (tests build one on DynamoDB Local). */
export function createApiResolver(system: LambdaSystem) {
  const { services, media, presence, config } = system;
  return createLambdaResolver({ ...services, media, presence, limits: config.limits });
}

let resolve: ReturnType<typeof createApiResolver> | undefined;

export async function handler(event: AppSyncResolverEvent) {
  resolve ??= createApiResolver(lambdaSystemOnce());
  return resolve(event);
}
