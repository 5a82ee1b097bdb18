/**
 * What AppSync accepts in a schema, checked before `biilive schema push` sends one: a pure check
 * of an SDL string that returns every problem with its line and column. An `error` is something
 * AppSync rejects (or silently changes in a way that breaks the contract); a `warning` is
 * something public reports disagree on, or that AppSync accepts but rewrites. AppSync publishes
 * no grammar of its dialect, so each rule cites the public thread it rests on (APPSYNC_SCHEMA_RULES).
 * Not checked: a size limit (none documented for StartSchemaCreation; CloudFormation's 1 MB
 * template limit applies only to inline definitions, aws-amplify/amplify-category-api#2153).
 */
import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  buildASTSchema,
  parse,
  validateSchema,
  visit,
  type ASTNode,
  type DefinitionNode,
  type DocumentNode,
  type Token,
} from 'graphql';
import { validateSDL } from 'graphql/validation/validate.js';
import { APPSYNC_PRELUDE, APPSYNC_SCALARS } from './prelude.ts';

export type Severity = 'error' | 'warning';

export type SchemaRule =
  | 'syntax'
  | 'invalid-schema'
  | 'enum-value-description'
  | 'enum-comment-literal'
  | 'enum-comment'
  | 'enum-value-directive'
  | 'block-string-description'
  | 'interface-ampersand'
  | 'directive-definition'
  | 'aws-scalar-redefined'
  | 'custom-scalar'
  | 'unknown-directive'
  | 'type-extension';

export interface SchemaProblem {
  rule: SchemaRule;
  severity: Severity;
  /** 1-based, in the checked SDL. */
  line: number;
  column: number;
  message: string;
}

/** Every rule, its severity and the public source it rests on. */
export const APPSYNC_SCHEMA_RULES: Record<SchemaRule, { severity: Severity; summary: string; source: string }> = {
  syntax: {
    severity: 'error',
    summary: 'the SDL must parse',
    source: 'GraphQL spec; AppSync answers "Failed to parse schema document" (aws/aws-appsync-community#38)',
  },
  'invalid-schema': {
    severity: 'error',
    summary: 'the SDL must be a valid schema over AppSync\'s own scalars and directives (known types, one definition each, a Query type)',
    source: 'GraphQL spec; AppSync answers "Schema has the following errors" (sid88in/serverless-appsync-plugin#480)',
  },
  'enum-value-description': {
    severity: 'error',
    summary: 'descriptions are permitted on the enum declaration only, not on its values',
    source: 'aws/aws-appsync-community#55 (an AppSync engineer, 2019; still open)',
  },
  'enum-comment-literal': {
    severity: 'error',
    summary: 'a # comment before an enum value containing null, true or false fails schema creation',
    source: 'aws/aws-appsync-community#410 (2026): "Failed to parse schema document"',
  },
  'enum-comment': {
    severity: 'warning',
    summary: '# comments inside an enum are dropped at best and have broken the parser',
    source: 'aws/aws-appsync-community#55 (2021 comments); sid88in/serverless-appsync-plugin doc/general-config.md and #453',
  },
  'enum-value-directive': {
    severity: 'warning',
    summary: 'AppSync strips directives (e.g. @deprecated) from enum values',
    source: 'aws-amplify/amplify-cli#1612',
  },
  'block-string-description': {
    severity: 'warning',
    summary: 'block-string (""") descriptions were rejected for years; later reports say they are accepted but dropped; use one-line "..." descriptions',
    source: 'aws/aws-appsync-community#38; sid88in/serverless-appsync-plugin#317, #340, #453',
  },
  'interface-ampersand': {
    severity: 'warning',
    summary: 'AppSync joins implemented interfaces with "," (older versions rejected "&"); the check accepts "," and warns on "&"',
    source: 'sid88in/serverless-appsync-plugin#340, #453',
  },
  'directive-definition': {
    severity: 'error',
    summary: 'AppSync rejects directive definitions ("Directive definitions are not supported."); its own directives are implicit',
    source: 'awslabs/graphql-schema-utilities#25',
  },
  'aws-scalar-redefined': {
    severity: 'error',
    summary: 'AppSync declares its AWS* scalars itself; declaring one again is a duplicate type',
    source: 'sid88in/serverless-appsync-plugin#480 ("Schema contains duplicate type names")',
  },
  'custom-scalar': {
    severity: 'error',
    summary: 'AppSync has no custom scalars: only the GraphQL and AWS* scalars',
    source: 'aws/aws-appsync-community#26 (open feature request); aws-amplify/amplify-cli#11387 ("Schema defines an unsupported scalar")',
  },
  'unknown-directive': {
    severity: 'error',
    summary: 'AppSync supports no custom directives, only its own (@aws_*, merged-API ones) and @deprecated',
    source: 'aws-amplify/amplify-cli#4229 (AppSync team); aws-amplify/amplify-cli#1612 (@deprecated)',
  },
  'type-extension': {
    severity: 'error',
    summary: 'AppSync does not support type extensions (extend type ...); merge them into the definitions',
    source: 'sid88in/serverless-appsync-plugin src/resources/Schema.ts (merges extensions because AppSync rejects them)',
  },
};

