/**
 * The API's Lambda data source on AppSync: one function for every field with business rules,
 * dispatched by `parentTypeName.fieldName` to the same registered operations the embedded server
 * runs. AppSync has already checked the caller's auth mode and groups against the schema's
 * directives; the operations still take the user from the identity, never from arguments.
 *
 * Contract with the response template (infra/api/vtl): `{ data }` on success; `{ error }` for a
 * domain error, whose `type` becomes AppSync's errorType. Anything else is thrown: the function's
 * log and error metric record it, and the response template (infra/api/vtl/lambda.response.vtl)
 * answers the client a masked InternalFailure, as the embedded server does.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { AppError, ErrorCode } from '../../domain/errors.ts';
import type { Principal } from '../../domain/identity/contracts.ts';
import type { Caller, RequestContext } from '../context.ts';
import type { ApiServices, ApiServicesInput, Operation } from '../operation.ts';
import { operations as registeredOperations } from '../registry.ts';

/** AppSync's direct Lambda resolver event (the subset this dispatcher reads). */
export interface AppSyncResolverEvent {
  arguments: Record<string, unknown> | null;
  identity?: AppSyncIdentity | null;
  source?: Record<string, unknown> | null;
  info: { fieldName: string; parentTypeName: string; selectionSetList?: string[] | null; variables?: Record<string, unknown> | null };
}

/** AppSync's Cognito user pool identity; absent (null) for API key calls. */
export interface AppSyncIdentity {
  sub?: string;
  username?: string;
  groups?: string[] | null;
  claims?: Record<string, unknown>;
  issuer?: string;
}

export type LambdaResolverResult = { data: unknown } | { error: { message: string; type: string; info?: Record<string, unknown> } };

export interface LambdaResolverOptions {
  operations?: readonly Operation[];
}

type Bound = (args: unknown, ctx: RequestContext) => unknown;

/** Builds the dispatcher once per container: operations bound to their services. */
export function createLambdaResolver(services: ApiServicesInput, options: LambdaResolverOptions = {}) {
  const byField = new Map<string, Bound>();
  for (const op of options.operations ?? registeredOperations) {
    // Subscriptions are AppSync's own (@aws_subscribe); nothing to dispatch.
    if (op.type === 'Subscription') continue;
    if (op.uses.some((k) => services[k] === undefined)) continue;
    const picked = Object.fromEntries(op.uses.map((k) => [k, services[k]])) as Pick<ApiServices, (typeof op.uses)[number]>;
    const resolve = op.resolver(picked) as (args: unknown, ctx: RequestContext, info: GraphQLResolveInfo) => unknown;
    byField.set(`${op.type}.${op.field}`, (args, ctx) => resolve(args, ctx, undefined as unknown as GraphQLResolveInfo));
  }

  return async function handle(event: AppSyncResolverEvent): Promise<LambdaResolverResult> {
    const field = `${event?.info?.parentTypeName}.${event?.info?.fieldName}`;
    const resolve = byField.get(field);
    if (!resolve) return { error: { type: ErrorCode.UnsupportedOperation, message: `Operation ${field} is not served by this function` } };
    try {
      const value = await resolve(event.arguments ?? {}, { caller: callerOf(event.identity) });
      return { data: await materialize(value, selection(event.info.selectionSetList)) };
    } catch (err) {
      if (err instanceof AppError) return { error: { type: err.code, message: err.message, ...(err.info ? { info: err.info } : {}) } };
      throw err;
    }
  };
}

/** The caller as the embedded edge would establish it: API key when AppSync passed no user. */
export function callerOf(identity: AppSyncIdentity | null | undefined): Caller {
  if (!identity?.sub) return { mode: 'API_KEY' };
  const claims = identity.claims ?? {};
  const groups = identity.groups ?? (Array.isArray(claims['cognito:groups']) ? (claims['cognito:groups'] as string[]) : []);
  const principal: Principal = {
    sub: identity.sub,
    username: identity.username ?? String(claims['cognito:username'] ?? claims.username ?? identity.sub),
    groups,
    tokenUse: claims.token_use === 'access' ? 'access' : 'id',
    claims,
  };
  return { mode: 'AMAZON_COGNITO_USER_POOLS', principal };
}

/** `undefined` = everything selected (no selection set given). */
function selection(list: string[] | null | undefined): Set<string> | undefined {
  return list ? new Set(list) : undefined;
}

/**
 * The resolver's value as JSON for AppSync: promises awaited, and the lazy nested values the
 * embedded executor would call (Follow.follower, ...) called only when the selection asks for
 * them, since AppSync cannot call a function. Lists do not add a path segment, as in AppSync's
 * selectionSetList ("items/otherUser/nickname").
 */
export async function materialize(value: unknown, selected: Set<string> | undefined, path = ''): Promise<unknown> {
  const v = await value;
  if (v === null || v === undefined) return v ?? null;
  if (Array.isArray(v)) return Promise.all(v.map((x) => materialize(x, selected, path)));
  if (typeof v !== 'object' || v instanceof Date) return v;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(v as Record<string, unknown>)) {
    const here = path ? `${path}/${key}` : key;
    if (typeof raw === 'function') {
      if (selected && !selected.has(here)) continue;
      out[key] = await materialize((raw as () => unknown)(), selected, here);
    } else {
      out[key] = await materialize(raw, selected, here);
    }
  }
  return out;
}
