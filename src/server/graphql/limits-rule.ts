import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * Document limits in GraphQL Armor's model (reliability-security.md §1.1), as one validation rule
 * so rejected documents never reach a resolver:
 * - depth: nesting of fields (`{ a { b } }` is 2);
 * - aliases: aliased fields, `__typename` excepted;
 * - directives: every directive use;
 * - cost: a leaf costs scalarCost, a field with a selection objectCost + depthCostFactor x the cost
 *   of its children; the operation itself is one more object level.
 * Fragments are flattened (Armor's `flattenFragments`): a spread counts its fragment's contents
 * once per use, at the spread's depth. Introspection root fields are exempt from depth and cost;
 * graphql-js's MaxIntrospectionDepthRule bounds them instead. Fragment figures are memoised, so
 * measuring stays linear even for documents that nest spreads exponentially.
 */
export interface DocumentLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxCost: number;
}

export const ARMOR_COST = { objectCost: 2, scalarCost: 1, depthCostFactor: 1.5 } as const;

export type LimitViolation = 'QueryDepthLimitExceeded' | 'AliasLimitExceeded' | 'DirectiveLimitExceeded' | 'QueryCostLimitExceeded';

interface Stats {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
}

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

function measure(
  set: SelectionSetNode,
  fragment: (name: string) => Stats,
): Stats {
  const s: Stats = { depth: 0, aliases: 0, directives: 0, cost: 0 };
  for (const sel of set.selections) {
    s.directives += sel.directives?.length ?? 0;
    if (sel.kind === Kind.FIELD) {
      if (sel.alias && sel.name.value !== '__typename') s.aliases++;
      const child = sel.selectionSet ? measure(sel.selectionSet, fragment) : undefined;
      if (child) {
        s.aliases += child.aliases;
        s.directives += child.directives;
      }
      if (INTROSPECTION_ROOTS.has(sel.name.value)) continue;
      s.depth = Math.max(s.depth, 1 + (child?.depth ?? 0));
      s.cost += child ? ARMOR_COST.objectCost + ARMOR_COST.depthCostFactor * child.cost : ARMOR_COST.scalarCost;
    } else {
      const inner = sel.kind === Kind.INLINE_FRAGMENT ? measure(sel.selectionSet, fragment) : fragment(sel.name.value);
      s.depth = Math.max(s.depth, inner.depth);
      s.aliases += inner.aliases;
      s.directives += inner.directives;
      s.cost += inner.cost;
    }
  }
  return s;
}

export function documentLimitsRule(
  limits: DocumentLimits,
  report: (context: ValidationContext, error: GraphQLError, violation: LimitViolation) => void,
): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const memo = new Map<string, Stats>();
    const visiting = new Set<string>();
    const ZERO: Stats = { depth: 0, aliases: 0, directives: 0, cost: 0 };
    const fragment = (name: string): Stats => {
      const known = memo.get(name);
      if (known) return known;
      const def: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      // Unknown fragments and cycles are reported by the standard rules; they add nothing here.
      if (!def || visiting.has(name)) return ZERO;
      visiting.add(name);
      const s = measure(def.selectionSet, fragment);
      s.directives += def.directives?.length ?? 0;
      visiting.delete(name);
      memo.set(name, s);
      return s;
    };
    return {
      OperationDefinition(op) {
        const s = measure(op.selectionSet, fragment);
        const directives =
          s.directives +
          (op.directives?.length ?? 0) +
          (op.variableDefinitions ?? []).reduce((n, v) => n + (v.directives?.length ?? 0), 0);
        const cost = ARMOR_COST.objectCost + ARMOR_COST.depthCostFactor * s.cost;
        const fail = (violation: LimitViolation, message: string) =>
          report(context, new GraphQLError(message, { nodes: op }), violation);
        if (s.depth > limits.maxDepth) fail('QueryDepthLimitExceeded', `Query depth limit of ${limits.maxDepth} exceeded, found ${s.depth}.`);
        if (s.aliases > limits.maxAliases) fail('AliasLimitExceeded', `Aliases limit of ${limits.maxAliases} exceeded, found ${s.aliases}.`);
        if (directives > limits.maxDirectives) {
          fail('DirectiveLimitExceeded', `Directives limit of ${limits.maxDirectives} exceeded, found ${directives}.`);
        }
        if (cost > limits.maxCost) {
          fail('QueryCostLimitExceeded', `Query Cost limit of ${limits.maxCost} exceeded, found ${fmt(cost)}.`);
        }
        return false;
      },
    };
  };
}

const fmt = (n: number) => (Number.isFinite(n) && n < 1e15 ? String(Math.ceil(n)) : 'more');

