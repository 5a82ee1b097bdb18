import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execute, parse, type ExecutionResult } from 'graphql';
import { buildExecutableSchema, schemaSource } from '../../src/api/executable-schema.ts';
import { defineOperation } from '../../src/api/operation.ts';
import { operations } from '../../src/api/registry.ts';
import { configSchema } from '../../src/config/schema.ts';
import { AppError } from '../../src/domain/errors.ts';
import type { UsersService } from '../../src/domain/users/users-service.ts';
import { executeDocument, type Executable } from '../../src/server/graphql/executor.ts';

/**
 * The planned executor must give exactly graphql-js's results: a corpus of documents (nesting,
 * lists, promises, errors at every level, null bubbling, aliases, merging, fragments, variables,
 * defaults, auth-wrapped fields, mutations in order, and cases that fall back) runs through both.
 */
const SDL = `${schemaSource()}
enum Color { RED GREEN }
type Item @aws_api_key @aws_cognito_user_pools {
  id: ID! n: Int color: Color child: Item kids: [Item!] maybe: [Item] strict: String! secret: String @aws_cognito_user_pools
  when: AWSDateTime bad: AWSDateTime tags(prefix: String = "t"): [String!]!
}
input Filter { ids: [ID!] min: Int = 3 }
interface Node { id: ID! }
type Thing implements Node @aws_api_key @aws_cognito_user_pools { id: ID! }
extend type Query {
  item(id: ID!): Item @aws_api_key @aws_cognito_user_pools
  items(filter: Filter, limit: Int = 2): [Item!]! @aws_api_key @aws_cognito_user_pools
  loose: [Item] @aws_api_key @aws_cognito_user_pools
  boom: Item @aws_api_key @aws_cognito_user_pools
  boomStrict: Item! @aws_api_key @aws_cognito_user_pools
  notList: [Item] @aws_api_key @aws_cognito_user_pools
  node: Node @aws_api_key @aws_cognito_user_pools
}
extend type Mutation { push(v: String!): [String!]! @aws_api_key @aws_cognito_user_pools }
`;

function makeItem(id: string, depth = 0): Record<string, unknown> {
  return {
    id,
    n: id.includes('e') ? () => { throw new AppError('BadRequestException', `bad n ${id}`); } : id.length,
    color: id.includes('g') ? 'GREEN' : 'RED',
    when: '2026-01-01T00:00:00Z',
    bad: 'yesterday',
    strict: id.includes('x') ? null : `s${id}`,
    secret: 'sec',
    child: () => (depth < 3 ? Promise.resolve(makeItem(`${id}c`, depth + 1)) : null),
    kids: () => [makeItem(`${id}1`, depth + 1), Promise.resolve(makeItem(`${id}2`, depth + 1)), id.includes('k') ? null : makeItem(`${id}3`, depth + 1)],
    maybe: [null, makeItem(`${id}m`, depth + 1), Promise.reject(new AppError('BadRequestException', 'nope'))],
    tags: (args: { prefix: string }) => [`${args.prefix}1`, `${args.prefix}2`],
  };
}

let pushed: string[] = [];
const op = (type: 'Query' | 'Mutation', field: string, fn: (args: never) => unknown) =>
  defineOperation({ type, field, uses: [], resolver: () => fn });
const schema = buildExecutableSchema(
  { users: {} as UsersService, limits: configSchema.parse({}).limits },
  {
    sdl: SDL,
    operations: [
      ...operations,
      op('Query', 'item', (a: { id: string }) => (a.id.includes('p') ? Promise.resolve(makeItem(a.id)) : makeItem(a.id))),
      op('Query', 'items', (a: { filter?: { ids?: string[]; min: number }; limit: number }) =>
        (a.filter?.ids ?? ['a', 'b', 'c']).slice(0, a.limit).map((id) => makeItem(`${id}${a.filter?.min ?? 0}`)),
      ),
      op('Query', 'loose', () => Promise.resolve([makeItem('l1'), null, makeItem('lx')])),
      op('Query', 'boom', () => Promise.reject(new Error('internal'))),
      op('Query', 'boomStrict', () => null),
      op('Query', 'notList', () => 5),
      op('Query', 'node', () => ({ __typename: 'Thing', id: 'th' })),
      op('Mutation', 'push', async (a: { v: string }) => {
        await new Promise((r) => setTimeout(r, a.v === '1' ? 5 : 0));
        pushed = [...pushed, a.v];
        return pushed;
      }),
    ],
  },
);

