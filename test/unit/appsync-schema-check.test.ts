/**
 * The AppSync schema check (src/api/appsync/schema-check.ts): each construct AppSync rejects or
 * rewrites is flagged, with its rule, severity and position, in a small SDL; the schema this
 * project deploys (src/api/schema.graphql) passes with no problem at all.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  APPSYNC_SCHEMA_RULES,
  checkAppSyncSchema,
  formatSchemaProblem,
  hasErrors,
  type SchemaProblem,
  type SchemaRule,
} from '../../src/api/appsync/schema-check.ts';

const QUERY = 'type Query { ping: String }\n';

/** Problems as `rule@line:column`, to compare in one assertion. */
const where = (problems: SchemaProblem[]) => problems.map((p) => `${p.rule}@${p.line}:${p.column}`);
const only = (sdl: string, rule: SchemaRule) => checkAppSyncSchema(sdl).filter((p) => p.rule === rule);

describe('the AppSync schema check', () => {
  test('the deployed schema (src/api/schema.graphql) has no problem, not even a warning', () => {
    const sdl = readFileSync(new URL('../../src/api/schema.graphql', import.meta.url), 'utf8');
    assert.deepEqual(checkAppSyncSchema(sdl), []);
  });

  test('a plain AppSync schema (auth directives, AWS scalars, @aws_subscribe, one-line descriptions) passes', () => {
    const sdl = `
"A thing."
type Thing @aws_api_key @aws_cognito_user_pools {
  "Its id."
  id: ID!
  at: AWSDateTime
  old: String @deprecated(reason: "use at")
}
"Colours: RED is warm, BLUE is not."
enum Colour {
  RED
  BLUE
}
# A comment outside an enum mentioning null is fine (aws/aws-appsync-community#410).
type Query { thing(id: ID!): Thing @aws_api_key }
type Mutation { put(id: ID!, colour: Colour): Thing @aws_cognito_user_pools(cognito_groups: ["admin"]) }
type Subscription { onPut(id: ID): Thing @aws_subscribe(mutations: ["put"]) }
`;
    assert.deepEqual(checkAppSyncSchema(sdl), []);
  });

  test('descriptions on enum values are errors at the description', () => {
    const sdl = `${QUERY}enum Kind {\n  "first"\n  A\n  """second"""\n  B\n}\n`;
    const problems = only(sdl, 'enum-value-description');
    assert.deepEqual(where(problems), ['enum-value-description@3:3', 'enum-value-description@5:3']);
    assert.ok(problems.every((p) => p.severity === 'error'));
    assert.match(problems[0].message, /enum value A .*enum's own description/);
    // The block string is also reported as such.
    assert.deepEqual(where(only(sdl, 'block-string-description')), ['block-string-description@5:3']);
  });

  test('a # comment inside an enum: an error when it contains null, true or false, else a warning', () => {
    const sdl = `${QUERY}enum Kind {\n  # returns null when unknown\n  A\n  # is it true?\n  B\n  # plain words\n  C\n  # nullable is not a literal\n  D\n}\n`;
    const problems = checkAppSyncSchema(sdl);
    assert.deepEqual(where(problems), ['enum-comment-literal@3:3', 'enum-comment-literal@5:3', 'enum-comment@7:3', 'enum-comment@9:3']);
    assert.deepEqual(
      problems.map((p) => p.severity),
      ['error', 'error', 'warning', 'warning'],
    );
    assert.match(problems[0].message, /contains "null"/);
    assert.ok(hasErrors(problems));
    // Comments before a field or a type stay legal.
    assert.deepEqual(checkAppSyncSchema(`# null true false\ntype Query {\n  # null\n  a: String\n}\n`), []);
  });

  test('block-string descriptions are warnings (AppSync accepts them only in later reports)', () => {
    const sdl = `"""\nA type.\n"""\ntype Query {\n  """one line"""\n  a: String\n}\n`;
    const problems = checkAppSyncSchema(sdl);
    assert.deepEqual(where(problems), ['block-string-description@1:1', 'block-string-description@5:3']);
    assert.ok(problems.every((p) => p.severity === 'warning'));
    assert.equal(hasErrors(problems), false, 'warnings alone do not block a push');
  });

  test('"&" between implemented interfaces is a warning at the ampersand; "," is fine', () => {
    const base = `${QUERY}interface A { id: ID! }\ninterface B { id: ID! }\n`;
    assert.deepEqual(where(checkAppSyncSchema(`${base}type T implements A & B { id: ID! }\n`)), ['interface-ampersand@4:21']);
    // AppSync's own printing (graphql-js 16 alone would call it a syntax error), a comment in between too.
    assert.deepEqual(checkAppSyncSchema(`${base}type T implements A, B { id: ID! }\n`), []);
    assert.deepEqual(checkAppSyncSchema(`${base}type T implements A # x, y\n, B { id: ID! }\n`), []);
    // Only after `type Name implements`: an enum value called "implements" keeps its commas.
    assert.deepEqual(checkAppSyncSchema(`${QUERY}enum E { implements, A, B }\n`), []);
  });

  test('directive definitions are errors, even of AppSync\'s own directives', () => {
    const sdl = `directive @aws_api_key on FIELD_DEFINITION | OBJECT\ndirective @mine on FIELD_DEFINITION\n${QUERY}`;
    const problems = checkAppSyncSchema(sdl);
    assert.deepEqual(where(problems), ['directive-definition@1:1', 'directive-definition@2:1']);
    assert.match(problems[0].message, /@aws_api_key/);
  });

  test('declaring an AWS scalar is a duplicate; any other custom scalar is unsupported', () => {
    const problems = checkAppSyncSchema(`scalar AWSDateTime\nscalar Long\ntype Query { a: AWSDateTime, b: Long }\n`);
    assert.deepEqual(where(problems), ['aws-scalar-redefined@1:1', 'custom-scalar@2:1']);
    assert.match(problems[1].message, /scalar Long/);
  });

  test('directives AppSync does not know are errors at the directive; @deprecated on an enum value is a warning', () => {
    const problems = checkAppSyncSchema(`type Query {\n  a: String @cacheControl(maxAge: 30)\n  b: String @aws_iam\n}\nenum E {\n  A @deprecated\n  B\n}\n`);
    assert.deepEqual(where(problems), ['unknown-directive@2:13', 'enum-value-directive@6:5']);
    assert.equal(problems[0].severity, 'error');
    assert.equal(problems[1].severity, 'warning');
  });

  test('type extensions are errors', () => {
    const problems = checkAppSyncSchema(`${QUERY}extend type Query { more: String }\n`);
    assert.deepEqual(where(problems), ['type-extension@2:1']);
  });

  test('syntax errors and invalid schemas are errors with their position', () => {
    const syntax = checkAppSyncSchema('type Query {\n  a: \n}\n');
    assert.deepEqual(where(syntax), ['syntax@3:1']);
    assert.doesNotMatch(syntax[0].message, /^Syntax Error/);

    const unknownType = checkAppSyncSchema('type Query {\n  a: Missing\n}\n');
    assert.deepEqual(where(unknownType), ['invalid-schema@2:6']);
    assert.match(unknownType[0].message, /Unknown type "Missing"/);

    assert.match(checkAppSyncSchema('type Thing { a: String }\n')[0].message, /Query root type must be provided/);
    // AppSync's directives are known to the validation: their argument names are checked too.
    const badArgument = checkAppSyncSchema('type Query { a: String @aws_subscribe(topics: ["x"]) }\n');
    assert.deepEqual(where(badArgument), ['invalid-schema@1:39']);
    assert.match(badArgument[0].message, /Unknown argument "topics" on directive "@aws_subscribe"/);
    assert.match(checkAppSyncSchema(`${QUERY}${QUERY}`)[0].message, /only one type named "Query"/);
  });

  test('problems come sorted by position and print compiler-style; every rule cites a source', () => {
    const problems = checkAppSyncSchema(`scalar Long\n${QUERY}enum E {\n  "d"\n  A\n}\n`);
    assert.deepEqual(where(problems), ['custom-scalar@1:1', 'enum-value-description@4:3']);
    assert.equal(formatSchemaProblem(problems[1], 'schema.graphql'), `schema.graphql:4:3 error enum-value-description: ${problems[1].message}`);
    for (const [rule, info] of Object.entries(APPSYNC_SCHEMA_RULES)) assert.ok(info.source.length > 10, rule);
  });
});
