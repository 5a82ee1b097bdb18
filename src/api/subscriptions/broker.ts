import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getVariableValues,
  isNonNullType,
  locatedError,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Bus } from '../../ports/bus.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Caller, RequestContext } from '../context.ts';
import { FilterIndex, filterOf, type Filter } from './filter-index.ts';
import { subscribeMapping } from './mapping.ts';
import { BUBBLE, compileProjection, type ProjectionError, type Projector } from './projection.ts';

/**
 * The transport-neutral half of real time: which subscriptions exist, which events they match, and
 * what each receives. Transports (the AppSync WebSocket adapter) open subscriptions with a
 * validated document and a sink; mutations and domain events publish payloads. Every publish goes
 * to this replica's subscribers directly and to the other replicas through the bus.
 */
export interface SubscriptionSink {
  /** One event: the GraphQL response `{"data":...}` (with `"errors"` when some field failed), as JSON text. */
  deliver(payloadJson: string): void;
}

export interface OpenRequest {
  document: DocumentNode;
  operationName?: string;
  /** As sent by the client; coerced here. */
  variables?: Record<string, unknown> | null;
  context: RequestContext;
}

export interface Subscription {
  readonly field: string;
  /** Stops delivery; idempotent. */
  close(): void;
}

export type OpenResult =
  | { ok: true; subscription: Subscription }
  /** `request`: the request is invalid (variables, operation), nothing ran; `field`: the subscription resolver refused. */
  | { ok: false; phase: 'request' | 'field'; errors: readonly GraphQLError[] };

export interface BrokerDeps {
  schema: GraphQLSchema;
  /** Absent: this replica only. */
  bus?: Bus;
  /** This replica's id: its own messages coming back from the bus are skipped. */
  origin: string;
  log: Logger;
  /** Bus channel (the bus adds the deployment prefix). */
  channel?: string;
  /**
   * After each event's fan-out on this replica: the subscription field, how many subscribers got
   * it, and the seconds since it was published (on whichever replica; metrics).
   */
  onDispatch?: (field: string, delivered: number, seconds: number) => void;
}

interface Plan {
  field: GraphQLField<unknown, unknown>;
  fieldName: string;
  nodes: FieldNode[];
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  /** '{"<responseKey>":' */
  dataPrefix: string;
  project: Projector;
}

interface Entry {
  plan: Plan;
  filter: Filter;
  sink: SubscriptionSink;
  index: FilterIndex<Entry>;
  closed: boolean;
}

interface Envelope {
  o: string;
  /** Mutation field, or subscription field for direct publishes. */
  m?: string;
  s?: string;
  p: unknown;
  /** Epoch ms of the publish (delivery latency). */
  t?: number;
}

export class SubscriptionBroker {
  readonly schema: GraphQLSchema;
  /** Mutation field -> the subscription fields it fires (`@aws_subscribe`). */
  readonly mapping: ReadonlyMap<string, readonly string[]>;
  private readonly subscriptionType: GraphQLObjectType | null | undefined;
  private readonly indexes = new Map<string, FilterIndex<Entry>>();
  /** Plans per document, per operation name + caller class; documents come from the parse cache. */
  private readonly plans = new WeakMap<DocumentNode, Map<string, Plan>>();
  private readonly channel: string;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly counters = { published: 0, delivered: 0, received: 0 };
  private pending: Envelope[] = [];

  constructor(private readonly deps: BrokerDeps) {
    this.schema = deps.schema;
    this.mapping = subscribeMapping(deps.schema);
    this.subscriptionType = deps.schema.getSubscriptionType();
    this.channel = deps.channel ?? 'realtime';
  }

  /** Starts receiving the other replicas' events. */
  async start(): Promise<void> {
    if (!this.deps.bus || this.unsubscribe) return;
    this.unsubscribe = await this.deps.bus.subscribe(this.channel, (message) => this.onBusMessage(message));
  }

  async close(): Promise<void> {
    const off = this.unsubscribe;
    this.unsubscribe = undefined;
    await off?.();
  }

  get stats() {
    let subscriptions = 0;
    for (const index of this.indexes.values()) subscriptions += index.size;
    return { subscriptions, ...this.counters };
  }

