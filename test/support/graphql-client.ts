import assert from 'node:assert/strict';

/** Where and how to call: the server's GraphQL URL and API key (read lazily: servers start in `before`). */
export type GraphqlTarget = () => { url: string; apiKey: string };

/**
 * The e2e tests' GraphQL caller: `auth` is 'key' (the API key) or the name of a user whose token is
 * in `tokens`. `data` asserts there were no errors and returns `data`.
 */
export function graphqlCaller<J extends { data?: unknown; errors?: unknown } = { data?: Record<string, unknown> | null; errors?: unknown[] }>(
  target: GraphqlTarget,
  tokens: Record<string, string>,
) {
  const gql = async (query: string, variables: Record<string, unknown> | null, auth: string): Promise<{ status: number; json: J }> => {
    const { url, apiKey } = target();
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
    if (auth === 'key') headers['x-api-key'] = apiKey;
    else headers.authorization = tokens[auth];
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, json: (await res.json()) as J };
  };
  const data = async (query: string, variables: Record<string, unknown> | null, auth: string): Promise<NonNullable<J['data']>> => {
    const r = await gql(query, variables, auth);
    assert.equal(r.json.errors, undefined, JSON.stringify(r.json.errors));
    return r.json.data as NonNullable<J['data']>;
  };
  return { gql, data };
}
