import {
  GraphQLError,
  Kind,
  execute,
  getArgumentValues,
  getVariableValues,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  locatedError,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * Execution with per-document plans. graphql-js re-derives, on every request, what only depends
 * on the document (field collection, argument literals, the shape of each completion); here it is
 * compiled once per (document, operation) and cached with the document. Semantics follow
 * graphql-js's `execute` (resolver calls, null bubbling, list items, errors located by path);
 * documents the plan does not cover (abstract types, @skip/@include, fragments on other types,
 * introspection, subscriptions) run through graphql-js itself. A test runs a corpus through both
 * and requires identical results.
 */
export interface Executable {
  schema: GraphQLSchema;
  document: DocumentNode;
  /** Filled lazily: the plan of each operation name (`null` = anonymous/only); `false` = use graphql-js. */
  plans?: Map<string | null, OperationPlan | false>;
}

interface Path {
  readonly prev: Path | undefined;
  readonly key: string | number;
  readonly typename: string | undefined;
}

interface FieldPlan {
  key: string;
  name: string;
  nodes: FieldNode[];
  def: GraphQLField<unknown, unknown>;
  parentType: GraphQLObjectType;
  resolve: GraphQLFieldResolver<unknown, unknown> | undefined;
  /** Arguments without variables, coerced once (frozen: shared by every request). */
  staticArgs: Record<string, unknown> | undefined;
  nonNull: boolean;
  complete: Completer;
  isTypename: boolean;
}

interface OperationPlan {
  operation: OperationDefinitionNode;
  fields: FieldPlan[];
  serial: boolean;
  rootType: GraphQLObjectType;
}

interface Run {
  schema: GraphQLSchema;
  ctx: unknown;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  fragments: Record<string, FragmentDefinitionNode>;
  operation: OperationDefinitionNode;
}

type Completer = (value: unknown, run: Run, path: Path, field: FieldPlan) => unknown;

class Unsupported extends Error {}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

const toArray = (path: Path | undefined): Array<string | number> => {
  const out: Array<string | number> = [];
  for (let p = path; p; p = p.prev) out.push(p.key);
  return out.reverse();
};

export function executeDocument(
  target: Executable,
  contextValue: unknown,
  variableValues: Record<string, unknown> | undefined,
  operationName: string | undefined,
): ExecutionResult | Promise<ExecutionResult> {
  const plans = (target.plans ??= new Map());
  const planKey = operationName ?? null;
  let plan = plans.get(planKey);
  if (plan === undefined) {
    plan = compile(target.schema, target.document, operationName);
    plans.set(planKey, plan);
  }
  if (plan === false) {
    return execute({ schema: target.schema, document: target.document, contextValue, variableValues, operationName });
  }
  const coerced = getVariableValues(target.schema, plan.operation.variableDefinitions ?? [], variableValues ?? {}, { maxErrors: 50 });
  if (coerced.errors) return { errors: coerced.errors };
  const run: Run = {
    schema: target.schema,
    ctx: contextValue,
    variables: coerced.coerced,
    errors: [],
    fragments: fragmentsOf(target.document),
    operation: plan.operation,
  };
  const finish = (data: unknown): ExecutionResult =>
    run.errors.length ? { data: data as ExecutionResult['data'], errors: run.errors } : { data: data as ExecutionResult['data'] };
  const fail = (error: unknown): ExecutionResult => {
    run.errors.push(error as GraphQLError);
    return finish(null);
  };
  try {
    const data = plan.serial ? executeSerially(plan.fields, run) : executeFields(plan.fields, undefined, run, undefined);
    return isThenable(data) ? Promise.resolve(data).then(finish, fail) : finish(data);
  } catch (error) {
    return fail(error);
  }
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const out: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out[d.name.value] = d;
  return out;
}

// ---- execution ---------------------------------------------------------------------------

function executeSerially(fields: FieldPlan[], run: Run): unknown {
  const result: Record<string, unknown> = Object.create(null);
  let chain: Promise<void> | undefined;
  for (const field of fields) {
    const step = () => {
      const path: Path = { prev: undefined, key: field.key, typename: field.parentType.name };
      const value = executeField(field, undefined, run, path);
      if (isThenable(value)) return Promise.resolve(value).then((v) => void (result[field.key] = v));
      result[field.key] = value;
      return undefined;
    };
    chain = chain ? chain.then(step) : (step() ?? undefined);
  }
  return chain ? chain.then(() => result) : result;
}

function executeFields(fields: FieldPlan[], source: unknown, run: Run, parent: Path | undefined): unknown {
  const result: Record<string, unknown> = Object.create(null);
  let pending: Array<PromiseLike<unknown>> | undefined;
  for (const field of fields) {
    const path: Path = { prev: parent, key: field.key, typename: field.parentType.name };
    const value = executeField(field, source, run, path);
    if (isThenable(value)) {
      result[field.key] = null;
      (pending ??= []).push(Promise.resolve(value).then((v) => void (result[field.key] = v)));
    } else {
      result[field.key] = value;
    }
  }
  if (!pending) return result;
  return (pending.length === 1 ? pending[0] : Promise.all(pending)).then(() => result);
}

function info(field: FieldPlan, run: Run, path: Path): GraphQLResolveInfo {
  return {
    fieldName: field.name,
    fieldNodes: field.nodes,
    returnType: field.def.type,
    parentType: field.parentType,
    path,
    schema: run.schema,
    fragments: run.fragments,
    rootValue: undefined,
    operation: run.operation,
    variableValues: run.variables,
  };
}

function executeField(field: FieldPlan, source: unknown, run: Run, path: Path): unknown {
  try {
    let value: unknown;
    if (field.isTypename) {
      value = field.parentType.name;
    } else {
      const args = field.staticArgs ?? getArgumentValues(field.def, field.nodes[0], run.variables);
      if (field.resolve) {
        value = field.resolve(source, args, run.ctx, info(field, run, path));
      } else if ((typeof source === 'object' && source !== null) || typeof source === 'function') {
        const prop = (source as Record<string, unknown>)[field.name];
        value = typeof prop === 'function' ? prop.call(source, args, run.ctx, info(field, run, path)) : prop;
      }
    }
    if (isThenable(value)) {
      const onError = (e: unknown) => fieldError(e, field.nonNull, field, run, path);
      return Promise.resolve(value).then((v) => {
        try {
          const completed = completeChecked(field, v, run, path);
          return isThenable(completed) ? Promise.resolve(completed).then(undefined, onError) : completed;
        } catch (e) {
          return onError(e);
        }
      }, onError);
    }
    const completed = completeChecked(field, value, run, path);
    if (isThenable(completed)) {
      return Promise.resolve(completed).then(undefined, (e) => fieldError(e, field.nonNull, field, run, path));
    }
    return completed;
  } catch (e) {
    return fieldError(e, field.nonNull, field, run, path);
  }
}

function completeChecked(field: FieldPlan, value: unknown, run: Run, path: Path): unknown {
  if (value instanceof Error) throw value;
  return field.complete(value, run, path, field);
}

/** graphql-js's handleFieldError: a nullable position absorbs the error as null; non-null rethrows. */
function fieldError(raw: unknown, nonNull: boolean, field: FieldPlan, run: Run, path: Path): null {
  const error = locatedError(raw, field.nodes, toArray(path));
  if (nonNull) throw error;
  run.errors.push(error);
  return null;
}

// ---- compilation -------------------------------------------------------------------------

function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): OperationPlan | false {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation =
    operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
  if (!operation || operation.operation === 'subscription') return false;
  const rootType = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!rootType) return false;
  try {
    const fields = planFields(schema, rootType, [operation.selectionSet], fragmentsOf(document));
    return { operation, fields, serial: operation.operation === 'mutation', rootType };
  } catch (err) {
    if (err instanceof Unsupported) return false;
    throw err;
  }
}

