export { createEvents, type Events } from './pubsub';
export { connectEventBus, type EventBus } from './bus';
export { RateBudget } from './budget';
export { localLeases, RedisLeases, type Leases } from './leases';
export { Topic } from './topics';
