import type { AthenaService } from './athena/athena.service';
import type { QueriesService } from './athena/queries.service';
import type { Events } from './events';
import type { GapsService } from './gaps/gaps.service';
import type { GapScheduler } from './gaps/scheduler';
import type { HealthService } from './health/health.service';
import type { PipelineService } from './pipeline/pipeline.service';

/** Every service of one running app, built once by the app factory and shared by all requests. */
export interface Services {
  health: HealthService;
  events: Events;
  athena: AthenaService;
  queries: QueriesService;
  gaps: GapsService;
  /** Runs datasets' scheduled checks (idle in a one-off CLI check, which schedules nothing). */
  scheduler: GapScheduler;
  /** Absent in a one-off CLI check, which serves no pipeline. */
  pipeline?: PipelineService;
}