/** Directives AppSync knows: auth, subscriptions, merged APIs (@canonical, @hidden, @renamed), @deprecated. */
export const APPSYNC_DIRECTIVES: readonly string[] = [
  'aws_api_key',
  'aws_iam',
  'aws_oidc',
  'aws_lambda',
  'aws_cognito_user_pools',
  'aws_auth',
  'aws_subscribe',
  'canonical',
  'hidden',
  'renamed',
  'deprecated',
];

const BUILT_IN_SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);
const AWS_SCALARS = new Set<string>(APPSYNC_SCALARS);
const KNOWN_DIRECTIVES = new Set(APPSYNC_DIRECTIVES);
const GRAPHQL_LITERAL = /\b(null|true|false)\b/;
const EXTENSION_KINDS = new Set<string>([
  Kind.SCHEMA_EXTENSION,
  Kind.SCALAR_TYPE_EXTENSION,
  Kind.OBJECT_TYPE_EXTENSION,
  Kind.INTERFACE_TYPE_EXTENSION,
  Kind.UNION_TYPE_EXTENSION,
  Kind.ENUM_TYPE_EXTENSION,
  Kind.INPUT_OBJECT_TYPE_EXTENSION,
]);

/** Checks an SDL against what AppSync accepts; problems sorted by position. */
export function checkAppSyncSchema(sdl: string): SchemaProblem[] {
  const normalised = withAmpersandInterfaces(sdl);
  const source = new Source(normalised.text, 'schema.graphql');
  let document: DocumentNode;
  try {
    document = parse(source);
  } catch (err) {
    return [fromGraphQLError('syntax', err as GraphQLError)];
  }
  const problems: SchemaProblem[] = [];
  const report = (rule: SchemaRule, at: { line: number; column: number }, message: string) =>
    problems.push({ rule, severity: APPSYNC_SCHEMA_RULES[rule].severity, line: at.line, column: at.column, message });

  checkDefinitions(document, report);
  checkDescriptionsAndDirectives(document, report);
  checkTokens(document, normalised.commas, report);
  for (const err of validate(document)) problems.push(fromGraphQLError('invalid-schema', err));
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** True when AppSync would reject the schema (warnings alone do not count). */
export function hasErrors(problems: readonly SchemaProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** One line per problem, compiler style: `file:line:column severity rule: message`. */
export function formatSchemaProblem(problem: SchemaProblem, file: string): string {
  return `${file}:${problem.line}:${problem.column} ${problem.severity} ${problem.rule}: ${problem.message}`;
}

type Report = (rule: SchemaRule, at: { line: number; column: number }, message: string) => void;

function checkDefinitions(document: DocumentNode, report: Report): void {
  for (const def of document.definitions) {
    const at = start(def);
    if (def.kind === Kind.DIRECTIVE_DEFINITION) {
      report('directive-definition', at, `directive @${def.name.value} is defined here; AppSync accepts no directive definitions`);
    } else if (def.kind === Kind.SCALAR_TYPE_DEFINITION) {
      const name = def.name.value;
      if (AWS_SCALARS.has(name)) report('aws-scalar-redefined', at, `scalar ${name} is AppSync's own; remove the declaration`);
      else if (!BUILT_IN_SCALARS.has(name)) report('custom-scalar', at, `scalar ${name}: AppSync supports no custom scalars (use String or AWSJSON)`);
    } else if (EXTENSION_KINDS.has(def.kind)) {
      const name = 'name' in def && def.name ? ` ${def.name.value}` : '';
      report('type-extension', at, `extension${name}: AppSync does not support extensions; merge it into the definition`);
    }
  }
}

function checkDescriptionsAndDirectives(document: DocumentNode, report: Report): void {
  // One generic visitor: graphql-js would skip `enter` for kinds that have their own entry.
  visit(document, {
    enter(node) {
      if ('description' in node && node.description?.block) {
        report('block-string-description', start(node.description), 'block-string (""") description; write it as one "..." line');
      }
      if (node.kind === Kind.ENUM_VALUE_DEFINITION) {
        if (node.description) {
          report('enum-value-description', start(node.description), `enum value ${node.name.value} has a description; move it into the enum's own description`);
        }
        for (const directive of node.directives ?? []) {
          report('enum-value-directive', start(directive), `@${directive.name.value} on enum value ${node.name.value} is stripped by AppSync`);
        }
      } else if (node.kind === Kind.DIRECTIVE && !KNOWN_DIRECTIVES.has(node.name.value)) {
        report('unknown-directive', start(node), `@${node.name.value} is not an AppSync directive (known: ${APPSYNC_DIRECTIVES.map((d) => `@${d}`).join(', ')})`);
      }
    },
  });
}

/** Rules about what the AST does not keep: comments, and `&` between interfaces. */
function checkTokens(document: DocumentNode, commas: ReadonlySet<number>, report: Report): void {
  for (const def of document.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION || def.kind === Kind.ENUM_TYPE_EXTENSION) {
      let inBody = false;
      for (const token of tokensOf(def)) {
        if (token.kind === TokenKind.BRACE_L) inBody = true;
        if (!inBody || token.kind !== TokenKind.COMMENT) continue;
        const text = token.value ?? '';
        if (GRAPHQL_LITERAL.test(text)) {
          report('enum-comment-literal', token, `# comment inside enum ${def.name.value} contains "${GRAPHQL_LITERAL.exec(text)![1]}"; AppSync fails to parse it`);
        } else {
          report('enum-comment', token, `# comment inside enum ${def.name.value}; move it into the enum's description`);
        }
      }
    }
    if ('interfaces' in def && def.interfaces && def.interfaces.length > 0) {
      for (const token of tokensOf(def)) {
        if (token.kind === TokenKind.BRACE_L) break;
        if (token.kind === TokenKind.AMP && !commas.has(token.start)) {
          report('interface-ampersand', token, `"&" between the interfaces of ${def.name.value}; AppSync's own printing uses ","`);
        }
      }
    }
  }
}

/**
 * AppSync prints implemented interfaces as `implements A, B` (and accepts it); graphql-js 16 parses
 * only `A & B`. Each such comma becomes `&` before parsing, one character for one, so every
 * position reported stays the position in the file.
 */
function withAmpersandInterfaces(sdl: string): { text: string; commas: Set<number> } {
  const chars = sdl.split('');
  const commas = new Set<number>();
  const lexer = new Lexer(new Source(sdl));
  const recent: Token[] = [];
  let inList = false;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      const [keyword, name] = recent.slice(-2);
      if (token.kind === TokenKind.NAME && token.value === 'implements' && name?.kind === TokenKind.NAME && (keyword?.value === 'type' || keyword?.value === 'interface')) {
        inList = true;
      } else if (inList && token.kind === TokenKind.NAME && recent.at(-1)?.kind === TokenKind.NAME && recent.at(-1)?.value !== 'implements') {
        const comma = commaIn(sdl, recent.at(-1)!.end, token.start);
        if (comma !== -1) {
          chars[comma] = '&';
          commas.add(comma);
        }
      } else if (token.kind !== TokenKind.NAME && token.kind !== TokenKind.AMP) {
        inList = false;
      }
      recent.push(token);
      if (recent.length > 2) recent.shift();
    }
  } catch {
    return { text: sdl, commas: new Set() }; // the parser reports the same lexical error with its position
  }
  return { text: chars.join(''), commas };
}

