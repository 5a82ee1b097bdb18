import { isIP } from 'node:net';
import { GraphQLError, Kind, valueFromASTUntyped, type GraphQLScalarTypeConfig, type ValueNode } from 'graphql';

/**
 * AppSync's scalars, with the rules of its documentation (appsync.md §3.4). All but AWSTimestamp
 * and AWSJSON are strings on the wire; AWSJSON inputs are JSON text that resolvers see parsed, and
 * outputs are JSON-encoded strings.
 */
type ScalarImpl = Pick<GraphQLScalarTypeConfig<unknown, unknown>, 'serialize' | 'parseValue' | 'parseLiteral'>;

const OFFSET = '(?:Z|[+-]\\d{2}:\\d{2}(?::\\d{2})?)';
const DATE = '(\\d{4})-(\\d{2})-(\\d{2})';
const TIME = '\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?';
const patterns = {
  AWSDate: new RegExp(`^${DATE}${OFFSET}?$`),
  AWSTime: new RegExp(`^${TIME}${OFFSET}?$`),
  AWSDateTime: new RegExp(`^${DATE}T${TIME}${OFFSET}$`),
  AWSEmail: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  AWSPhone: /^\+?[0-9][0-9 \-().]{3,22}[0-9]$/,
};

const realDate = (m: RegExpExecArray) => {
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
};

const validTime = (s: string) => {
  const t = /(\d{2}):(\d{2})(?::(\d{2}))?/.exec(s);
  return !!t && Number(t[1]) < 24 && Number(t[2]) < 60 && Number(t[3] ?? 0) < 60;
};

const checks: Record<string, (s: string) => boolean> = {
  AWSDate: (s) => {
    const m = patterns.AWSDate.exec(s);
    return !!m && realDate(m);
  },
  AWSTime: (s) => patterns.AWSTime.test(s) && validTime(s),
  AWSDateTime: (s) => {
    const m = patterns.AWSDateTime.exec(s);
    return !!m && realDate(m) && validTime(s.slice(11));
  },
  AWSEmail: (s) => patterns.AWSEmail.test(s),
  AWSPhone: (s) => patterns.AWSPhone.test(s),
  AWSIPAddress: (s) => {
    const [ip, prefix, ...rest] = s.split('/');
    const version = isIP(ip);
    if (version === 0 || rest.length > 0) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
  },
  AWSURL: (s) => {
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) return false;
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  },
};

function stringScalar(name: string): ScalarImpl {
  const check = checks[name];
  const accept = (value: unknown, as: 'input' | 'output'): string => {
    if (typeof value !== 'string' || !check(value)) {
      throw new GraphQLError(`${as === 'input' ? 'Invalid' : "Can't serialize"} ${name} value: ${JSON.stringify(value) ?? String(value)}`);
    }
    return value;
  };
  return {
    serialize: (v) => accept(v, 'output'),
    parseValue: (v) => accept(v, 'input'),
    parseLiteral: (ast: ValueNode) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError(`${name} must be a string`);
      return accept(ast.value, 'input');
    },
  };
}

const timestamp: ScalarImpl = {
  serialize(v) {
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new GraphQLError(`Can't serialize AWSTimestamp value: ${String(v)}`);
    return n;
  },
  parseValue(v) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new GraphQLError(`Invalid AWSTimestamp value: ${JSON.stringify(v)}`);
    return v;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT || !Number.isSafeInteger(Number(ast.value))) throw new GraphQLError('AWSTimestamp must be an integer');
    return Number(ast.value);
  },
};

const json: ScalarImpl = {
  serialize: (v) => JSON.stringify(v),
  parseValue(v) {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      throw new GraphQLError('Invalid AWSJSON value: not valid JSON');
    }
  },
  parseLiteral(ast, variables) {
    if (ast.kind === Kind.STRING) return json.parseValue!(ast.value);
    return valueFromASTUntyped(ast, variables);
  },
};

/** Implementations by scalar name, for every scalar of the prelude. */
export const appsyncScalars: Record<string, ScalarImpl> = {
  AWSDate: stringScalar('AWSDate'),
  AWSTime: stringScalar('AWSTime'),
  AWSDateTime: stringScalar('AWSDateTime'),
  AWSEmail: stringScalar('AWSEmail'),
  AWSURL: stringScalar('AWSURL'),
  AWSPhone: stringScalar('AWSPhone'),
  AWSIPAddress: stringScalar('AWSIPAddress'),
  AWSTimestamp: timestamp,
  AWSJSON: json,
};
