import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { HealthResolver } from '../resolvers/health.resolver';
import { DatasetResolver, GapReportResolver } from '../resolvers/gaps.resolver';
import { QueryExecutionResolver } from '../resolvers/query-execution.resolver';
import { DatasetEventsResolver, RunEventsResolver } from '../resolvers/events.resolver';
import { PipelineResolver } from '../resolvers/pipeline.resolver';
import { ViewerResolver } from '../resolvers/viewer.resolver';
import { bindResolvers, construct } from '../resolvers/uses';
import { DateTimeScalar } from './date-time.scalar';
import type { Services } from '../services';
import { createEvents } from '../services/events';

/** Every resolver class of the API; each gets the services it declares with `@Uses` (resolvers/uses.ts). */
export const RESOLVERS = [HealthResolver, QueryExecutionResolver, DatasetResolver, GapReportResolver, DatasetEventsResolver, PipelineResolver, RunEventsResolver, ViewerResolver] as const;

/**
 * Builds the executable schema over one app's services. Without services it builds the schema only to print
 * it (`npm run schema`): resolvers are then never constructed.
 */
export async function buildGapwatchSchema(services?: Services): Promise<GraphQLSchema> {
  const instances = new Map<unknown, object>();
  const get = (cls: Function): object => {
    if (!services) throw new Error('this schema was built for printing only');
    let instance = instances.get(cls);
    if (!instance) instances.set(cls, (instance = construct(cls, services)));
    return instance;
  };
  const schema = await buildSchema({
    resolvers: RESOLVERS,
    container: { get },
    pubSub: services?.events ?? createEvents(),
    // Instants, named DateTime as clients of other GraphQL APIs expect (a date alone is midnight UTC).
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Arguments are checked where they are used (scalars, services: coded BAD_USER_INPUT); no type carries
    // class-validator decorators. Left on, type-graphql ran class-validator over every argument object for
    // nothing, and loaded it (~40 ms of the service's thread) in the middle of the first request with
    // arguments: the first runQuery held up a concurrent health probe for ~60 ms.
    validate: false,
  });
  if (services) bindResolvers(schema, get);
  return schema;
}

/** The SDL committed as schema.graphql, so a reviewer sees every API change in the diff. */
export async function printGapwatchSchema(): Promise<string> {
  return `${printSchema(await buildGapwatchSchema())}\n`;
}