/** The first comma between two offsets that is not inside a # comment; -1 if none. */
function commaIn(sdl: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (sdl[i] === '#') while (i < to && sdl[i] !== '\n' && sdl[i] !== '\r') i++;
    else if (sdl[i] === ',') return i;
  }
  return -1;
}

/** Every token of a definition, comments included (the parser links comments into its token chain). */
function* tokensOf(node: DefinitionNode): Generator<Token> {
  const loc = node.loc;
  if (!loc) return;
  for (let token: Token | null = loc.startToken; token; token = token.next) {
    yield token;
    if (token === loc.endToken) return;
  }
}

/**
 * graphql-js SDL validation over AppSync's implicit prelude. Definitions already reported by an
 * AppSync rule (directive definitions, redefined AWS scalars) are left out, and unknown
 * directives are the `unknown-directive` rule's, so nothing is reported twice.
 */
function validate(document: DocumentNode): GraphQLError[] {
  const prelude = parse(APPSYNC_PRELUDE);
  const own = document.definitions.filter(
    (d) => d.kind !== Kind.DIRECTIVE_DEFINITION && !(d.kind === Kind.SCALAR_TYPE_DEFINITION && AWS_SCALARS.has(d.name.value)),
  );
  const combined: DocumentNode = { kind: Kind.DOCUMENT, definitions: [...prelude.definitions, ...own] };
  const sdlErrors = validateSDL(combined).filter((e) => !e.message.startsWith('Unknown directive "@'));
  if (sdlErrors.length > 0) return sdlErrors;
  const schema = buildASTSchema(combined, { assumeValidSDL: true });
  return [...validateSchema(schema)];
}

function start(node: ASTNode): { line: number; column: number } {
  const token = node.loc?.startToken;
  return token ? { line: token.line, column: token.column } : { line: 1, column: 1 };
}

function fromGraphQLError(rule: SchemaRule, err: GraphQLError): SchemaProblem {
  if (!(err instanceof GraphQLError)) throw err;
  const location = err.locations?.[0] ?? { line: 1, column: 1 };
  const message = err.message.replace(/^Syntax Error: /, '');
  return { rule, severity: APPSYNC_SCHEMA_RULES[rule].severity, line: location.line, column: location.column, message };
}
