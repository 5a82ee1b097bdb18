import {
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationTypeNode,
  type ValidationRule,
} from 'graphql';
import type { Executable } from './executor.ts';
import { validationMessage } from './validation.ts';

/** A request error in AppSync's validation shape (no errorType, `path: null`). */
export interface RequestError {
  path: null;
  locations: Array<{ line: number; column: number; sourceName: null }> | null;
  message: string;
}

export type Prepared =
  | {
      ok: true;
      schema: GraphQLSchema;
      document: DocumentNode;
      /** Execution plans, compiled on first use (see executor.ts). */
      plans?: Executable['plans'];
      /** Operation kinds by name (`null` = the anonymous operation). */
      operations: Map<string | null, OperationTypeNode>;
      /** Metrics label of each operation: its one root field, or `multiple`. */
      rootFields: Map<string | null, string>;
    }
  | {
      ok: false;
      /** The complete response body, serialised once: `{"data":null,"errors":[...]}`. */
      body: string;
      errorCount: number;
    };

export const locationsOf = (error: GraphQLError) =>
  error.locations?.map((l) => ({ line: l.line, column: l.column, sourceName: null })) ?? null;

export function requestErrorsBody(errors: RequestError[]): string {
  return JSON.stringify({ data: null, errors });
}

/**
 * Parse + validate, once per distinct query text: an LRU keyed by the text keeps both accepted
 * documents and the rendered rejection of refused ones, so neither is redone per request.
 * Very long texts are not kept (1000 entries of 1 MB each would be a memory hazard).
 */
export class DocumentCache {
  private readonly entries = new Map<string, Prepared>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: ValidationRule[],
    private readonly options: { size: number; maxTokens: number; maxCachedLength?: number },
  ) {}

  get(query: string): Prepared {
    const hit = this.entries.get(query);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order, so the first key is the LRU.
      this.entries.delete(query);
      this.entries.set(query, hit);
      return hit;
    }
    const prepared = this.prepare(query);
    if (this.options.size > 0 && query.length <= (this.options.maxCachedLength ?? 20_000)) {
      if (this.entries.size >= this.options.size) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(query, prepared);
    }
    return prepared;
  }

  get size(): number {
    return this.entries.size;
  }

  private prepare(query: string): Prepared {
    let document: DocumentNode;
    try {
      document = parse(query, { maxLexicalTokens: this.options.maxTokens, noLocation: false });
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      return rejected([{ path: null, locations: locationsOf(err), message: validationMessage(err) }]);
    }
    const errors = validate(this.schema, document, this.rules);
    if (errors.length > 0) {
      return rejected(errors.map((e) => ({ path: null, locations: locationsOf(e), message: validationMessage(e, document) })));
    }
    const operations = new Map<string | null, OperationTypeNode>();
    const rootFields = new Map<string | null, string>();
    for (const def of document.definitions) {
      if (def.kind !== Kind.OPERATION_DEFINITION) continue;
      operations.set(def.name?.value ?? null, def.operation);
      // Named by the schema's own fields (a bounded set), never by client-chosen operation names.
      const fields = new Set<string>();
      for (const sel of def.selectionSet.selections) {
        if (sel.kind !== Kind.FIELD) fields.add('multiple');
        else if (sel.name.value !== '__typename') fields.add(sel.name.value);
      }
      rootFields.set(def.name?.value ?? null, fields.size === 1 ? [...fields][0] : fields.size === 0 ? '__typename' : 'multiple');
    }
    return { ok: true, schema: this.schema, document, operations, rootFields };
  }
}

const rejected = (errors: RequestError[]): Prepared => ({ ok: false, body: requestErrorsBody(errors), errorCount: errors.length });
