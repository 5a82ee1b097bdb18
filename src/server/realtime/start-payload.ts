/** The `start` message's payload (appsync.md §2.3), parsed and checked; anything malformed reads as undefined. */

export interface StartRequest {
  query: string;
  variables: Record<string, unknown> | null | undefined;
  operationName: string | undefined;
  authorization: unknown;
}

/** `payload.data` is a JSON *string* holding {query, variables, operationName?}. */
export function parseStartPayload(payload: unknown): StartRequest | undefined {
  if (!isObject(payload) || typeof payload.data !== 'string') return undefined;
  let inner: unknown;
  try {
    inner = JSON.parse(payload.data);
  } catch {
    return undefined;
  }
  if (!isObject(inner) || typeof inner.query !== 'string' || inner.query.trim() === '') return undefined;
  const { variables, operationName } = inner;
  if (variables !== undefined && variables !== null && (!isObject(variables) || Array.isArray(variables))) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  const extensions = isObject(payload.extensions) ? payload.extensions : undefined;
  return {
    query: inner.query,
    variables: variables as Record<string, unknown> | null | undefined,
    operationName: (operationName ?? undefined) as string | undefined,
    authorization: extensions?.authorization,
  };
}

/** A non-null object (arrays included). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
