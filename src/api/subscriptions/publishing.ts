import {
  defaultFieldResolver,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { subscribeMapping } from './mapping.ts';
import { BUBBLE, compileProjection, type Projector } from './projection.ts';

export type MutationPublisher = (mutationField: string, payload: unknown) => void;

/**
 * Makes every mutation named in an `@aws_subscribe` publish its result when it completes: the
 * resolver's value projected through the caller's selection set and serialized, as AppSync
 * publishes what the mutation selected. Wraps the outermost resolver, so a refused or failed
 * mutation publishes nothing. Projections are compiled once per field node of the (cached)
 * document.
 */
export function attachPublishers(schema: GraphQLSchema, publish: MutationPublisher): void {
  const mutationType = schema.getMutationType();
  if (!mutationType) return;
  const fields = mutationType.getFields();
  for (const name of subscribeMapping(schema).keys()) {
    const field = fields[name];
    const inner: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
    const projectors = new WeakMap<FieldNode, Projector>();
    const emit = (value: unknown, info: GraphQLResolveInfo) => {
      if (value == null) return;
      try {
        publishProjected(value, info);
      } catch {
        // A payload that cannot be projected must never fail the mutation itself.
      }
    };
    const publishProjected = (value: unknown, info: GraphQLResolveInfo) => {
      let project = projectors.get(info.fieldNodes[0]);
      if (!project) {
        const sets = info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
        const compiled = compileProjection(info.returnType, sets, [name], {
          schema,
          serialize: true,
          fragments: info.fragments,
          variables: info.variableValues,
        });
        project = compiled.project;
        if (compiled.reusable) projectors.set(info.fieldNodes[0], project);
      }
      const done = (payload: unknown) => {
        if (payload !== null && payload !== BUBBLE) publish(name, payload);
      };
      const payload = project(value, []);
      if (payload && typeof (payload as PromiseLike<unknown>).then === 'function') {
        Promise.resolve(payload).then(done, () => undefined);
      } else done(payload);
    };
    field.resolve = (source, args, ctx, info) => {
      const result = inner(source, args, ctx, info);
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        return Promise.resolve(result).then((value) => {
          emit(value, info);
          return value;
        });
      }
      emit(result, info);
      return result;
    };
  }
}
