import { Arg, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import { badInput } from '../errors';
import { Health, HealthStatus, Heartbeat } from '../schema/health.type';
import { ticker } from '../services/clock/ticker';
import type { HealthService } from '../services/health/health.service';
import { Uses } from './uses';

const HEARTBEAT_MIN_MS = 100;
const HEARTBEAT_MAX_MS = 60_000;

@Uses('health')
@Resolver()
export class HealthResolver {
  constructor(private readonly healthService: HealthService) {}

  @Query(() => Health, { description: 'Is gapwatch up, and does every backend it depends on answer?' })
  async health(): Promise<Health> {
    const report = await this.healthService.report();
    return { ...report, status: HealthStatus[report.status] };
  }

  @Subscription(() => Heartbeat, {
    description: 'A tick every `intervalMs`: a quick check that subscriptions reach you through proxies.',
    subscribe: ({ args }) => {
      const ms = (args as { intervalMs: number }).intervalMs;
      if (!Number.isInteger(ms) || ms < HEARTBEAT_MIN_MS || ms > HEARTBEAT_MAX_MS) {
        throw badInput('intervalMs', `expected ${HEARTBEAT_MIN_MS} to ${HEARTBEAT_MAX_MS}, got ${ms}`);
      }
      return ticker(ms, (seq) => ({ seq, at: new Date() }));
    },
  })
  heartbeat(
    @Root() tick: Heartbeat,
    @Arg('intervalMs', () => Int, { defaultValue: 1000 }) _intervalMs: number,
  ): Heartbeat {
    return tick;
  }
}