  /**
   * Opens a subscription for a validated subscription document: coerces the variables, runs the
   * subscription field's resolver (AppSync's subscription resolver: field auth and ownership
   * checks throw), then registers the filter and the subscriber's projection.
   */
  async open(request: OpenRequest, sink: SubscriptionSink): Promise<OpenResult> {
    const operation = pickOperation(request.document, request.operationName);
    if (!operation || operation.operation !== 'subscription' || !this.subscriptionType) {
      return { ok: false, phase: 'request', errors: [new GraphQLError('Only subscription operations are served on this endpoint.')] };
    }
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 50 });
    if (coerced.errors) return { ok: false, phase: 'request', errors: coerced.errors };

    const plan = this.planFor(request.document, operation, request.context.caller, coerced.coerced);
    if (!plan) return { ok: false, phase: 'request', errors: [new GraphQLError('The subscription selects no field.')] };
    const node = plan.nodes[0];
    const responseKey = node.alias?.value ?? node.name.value;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(plan.field, node, coerced.coerced);
      const resolve = plan.field.resolve;
      if (resolve) {
        const info = resolveInfo(this.schema, plan, this.subscriptionType, responseKey, coerced.coerced);
        await resolve(undefined, args, request.context, info);
      }
    } catch (err) {
      return { ok: false, phase: 'field', errors: [locatedError(err, plan.nodes, [responseKey])] };
    }

    let index = this.indexes.get(plan.fieldName);
    if (!index) this.indexes.set(plan.fieldName, (index = new FilterIndex<Entry>()));
    const entry: Entry = { plan, filter: filterOf(args), sink, index, closed: false };
    index.add(entry.filter, entry);
    return {
      ok: true,
      subscription: {
        field: plan.fieldName,
        close: () => {
          if (entry.closed) return;
          entry.closed = true;
          entry.index.remove(entry.filter, entry);
        },
      },
    };
  }

  /**
   * A mutation field completed with this payload (its result as the caller selected it,
   * serialized). Fan-out happens after the current I/O turn, so the mutation's own response is
   * never held up by its subscribers.
   */
  publishMutation(mutationField: string, payload: unknown): void {
    if (payload == null || !this.mapping.has(mutationField)) return;
    this.enqueue({ o: this.deps.origin, m: mutationField, p: payload, t: Date.now() });
  }

  /** Publishes straight to a subscription field (domain events with no mutation, e.g. presence). */
  publish(subscriptionField: string, payload: unknown): void {
    if (payload == null) return;
    this.enqueue({ o: this.deps.origin, s: subscriptionField, p: payload, t: Date.now() });
  }

  private enqueue(envelope: Envelope): void {
    this.counters.published++;
    this.pending.push(envelope);
    if (this.pending.length === 1) setImmediate(this.flush);
  }

  private readonly flush = () => {
    const batch = this.pending;
    this.pending = [];
    for (const envelope of batch) {
      this.route(envelope);
      this.send(envelope);
    }
  };

  private route(envelope: Envelope): void {
    if (typeof envelope.s === 'string') this.dispatched(envelope, envelope.s, this.dispatch(envelope.s, envelope.p));
    else if (typeof envelope.m === 'string') {
      for (const field of this.mapping.get(envelope.m) ?? []) this.dispatched(envelope, field, this.dispatch(field, envelope.p));
    }
  }

  private dispatched(envelope: Envelope, field: string, delivered: number): void {
    if (delivered === 0 || !this.deps.onDispatch || typeof envelope.t !== 'number') return;
    this.deps.onDispatch(field, delivered, Math.max(0, Date.now() - envelope.t) / 1000);
  }

  private send(envelope: Envelope): void {
    const bus = this.deps.bus;
    if (!bus) return;
    bus.publish(this.channel, JSON.stringify(envelope)).catch((err: unknown) => {
      this.deps.log.warn({ err }, 'realtime event not sent to the other replicas');
    });
  }

  private onBusMessage(message: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch {
      return;
    }
    if (!envelope || envelope.o === this.deps.origin) return;
    this.counters.received++;
    this.route(envelope);
  }

  /** Fan-out: each matching subscriber gets its projection; one rendering per distinct plan per event. Returns how many got it. */
  private dispatch(field: string, payload: unknown): number {
    const index = this.indexes.get(field);
    if (!index || index.size === 0 || typeof payload !== 'object' || payload === null) return 0;
    let delivered = 0;
    // Usually every match shares one plan (same query text): render once, no map.
    let firstPlan: Plan | undefined;
    let firstJson = '';
    let others: Map<Plan, string> | undefined;
    index.forEachMatch(payload as Record<string, unknown>, (entry) => {
      let json: string | undefined;
      if (entry.plan === firstPlan) json = firstJson;
      else if (firstPlan === undefined) {
        firstPlan = entry.plan;
        json = firstJson = render(entry.plan, payload);
      } else {
        json = (others ??= new Map()).get(entry.plan);
        if (json === undefined) others.set(entry.plan, (json = render(entry.plan, payload)));
      }
      this.counters.delivered++;
      delivered++;
      try {
        entry.sink.deliver(json);
      } catch (err) {
        this.deps.log.warn({ err, field }, 'subscription sink failed');
      }
    });
    return delivered;
  }

  private planFor(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    caller: Caller,
    variables: Record<string, unknown>,
  ): Plan | undefined {
    const cacheKey = `${operation.name?.value ?? ''}|${callerClass(caller)}`;
    let perDocument = this.plans.get(document);
    const cached = perDocument?.get(cacheKey);
    if (cached) return cached;

    const fragments = fragmentsOf(document);
    const nodes = rootFields(operation.selectionSet, fragments);
    if (nodes.length === 0) return undefined;
    const fieldName = nodes[0].name.value;
    const field = this.subscriptionType?.getFields()[fieldName];
    if (!field) return undefined;
    const responseKey = nodes[0].alias?.value ?? fieldName;
    const sets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
    const { project, reusable } = compileProjection(field.type, sets, [responseKey], {
      schema: this.schema,
      serialize: false,
      caller,
      fragments,
      variables,
    });
    const plan: Plan = { field, fieldName, nodes, operation, fragments, dataPrefix: `{${JSON.stringify(responseKey)}:`, project };
    if (reusable) {
      if (!perDocument) this.plans.set(document, (perDocument = new Map()));
      perDocument.set(cacheKey, plan);
    }
    return plan;
  }
}

