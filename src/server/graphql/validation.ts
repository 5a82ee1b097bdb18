import {
  ExecutableDefinitionsRule,
  FieldsOnCorrectTypeRule,
  FragmentsOnCompositeTypesRule,
  GraphQLError,
  KnownArgumentNamesRule,
  KnownDirectivesRule,
  KnownFragmentNamesRule,
  KnownTypeNamesRule,
  LoneAnonymousOperationRule,
  MaxIntrospectionDepthRule,
  NoFragmentCyclesRule,
  NoSchemaIntrospectionCustomRule,
  NoUndefinedVariablesRule,
  NoUnusedFragmentsRule,
  NoUnusedVariablesRule,
  OverlappingFieldsCanBeMergedRule,
  PossibleFragmentSpreadsRule,
  ProvidedRequiredArgumentsRule,
  ScalarLeafsRule,
  SingleFieldSubscriptionsRule,
  UniqueArgumentNamesRule,
  UniqueDirectivesPerLocationRule,
  UniqueFragmentNamesRule,
  UniqueInputFieldNamesRule,
  UniqueOperationNamesRule,
  UniqueVariableNamesRule,
  ValuesOfCorrectTypeRule,
  VariablesAreInputTypesRule,
  VariablesInAllowedPositionRule,
  specifiedRules,
  visit,
  BREAK,
  type ASTNode,
  type DocumentNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { documentLimitsRule, type DocumentLimits } from './limits-rule.ts';

/**
 * Validation with AppSync's message style. AppSync runs graphql-java, whose messages read
 * "Validation error of type FieldUndefined: Field 'x' in type 'Query' is undefined @ 'x'"; we
 * run graphql-js, so each rule is tagged with graphql-java's error type and the messages are
 * rewritten in that shape. Suggestions ("Did you mean ...") are always removed.
 */
const JAVA_TYPES = new Map<ValidationRule, string>([
  [ExecutableDefinitionsRule, 'NonExecutableDefinition'],
  [UniqueOperationNamesRule, 'DuplicateOperationName'],
  [LoneAnonymousOperationRule, 'LoneAnonymousOperationViolation'],
  [SingleFieldSubscriptionsRule, 'SubscriptionMultipleRootFields'],
  [KnownTypeNamesRule, 'UnknownType'],
  [FragmentsOnCompositeTypesRule, 'InlineFragmentTypeConditionInvalid'],
  [VariablesAreInputTypesRule, 'NonInputTypeOnVariable'],
  [ScalarLeafsRule, 'SubSelectionRequired'],
  [FieldsOnCorrectTypeRule, 'FieldUndefined'],
  [UniqueFragmentNamesRule, 'DuplicateFragmentName'],
  [KnownFragmentNamesRule, 'UndefinedFragment'],
  [NoUnusedFragmentsRule, 'UnusedFragment'],
  [PossibleFragmentSpreadsRule, 'InvalidFragmentType'],
  [NoFragmentCyclesRule, 'FragmentCycle'],
  [UniqueVariableNamesRule, 'DuplicateVariableName'],
  [NoUndefinedVariablesRule, 'UndefinedVariable'],
  [NoUnusedVariablesRule, 'UnusedVariable'],
  [KnownDirectivesRule, 'UnknownDirective'],
  [UniqueDirectivesPerLocationRule, 'DuplicateDirectiveName'],
  [KnownArgumentNamesRule, 'UnknownArgument'],
  [UniqueArgumentNamesRule, 'DuplicateArgumentNames'],
  [ValuesOfCorrectTypeRule, 'WrongType'],
  [ProvidedRequiredArgumentsRule, 'MissingFieldArgument'],
  [VariablesInAllowedPositionRule, 'VariableTypeMismatch'],
  [OverlappingFieldsCanBeMergedRule, 'FieldsConflict'],
  [UniqueInputFieldNamesRule, 'DuplicateInputField'],
  [MaxIntrospectionDepthRule, 'MaxIntrospectionDepthExceeded'],
  [NoSchemaIntrospectionCustomRule, 'IntrospectionDisabled'],
]);

const errorTypes = new WeakMap<GraphQLError, string>();

/** A rule whose reported errors remember which graphql-java error type they stand for. */
function tagged(rule: ValidationRule, type: string): ValidationRule {
  return (context) => {
    const view = Object.create(context) as ValidationContext;
    view.reportError = (error: GraphQLError) => {
      errorTypes.set(error, type);
      context.reportError(error);
    };
    return rule(view);
  };
}

export interface ValidationOptions {
  limits: DocumentLimits;
  /** Refuse introspection (`__schema`, `__type`; `__typename` stays allowed). */
  noIntrospection: boolean;
}

export function validationRules(options: ValidationOptions): ValidationRule[] {
  const rules = specifiedRules.map((rule) => tagged(rule, JAVA_TYPES.get(rule) ?? 'InvalidSyntax'));
  rules.push(
    documentLimitsRule(options.limits, (context, error, violation) => {
      errorTypes.set(error, violation);
      context.reportError(error);
    }),
  );
  if (options.noIntrospection) rules.push(tagged(NoSchemaIntrospectionCustomRule, 'IntrospectionDisabled'));
  return rules;
}

const SUGGESTION = /\s*Did you mean [^?]*\?/g;
export const stripSuggestions = (message: string) => message.replace(SUGGESTION, '');

/** "getUser/nickname": the field names leading to `target` inside its operation or fragment. */
function fieldPath(document: DocumentNode | undefined, target: ASTNode | undefined): string | undefined {
  if (!document || !target) return undefined;
  const stack: string[] = [];
  let found: string | undefined;
  visit(document, {
    enter(node) {
      if (node.kind === 'Field') stack.push(node.name.value);
      if (node === target) {
        found = stack.join('/');
        return BREAK;
      }
      return undefined;
    },
    leave(node) {
      if (node.kind === 'Field') stack.pop();
    },
  });
  return found || undefined;
}

/** AppSync's text for a validation error of `document` (or a syntax error when there is none). */
export function validationMessage(error: GraphQLError, document?: DocumentNode): string {
  const type = errorTypes.get(error) ?? 'InvalidSyntax';
  let text = stripSuggestions(error.message).replace(/^Syntax Error: /, '').replace('more that', 'more than');
  const undefinedField = /^Cannot query field "(.+)" on type "(.+)"\.$/.exec(text);
  if (undefinedField) text = `Field '${undefinedField[1]}' in type '${undefinedField[2]}' is undefined`;
  const path = type === 'InvalidSyntax' ? undefined : fieldPath(document, error.nodes?.[0]);
  return `Validation error of type ${type}: ${text}${path ? ` @ '${path}'` : ''}`;
}
