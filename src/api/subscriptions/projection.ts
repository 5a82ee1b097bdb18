import {
  Kind,
  getLocation,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { allows, fieldAuth } from '../appsync/auth.ts';
import type { Caller } from '../context.ts';

/**
 * Projection of a JSON-like value through a selection set, compiled once per selection: the
 * realtime path's substitute for executing a document. AppSync runs no resolvers for a
 * subscription's payload: the published value (the mutation's result as its caller selected it)
 * is filtered to the fields each subscriber selected, absent fields are null, and GraphQL's null
 * rules apply (a null in a non-null position nulls the nearest nullable parent, with an error).
 *
 * Two modes:
 * - `serialize`: publisher side, over a resolver's domain value; leaves go through their scalar's
 *   serialize(), object fields are keyed by field name (a canonical payload, aliases aside);
 * - copy: subscriber side, over an already serialized payload; output keyed by response key
 *   (aliases), and fields the subscriber's caller may not read are null with AppSync's
 *   `Unauthorized` error.
 */
export interface ProjectionError {
  message: string;
  errorType: string | null;
  path: ReadonlyArray<string | number>;
  locations: Array<{ line: number; column: number; sourceName: null }> | null;
}

/** Marks "null in a non-null position": the nearest nullable parent becomes null. */
export const BUBBLE: unique symbol = Symbol('bubble');

/** Returns the projection, BUBBLE, or (publisher side only, for lazy fields) a promise of either. */
export type Projector = (value: unknown, errors: ProjectionError[]) => unknown;

export interface ProjectionOptions {
  schema: GraphQLSchema;
  serialize: boolean;
  /** Subscriber side: fields this caller may not read resolve to null with an Unauthorized error. */
  caller?: Caller;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

export interface CompiledProjection {
  project: Projector;
  /** False when @skip/@include depend on variables: the projector is only valid for these variables. */
  reusable: boolean;
}

interface State extends ProjectionOptions {
  reusable: boolean;
}

/** Compiles the projection of a value of `type` through `sets` (the merged selection sets of one field). */
export function compileProjection(
  type: GraphQLOutputType,
  sets: readonly SelectionSetNode[],
  path: ReadonlyArray<string>,
  options: ProjectionOptions,
): CompiledProjection {
  const state: State = { ...options, reusable: true };
  const project = completer(type, sets, path, state, undefined);
  return { project, reusable: state.reusable };
}

function completer(
  type: GraphQLOutputType,
  sets: readonly SelectionSetNode[],
  path: ReadonlyArray<string>,
  state: State,
  site: { parent: string; field: string; node: FieldNode } | undefined,
): Projector {
  if (isNonNullType(type)) {
    const inner = completer(type.ofType, sets, path, state, site);
    const where = site ? ` within parent '${site.parent}'` : '';
    const message = `Cannot return null for non-nullable type: '${String(type.ofType)}'${where} (/${path.join('/')})`;
    const locations = locationsOf(site?.node);
    const check = (out: unknown, errors: ProjectionError[]) => {
      if (out === BUBBLE) return BUBBLE;
      if (out === null) {
        errors.push({ message, errorType: null, path, locations });
        return BUBBLE;
      }
      return out;
    };
    if (state.serialize) return (value, errors) => after(inner(value, errors), (out) => check(out, errors));
    return (value, errors) => check(inner(value, errors), errors);
  }
  if (isListType(type)) {
    const itemType = type.ofType as GraphQLOutputType;
    const item = completer(itemType, sets, path, state, site);
    const message = `Expected Iterable for field '${path.join('/')}'`;
    return (value, errors) => {
      if (value == null) return null;
      if (!Array.isArray(value)) {
        errors.push({ message, errorType: null, path, locations: locationsOf(site?.node) });
        return null;
      }
      const out = new Array(value.length);
      let pending: Array<PromiseLike<unknown>> | undefined;
      let bubbled = false;
      for (let i = 0; i < value.length; i++) {
        const v = item(value[i], errors);
        if (isThenable(v)) (pending ??= []).push(v.then((x) => (x === BUBBLE ? (bubbled = true) : (out[i] = x))));
        // A non-null item that bubbled nulls the list (itemType's wrapper reported it).
        else if (v === BUBBLE) bubbled = true;
        else out[i] = v;
      }
      if (pending) return Promise.all(pending).then(() => (bubbled ? null : out));
      return bubbled ? null : out;
    };
  }
  if (isLeafType(type)) {
    if (!state.serialize) return (value) => (value === undefined ? null : value);
    const leaf = type as GraphQLLeafType;
    return (value, errors) => {
      if (value == null) return null;
      try {
        return leaf.serialize(value) ?? null;
      } catch (err) {
        errors.push({ message: (err as Error).message, errorType: null, path, locations: locationsOf(site?.node) });
        return null;
      }
    };
  }
  if (isAbstractType(type)) {
    // The runtime type is named by the value's __typename (AppSync payloads carry it when selected).
    const byType = new Map<string, Projector>();
    return (value, errors) => {
      if (value == null) return null;
      const name = (value as { __typename?: unknown }).__typename;
      const runtime = typeof name === 'string' ? state.schema.getType(name) : undefined;
      if (!isObjectType(runtime) || !state.schema.isSubType(type, runtime)) {
        errors.push({ message: `Could not determine the runtime type of '${path.join('/')}'`, errorType: null, path, locations: null });
        return null;
      }
      let project = byType.get(runtime.name);
      if (!project) byType.set(runtime.name, (project = objectCompleter(runtime, sets, path, state)));
      return project(value, errors);
    };
  }
  return objectCompleter(type as GraphQLObjectType, sets, path, state);
}

interface FieldStep {
  key: string;
  name: string;
  nonNull: boolean;
  project: Projector | undefined;
  /** Set when the caller may not read this field. */
  denied?: ProjectionError;
}

function objectCompleter(
  type: GraphQLObjectType,
  sets: readonly SelectionSetNode[],
  path: ReadonlyArray<string>,
  state: State,
): Projector {
  const groups = new Map<string, FieldNode[]>();
  for (const set of sets) collect(type, set, state, groups, new Set());
  const defs = type.getFields();
  const steps: FieldStep[] = [];
  for (const [responseKey, nodes] of groups) {
    const name = nodes[0].name.value;
    const key = state.serialize ? name : responseKey;
    const fieldPath = [...path, key];
    if (name === '__typename') {
      const typename = type.name;
      steps.push({ key, name, nonNull: true, project: () => typename });
      continue;
    }
    const def: GraphQLField<unknown, unknown> | undefined = defs[name];
    if (!def) continue; // validated documents never get here
    const subSets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    const step: FieldStep = {
      key,
      name,
      nonNull: isNonNullType(def.type),
      project: completer(def.type, subSets, fieldPath, state, { parent: type.name, field: name, node: nodes[0] }),
    };
    if (state.caller && !allows(fieldAuth(type, def), state.caller)) {
      step.denied = {
        message: `Not Authorized to access ${name} on type ${type.name}`,
        errorType: 'Unauthorized',
        path: fieldPath,
        locations: locationsOf(nodes[0]),
      };
    }
    steps.push(step);
  }
  const typename = type.name;
  const notObject = (errors: ProjectionError[]) => {
    errors.push({ message: `Expected an object of type ${typename} at '${path.join('/')}'`, errorType: null, path, locations: null });
    return null;
  };
  if (!state.serialize) {
    // Subscriber side, the hot path: plain JSON in, synchronous.
    return (value, errors) => {
      if (value == null) return null;
      if (typeof value !== 'object') return notObject(errors);
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        let v: unknown;
        if (step.denied) {
          errors.push(step.denied);
          v = step.nonNull ? BUBBLE : null;
        } else {
          v = step.project!(source[step.name], errors);
        }
        if (v === BUBBLE) {
          if (step.nonNull) return BUBBLE;
          v = null;
        }
        out[step.key] = v;
      }
      return out;
    };
  }
  // Publisher side, over resolver values: a function property is a lazy field (graphql's default
  // resolver calls it), and any value may be a promise.
  return (value, errors) => {
    if (value == null) return null;
    if (typeof value !== 'object') return notObject(errors);
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let pending: Array<PromiseLike<unknown>> | undefined;
    let bubbled = false;
    const assign = (step: FieldStep, v: unknown) => {
      if (v === BUBBLE) {
        if (step.nonNull) bubbled = true;
        else out[step.key] = null;
      } else out[step.key] = v;
    };
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      let raw = source[step.name];
      if (typeof raw === 'function') {
        try {
          raw = (raw as () => unknown).call(source);
        } catch (err) {
          raw = Promise.reject(err);
        }
      }
      const v = isThenable(raw)
        ? Promise.resolve(raw).then(
            (r) => step.project!(r, errors),
            (err: unknown) => fieldFailure(err, step, path, errors),
          )
        : step.project!(raw, errors);
      if (isThenable(v)) (pending ??= []).push(Promise.resolve(v).then((x) => assign(step, x)));
      else assign(step, v);
    }
    if (pending) return Promise.all(pending).then(() => (bubbled ? BUBBLE : out));
    return bubbled ? BUBBLE : out;
  };
}