/** `{"data":{"<key>":<projection>}}`, with AppSync-shaped errors when a field failed. */
function render(plan: Plan, payload: unknown): string {
  const errors: ProjectionError[] = [];
  const value = plan.project(payload, errors);
  // A bubbled null stops at the root field when it is nullable, else nulls `data`.
  const data =
    value !== BUBBLE ? `${plan.dataPrefix}${JSON.stringify(value)}}` : isNonNullType(plan.field.type) ? 'null' : `${plan.dataPrefix}null}`;
  if (errors.length === 0) return `{"data":${data}}`;
  const wire = errors.map((e) => ({
    path: e.path,
    data: null,
    errorType: e.errorType,
    errorInfo: null,
    locations: e.locations,
    message: e.message,
  }));
  return `{"data":${data},"errors":${JSON.stringify(wire)}}`;
}

/** Fields only matter through the auth directives, which depend on the mode and the groups. */
function callerClass(caller: Caller): string {
  return caller.mode === 'API_KEY' ? 'K' : `U:${caller.principal.groups.join(',')}`;
}

function pickOperation(document: DocumentNode, name: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (name === undefined) return operations.length === 1 ? operations[0] : undefined;
  return operations.find((o) => o.name?.value === name);
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const out: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out[d.name.value] = d;
  return out;
}

/** The root field nodes (one response key: validation allows a single root field). */
function rootFields(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>): FieldNode[] {
  const out: FieldNode[] = [];
  const walk = (s: SelectionSetNode, seen: Set<string>) => {
    for (const sel of s.selections) {
      if (sel.kind === Kind.FIELD) {
        if (out.length === 0 || (out[0].alias?.value ?? out[0].name.value) === (sel.alias?.value ?? sel.name.value)) out.push(sel);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, seen);
      } else if (!seen.has(sel.name.value) && fragments[sel.name.value]) {
        seen.add(sel.name.value);
        walk(fragments[sel.name.value].selectionSet, seen);
      }
    }
  };
  walk(set, new Set());
  return out;
}

function resolveInfo(
  schema: GraphQLSchema,
  plan: Plan,
  parentType: GraphQLObjectType,
  responseKey: string,
  variableValues: Record<string, unknown>,
): GraphQLResolveInfo {
  return {
    fieldName: plan.fieldName,
    fieldNodes: plan.nodes,
    returnType: plan.field.type,
    parentType,
    path: { prev: undefined, key: responseKey, typename: parentType.name },
    schema,
    fragments: plan.fragments,
    rootValue: undefined,
    operation: plan.operation,
    variableValues,
  };
}
