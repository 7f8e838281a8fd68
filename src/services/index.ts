import type { Events } from './events';
import type { HealthService } from './health/health.service';

/** Every service of one running app, built once by the app factory and shared by all requests. */
export interface Services {
  health: HealthService;
  events: Events;
}
