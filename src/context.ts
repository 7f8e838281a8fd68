import DataLoader from 'dataloader';
import type { Principal } from './http/access';
import type { Logger } from './logger';
import type { Services } from './services';
import type { Execution } from './services/athena/athena.service';
import type { PipelineRun } from './services/pipeline/run';

/**
 * Per-request batching: every execution id a request asks for, wherever in the query, is fetched with as few
 * BatchGetQueryExecution calls as Athena allows (50 ids each), and the same id once.
 */
export interface Loaders {
  execution: DataLoader<string, Execution>;
  /** Pipeline runs by execution ARN: each run once per request however often it is asked for; null = unknown. */
  run: DataLoader<string, PipelineRun | null>;
}

/**
 * What every resolver gets per request: its id, a logger tagged with it, its batching loaders, and the clock.
 * Services are not here: a resolver receives the ones it uses through its constructor (resolvers/uses.ts).
 */
export interface Context {
  requestId: string;
  /** Who is calling: the API key's id and role (`anonymous` operator when no keys are configured). */
  principal: Principal;
  logger: Logger;
  loaders: Loaders;
  now(): number;
}

export interface AppScope {
  logger: Logger;
  services: Services;
  now(): number;
}

export function createContext(scope: AppScope, requestId: string, principal: Principal): Context {
  return {
    requestId,
    principal,
    logger: scope.logger.child({ requestId, keyId: principal.id }),
    loaders: {
      execution: new DataLoader<string, Execution>((ids) => scope.services.athena.getMany(ids), { maxBatchSize: 50 }),
      // Step Functions has no batch describe: one batch's DescribeExecution calls go out together.
      run: new DataLoader<string, PipelineRun | null>(async (ids) => (scope.services.pipeline ? scope.services.pipeline.getMany(ids) : ids.map(() => null)), { maxBatchSize: 50 }),
    },
    now: scope.now,
  };
}
