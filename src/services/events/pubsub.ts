import { createPubSub } from '@graphql-yoga/subscription';

/**
 * In-process event bus that subscriptions read from. One per app, so two apps in one process (tests) never
 * see each other's events.
 */
export function createEvents() {
  return createPubSub();
}
export type Events = ReturnType<typeof createEvents>;
