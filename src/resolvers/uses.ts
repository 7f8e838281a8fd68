import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { Services } from '../services';

export type ServiceName = keyof Services;

/** The constructor arguments a resolver declaring `names` receives: the named services, in that order. */
type ServicesOf<N extends readonly ServiceName[]> = { [I in keyof N]: Services[N[I]] };

const declared = new WeakMap<Function, readonly ServiceName[]>();

/**
 * Declares which of the app's services a resolver class uses; the schema's container (schema/build.ts)
 * constructs the class with exactly those, in this order, and nothing else. The compiler checks the list
 * against the constructor's parameters, so a resolver cannot silently take the whole bag or a service it
 * does not name:
 *
 *     @Uses('queries', 'athena')
 *     @Resolver(() => QueryExecution)
 *     export class QueryExecutionResolver {
 *       constructor(
 *         private readonly queriesService: QueriesService,
 *         private readonly athenaService: AthenaService,
 *       ) {}
 *     }
 *
 * Per-request things (loaders, requestId, logger) stay on the GraphQL context instead: they are not services.
 */
export function Uses<const N extends readonly ServiceName[]>(...names: N) {
  return (cls: new (...services: ServicesOf<N>) => object): void => {
    declared.set(cls, names);
  };
}

/** The services a resolver class declared with `@Uses`; undefined when it declared none. */
export function servicesUsedBy(cls: Function): readonly ServiceName[] | undefined {
  return declared.get(cls);
}

/** Builds one resolver instance with the services it declared with `@Uses`. */
export function construct(cls: Function, services: Services): object {
  const names = declared.get(cls);
  if (!names) throw new Error(`resolver ${cls.name} does not declare its services with @Uses(...)`);
  return Reflect.construct(cls, names.map((name) => services[name]));
}

const containers = new WeakMap<GraphQLSchema, (cls: Function) => object>();

/** Called by schema/build.ts: the schema's resolver instances, for `resolverFor`. */
export function bindResolvers(schema: GraphQLSchema, get: (cls: Function) => object): void {
  containers.set(schema, get);
}

/**
 * The instance of `cls` serving the schema this operation runs on. type-graphql calls a subscription's
 * `subscribe` without the resolver instance; this hands it the one that holds the services it declared,
 * so a subscription's source follows the same @Uses rule as every other field:
 *
 *     @Subscription(() => RunEvent, { subscribe: ({ args, info }) => resolverFor(info, RunEventsResolver).subscribe(args) })
 */
export function resolverFor<T extends object>(info: GraphQLResolveInfo, cls: new (...args: never[]) => T): T {
  const get = containers.get(info.schema);
  if (!get) throw new Error('this schema was built for printing only');
  return get(cls) as T;
}
