import {
  defaultFieldResolver,
  isObjectType,
  type ConstDirectiveNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { AppError, ErrorCode } from '../../domain/errors.ts';
import type { Caller, RequestContext } from '../context.ts';

/**
 * AppSync's per-field authorization (appsync.md §3.1): a field's allowed modes are its own auth
 * directives, else its object type's, else the API's default mode (Cognito user pools). Field
 * directives replace type directives; `cognito_groups` must intersect the caller's groups.
 * IAM, OIDC and Lambda modes have no embedded counterpart, so fields open only to them are closed.
 */
export interface FieldAuth {
  apiKey: boolean;
  /** false = not allowed; true = any signed-in user; list = members of one of these groups. */
  userPools: boolean | string[];
}

const AUTH_DIRECTIVES = new Set(['aws_api_key', 'aws_cognito_user_pools', 'aws_auth', 'aws_iam', 'aws_oidc', 'aws_lambda']);
const DEFAULT_AUTH: FieldAuth = { apiKey: false, userPools: true };

function fromDirectives(directives: readonly ConstDirectiveNode[]): FieldAuth | undefined {
  const auth = directives.filter((d) => AUTH_DIRECTIVES.has(d.name.value));
  if (auth.length === 0) return undefined;
  const out: FieldAuth = { apiKey: false, userPools: false };
  for (const d of auth) {
    const name = d.name.value;
    if (name === 'aws_api_key') out.apiKey = true;
    if (name !== 'aws_cognito_user_pools' && name !== 'aws_auth') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'cognito_groups');
    if (!arg || arg.value.kind === 'NullValue') {
      out.userPools = true;
    } else if (out.userPools !== true) {
      const values = arg.value.kind === 'ListValue' ? arg.value.values : [arg.value];
      const groups = values.flatMap((v) => (v.kind === 'StringValue' ? [v.value] : []));
      out.userPools = [...(Array.isArray(out.userPools) ? out.userPools : []), ...groups];
    }
  }
  return out;
}

export function fieldAuth(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>): FieldAuth {
  const own = fromDirectives(field.astNode?.directives ?? []);
  if (own) return own;
  const typeDirectives = [type.astNode, ...type.extensionASTNodes].flatMap((n) => n?.directives ?? []);
  return fromDirectives(typeDirectives) ?? DEFAULT_AUTH;
}

export function allows(auth: FieldAuth, caller: Caller): boolean {
  if (caller.mode === 'API_KEY') return auth.apiKey;
  if (auth.userPools === true) return true;
  if (auth.userPools === false) return false;
  const groups = caller.principal.groups;
  return auth.userPools.some((g) => groups.includes(g));
}

/**
 * Wraps the resolver of every field some caller may not read: such a field resolves to null with
 * AppSync's `Unauthorized` error. Fields open to every mode keep their resolver untouched, so the
 * common path costs nothing.
 */
export function enforceFieldAuth(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const auth = fieldAuth(type, field);
      if (auth.apiKey && auth.userPools === true) continue;
      const inner: GraphQLFieldResolver<unknown, RequestContext> = field.resolve ?? defaultFieldResolver;
      const message = `Not Authorized to access ${field.name} on type ${type.name}`;
      field.resolve = (source, args, ctx, info) => {
        if (!allows(auth, ctx.caller)) throw new AppError(ErrorCode.Unauthorized, message);
        return inner(source, args, ctx, info);
      };
    }
  }
}
