import type { Logger } from './logger';
import type { Services } from './services';

/** What every resolver gets: the services of this app, this request's logger, and the clock. */
export interface Context {
  requestId: string;
  logger: Logger;
  services: Services;
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
    now: scope.now,
  };
}
