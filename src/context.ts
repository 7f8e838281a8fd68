import DataLoader from 'dataloader';
import type { Logger } from './logger';
import type { Services } from './services';
import type { Execution } from './services/athena/athena.service';

/**
 * Per-request batching: every execution id a request asks for, wherever in the query, is fetched with as few
 * BatchGetQueryExecution calls as Athena allows (50 ids each), and the same id once.
 */
export interface Loaders {
  execution: DataLoader<string, Execution>;
}

/** What every resolver gets: the services of this app, this request's logger, and the clock. */
export interface Context {
  requestId: string;
  logger: Logger;
  services: Services;
  loaders: Loaders;
  now(): number;
}

export interface AppScope {
  logger: Logger;
  services: Services;
  now(): number;
}

export function createContext(scope: AppScope, requestId: string): Context {
  return {
    requestId,
    logger: scope.logger.child({ requestId }),
    services: scope.services,
    loaders: {
      execution: new DataLoader<string, Execution>((ids) => scope.services.athena.getMany(ids), { maxBatchSize: 50 }),
    },
    now: scope.now,
  };
}