/** A lazy field that failed: null (or a bubble when non-null), with its error. */
function fieldFailure(err: unknown, step: FieldStep, path: ReadonlyArray<string>, errors: ProjectionError[]): unknown {
  errors.push({ message: (err as Error)?.message ?? String(err), errorType: null, path: [...path, step.key], locations: null });
  return step.nonNull ? BUBBLE : null;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

/** `f(v)`, after `v` settles when it is a promise. */
const after = (v: unknown, f: (x: unknown) => unknown): unknown => (isThenable(v) ? Promise.resolve(v).then(f) : f(v));

/** Field collection (GraphQL's CollectFields) with @skip/@include and fragments applying to `type`. */
function collect(
  type: GraphQLObjectType,
  set: SelectionSetNode,
  state: State,
  groups: Map<string, FieldNode[]>,
  visited: Set<string>,
): void {
  for (const sel of set.selections) {
    if (!included(sel.directives, state)) continue;
    if (sel.kind === Kind.FIELD) {
      const key = sel.alias?.value ?? sel.name.value;
      const group = groups.get(key);
      if (group) group.push(sel);
      else groups.set(key, [sel]);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      if (sel.typeCondition && !applies(type, sel.typeCondition.name.value, state)) continue;
      collect(type, sel.selectionSet, state, groups, visited);
    } else {
      const name = sel.name.value;
      const fragment = state.fragments[name];
      if (!fragment || visited.has(name) || !applies(type, fragment.typeCondition.name.value, state)) continue;
      visited.add(name);
      collect(type, fragment.selectionSet, state, groups, visited);
    }
  }
}

function applies(type: GraphQLObjectType, condition: string, state: State): boolean {
  if (condition === type.name) return true;
  const target = state.schema.getType(condition);
  return !!target && isAbstractType(target) && state.schema.isSubType(target, type);
}

function included(directives: FieldNode['directives'], state: State): boolean {
  if (!directives?.length) return true;
  for (const d of directives) {
    const name = d.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    let value: unknown;
    if (arg.value.kind === Kind.VARIABLE) {
      state.reusable = false;
      value = state.variables[arg.value.name.value];
    } else {
      value = arg.value.kind === Kind.BOOLEAN ? arg.value.value : undefined;
    }
    if (name === 'skip' && value === true) return false;
    if (name === 'include' && value !== true) return false;
  }
  return true;
}

function locationsOf(node: FieldNode | undefined): ProjectionError['locations'] {
  const loc = node?.loc;
  if (!loc) return null;
  const { line, column } = getLocation(loc.source, loc.start);
  return [{ line, column, sourceName: null }];
}