function planFields(
  schema: GraphQLSchema,
  parentType: GraphQLObjectType,
  sets: readonly SelectionSetNode[],
  fragments: Record<string, FragmentDefinitionNode>,
): FieldPlan[] {
  if (parentType.isTypeOf) throw new Unsupported();
  const groups = new Map<string, FieldNode[]>();
  const collect = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (sel.directives?.length) throw new Unsupported();
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        const group = groups.get(key);
        if (group) group.push(sel);
        else groups.set(key, [sel]);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (sel.typeCondition && sel.typeCondition.name.value !== parentType.name) throw new Unsupported();
        collect(sel.selectionSet);
      } else {
        const fragment = fragments[sel.name.value];
        if (!fragment || fragment.directives?.length || fragment.typeCondition.name.value !== parentType.name) throw new Unsupported();
        collect(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) collect(set);

  const plans: FieldPlan[] = [];
  const defs = parentType.getFields();
  for (const [key, nodes] of groups) {
    const name = nodes[0].name.value;
    if (name === '__schema' || name === '__type') throw new Unsupported();
    const isTypename = name === '__typename';
    const def = isTypename ? typenameField : defs[name];
    if (!def) throw new Unsupported();
    let staticArgs: Record<string, unknown> | undefined;
    if (!isTypename && !nodes[0].arguments?.some((a) => hasVariable(a.value))) {
      try {
        staticArgs = Object.freeze(getArgumentValues(def, nodes[0]));
      } catch {
        staticArgs = undefined; // reported per request, like graphql-js
      }
    }
    const subSets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    plans.push({
      key,
      name,
      nodes,
      def,
      parentType,
      resolve: isTypename ? undefined : def.resolve,
      staticArgs,
      nonNull: isNonNullType(def.type),
      complete: completer(schema, def.type, subSets, fragments),
      isTypename,
    });
  }
  return plans;
}