const FULL = 'id n color when strict secret tags';
const corpus: Array<[string, Record<string, unknown>?]> = [
  ['{ item(id: "a") { id n color when } }'],
  ['{ item(id: "p1") { id child { id child { id child { id child { id } } } } } }'],
  [`{ item(id: "a") { ${FULL} kids { id strict } maybe { id } } }`],
  ['{ item(id: "ax") { id strict } }'], // non-null violation bubbles to item
  ['{ item(id: "ak") { id kids { id } } }'], // null in [Item!] bubbles to kids
  ['{ item(id: "ae") { id n child { n } kids { n } } }'], // AppError in scalars
  ['{ item(id: "a") { bad } }'], // scalar serialisation error
  ['{ loose { id strict } }'],
  ['{ boom { id } x: item(id: "a") { id } }'],
  ['{ boomStrict { id } x: item(id: "a") { id } }'], // root non-null -> data null
  ['{ notList { id } }'],
  ['{ a: item(id: "a") { id } b: item(id: "b") { i: id, id, n } a2: item(id: "a") { n } }'],
  ['{ item(id: "a") { id child { id } child { n color } } }'], // merged selections
  ['{ item(id: "a") { ...F ... on Item { color } ... { n } } } fragment F on Item { id child { ...G } } fragment G on Item { id strict }'],
  ['{ __typename item(id: "a") { __typename id } }'],
  ['query Q($id: ID!, $f: Filter, $l: Int) { item(id: $id) { id } items(filter: $f, limit: $l) { id n } }', { id: 'pz', f: { ids: ['q', 'r', 's'] }, l: 3 }],
  ['query Q($f: Filter) { items(filter: $f) { id } }', { f: { ids: ['q'], min: 9 } }],
  ['{ items { id tags tags2: tags(prefix: "x") } }'],
  ['query Q($id: ID!) { item(id: $id) { id } }', {}], // variable error
  ['query Q($id: ID!) { item(id: $id) { id } }', { id: ['x'] }],
  ['{ item(id: "a") { id ... @include(if: false) { n } } }'], // fallback: directives
  ['query Q($s: Boolean!) { item(id: "a") { id n @skip(if: $s) } }', { s: true }],
  ['{ node { id ... on Thing { id } __typename } }'], // fallback: abstract type
  ['{ me { userId } }'], // auth wrapper, resolver never reached for API key
];

function normalise(r: ExecutionResult) {
  return JSON.parse(
    JSON.stringify({
      data: r.data,
      errors: r.errors?.map((e) => ({
        message: e.message,
        path: e.path,
        locations: e.locations,
        code: (e.originalError as { code?: string } | undefined)?.code,
      })),
    }),
  );
}

describe('planned executor', () => {
  for (const caller of [{ mode: 'API_KEY' }, { mode: 'AMAZON_COGNITO_USER_POOLS', principal: { sub: 'u', username: 'u', groups: [], tokenUse: 'access', claims: {} } }]) {
    test(`matches graphql-js on the corpus (${caller.mode})`, async () => {
      let planned = 0;
      for (const [query, variables] of corpus) {
        const document = parse(query);
        const target: Executable = { schema, document };
        const ours = normalise(await executeDocument(target, { caller }, variables, undefined));
        const theirs = normalise(await execute({ schema, document, contextValue: { caller }, variableValues: variables }));
        assert.deepEqual(ours, theirs, query);
        // Second run uses the cached plan.
        assert.deepEqual(normalise(await executeDocument(target, { caller }, variables, undefined)), theirs, query);
        if (target.plans?.get(null) !== false) planned++;
      }
      assert.ok(planned >= corpus.length - 3, `only ${planned} documents took the planned path`);
    });
  }

  test('mutations run their root fields in order', async () => {
    const document = parse('mutation { a: push(v: "1") b: push(v: "2") c: push(v: "3") }');
    pushed = [];
    const ours = normalise(await executeDocument({ schema, document }, { caller: { mode: 'API_KEY' } }, undefined, undefined));
    pushed = [];
    const theirs = normalise(await execute({ schema, document, contextValue: { caller: { mode: 'API_KEY' } } }));
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours.data, { a: ['1'], b: ['1', '2'], c: ['1', '2', '3'] });
  });

  test('operationName selects among several operations', async () => {
    const document = parse('query A { item(id: "a") { id } } query B { item(id: "b") { id } }');
    const target: Executable = { schema, document };
    for (const name of ['A', 'B', undefined, 'C']) {
      const ours = normalise(await executeDocument(target, { caller: { mode: 'API_KEY' } }, undefined, name));
      const theirs = normalise(await execute({ schema, document, contextValue: { caller: { mode: 'API_KEY' } }, operationName: name }));
      assert.deepEqual(ours, theirs, String(name));
    }
  });
});
