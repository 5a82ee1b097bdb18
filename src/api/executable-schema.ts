import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { AppError, ErrorCode } from '../domain/errors.ts';
import { APPSYNC_PRELUDE } from './appsync/prelude.ts';
import { appsyncScalars } from './appsync/scalars.ts';
import { enforceFieldAuth } from './appsync/auth.ts';
import type { RequestContext } from './context.ts';
import type { ApiServices, ApiServicesInput, Operation } from './operation.ts';
import { operations as registeredOperations } from './registry.ts';

const SCHEMA_FILE = new URL('./schema.graphql', import.meta.url);

/** The SDL as deployed to AppSync (no prelude). */
export function schemaSource(): string {
  return readFileSync(SCHEMA_FILE, 'utf8');
}

export interface BuildOptions {
  /** SDL to use instead of schema.graphql (tests). */
  sdl?: string;
  operations?: readonly Operation[];
}

/**
 * Builds the schema the embedded server executes: AppSync's prelude + schema.graphql, the AWS
 * scalars' rules, each registered operation's resolver bound to the services it declares, and the
 * per-field auth rules. Done once at start-up.
 */
export function buildExecutableSchema(services: ApiServicesInput, options: BuildOptions = {}): GraphQLSchema {
  const schema = buildSchema(APPSYNC_PRELUDE + (options.sdl ?? schemaSource()));
  for (const [name, impl] of Object.entries(appsyncScalars)) {
    Object.assign(schema.getType(name)!, impl);
  }

  const bound = new Set<string>();
  for (const op of options.operations ?? registeredOperations) {
    const type = schema.getType(op.type);
    const field = isObjectType(type) ? type.getFields()[op.field] : undefined;
    if (!field) throw new Error(`operation ${op.type}.${op.field} is registered but not in the schema`);
    if (op.uses.some((k) => services[k] === undefined)) continue;
    const picked = Object.fromEntries(op.uses.map((k) => [k, services[k]])) as Pick<ApiServices, (typeof op.uses)[number]>;
    const resolve = op.resolver(picked) as (args: unknown, ctx: RequestContext, info: unknown) => unknown;
    field.resolve = ((_source, args, ctx, info) => resolve(args, ctx, info)) as GraphQLFieldResolver<unknown, RequestContext>;
    bound.add(`${op.type}.${op.field}`);
  }
  // Subscription fields are left to the realtime layer (they resolve the published payload).
  // Query and mutation fields without a bound resolver (no registry entry, or a service this
  // server was not composed with) fail loudly with their own code.
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (bound.has(`${root!.name}.${field.name}`)) continue;
      const message = `Operation ${root!.name}.${field.name} is not supported by this server`;
      field.resolve = () => {
        throw new AppError(ErrorCode.UnsupportedOperation, message);
      };
    }
  }
  enforceFieldAuth(schema);
  return schema;
}