// `__typename` is answered from the parent type; this stands in for its definition.
const typenameField = { name: '__typename', args: [], type: undefined } as unknown as GraphQLField<unknown, unknown>;

function hasVariable(node: ValueNode): boolean {
  if (node.kind === Kind.VARIABLE) return true;
  if (node.kind === Kind.LIST) return node.values.some(hasVariable);
  if (node.kind === Kind.OBJECT) return node.fields.some((f) => hasVariable(f.value));
  return false;
}

function completer(
  schema: GraphQLSchema,
  type: GraphQLOutputType | undefined,
  subSets: SelectionSetNode[],
  fragments: Record<string, FragmentDefinitionNode>,
): Completer {
  if (type === undefined) return (v) => v; // __typename
  if (isNonNullType(type)) {
    const inner = completer(schema, type.ofType, subSets, fragments);
    return (value, run, path, field) => {
      const completed = inner(value, run, path, field);
      if (completed === null) {
        throw new Error(`Cannot return null for non-nullable field ${field.parentType.name}.${field.name}.`);
      }
      return completed;
    };
  }
  if (isListType(type)) {
    const itemType = type.ofType;
    const itemNonNull = isNonNullType(itemType);
    const item = completer(schema, itemType, subSets, fragments);
    return (value, run, path, field) => {
      if (value == null) return null;
      if (typeof value !== 'object' || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
        throw new GraphQLError(`Expected Iterable, but did not find one for field "${field.parentType.name}.${field.name}".`);
      }
      let pending = false;
      const out: unknown[] = [];
      let index = 0;
      for (const raw of value as Iterable<unknown>) {
        const itemPath: Path = { prev: path, key: index++, typename: undefined };
        const onError = (e: unknown) => fieldError(e, itemNonNull, field, run, itemPath);
        try {
          let completed: unknown;
          if (isThenable(raw)) {
            completed = Promise.resolve(raw).then((v) => {
              if (v instanceof Error) throw v;
              return item(v, run, itemPath, field);
            });
          } else {
            if (raw instanceof Error) throw raw;
            completed = item(raw, run, itemPath, field);
          }
          if (isThenable(completed)) {
            pending = true;
            out.push(Promise.resolve(completed).then(undefined, onError));
          } else {
            out.push(completed);
          }
        } catch (e) {
          out.push(onError(e));
        }
      }
      return pending ? Promise.all(out) : out;
    };
  }
  if (isLeafType(type)) {
    const leaf = type as GraphQLLeafType;
    return (value) => {
      if (value == null) return null;
      const serialized = leaf.serialize(value);
      if (serialized == null) throw new Error(`Expected \`${leaf.name}.serialize(${String(value)})\` to return non-nullable value`);
      return serialized;
    };
  }
  if (isAbstractType(type) || !isObjectType(type)) throw new Unsupported();
  const fields = planFields(schema, type, subSets, fragments);
  return (value, run, path) => (value == null ? null : executeFields(fields, value, run, path));
}

