import { Kind, type GraphQLSchema } from 'graphql';

/**
 * `@aws_subscribe(mutations: [...])`, read from the schema: which subscription fields fire when a
 * mutation field completes. Returned as mutation field -> subscription fields. A directive naming a
 * mutation the schema lacks is a schema error (AppSync refuses such a schema too).
 */
export function subscribeMapping(schema: GraphQLSchema): Map<string, string[]> {
  const byMutation = new Map<string, string[]>();
  const subscription = schema.getSubscriptionType();
  if (!subscription) return byMutation;
  const mutations = schema.getMutationType()?.getFields() ?? {};
  for (const field of Object.values(subscription.getFields())) {
    const directive = field.astNode?.directives?.find((d) => d.name.value === 'aws_subscribe');
    const arg = directive?.arguments?.find((a) => a.name.value === 'mutations');
    if (!arg) continue;
    const values = arg.value.kind === Kind.LIST ? arg.value.values : [arg.value];
    for (const value of values) {
      if (value.kind !== Kind.STRING) continue;
      const mutation = mutations[value.value];
      if (!mutation) throw new Error(`Subscription.${field.name}: @aws_subscribe names unknown mutation ${value.value}`);
      if (String(mutation.type).replace(/!$/, '') !== String(field.type).replace(/!$/, '')) {
        throw new Error(`Subscription.${field.name} returns ${String(field.type)} but mutation ${value.value} returns ${String(mutation.type)}`);
      }
      const list = byMutation.get(value.value);
      if (list) list.push(field.name);
      else byMutation.set(value.value, [field.name]);
    }
  }
  return byMutation;
}
