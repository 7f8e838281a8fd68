/** The event bus's topics: one list, so publishers and subscriptions cannot drift apart. */
export const Topic = {
  /** A check kept in a dataset's history (payload: the check without its series). */
  CHECK_COMPLETED: 'CHECK_COMPLETED',
  /** A ready signal recorded (payload: the signal). */
  DATASET_READY: 'DATASET_READY',
  /** A run's status changed (payload: { executionArn, dataset, status }). */
  RUN_UPDATED: 'RUN_UPDATED',
  /** A run's history event, keyed by execution ARN (published by the instance polling it). */
  RUN_EVENT: 'RUN_EVENT',
  /**
   * Clients on some instance wait on a run's events, keyed by execution ARN (published by an instance with
   * subscribers that does not poll the run): whichever instance polls it polls quickly for a while. With
   * payload `{ nudgeMs }`: the run moved on some instance (its Task handler runs there), and whichever
   * instance polls it polls it within that many ms (RunWatcher.nudge).
   */
  RUN_INTEREST: 'RUN_INTEREST',
} as const;

/**
 * Topics whose messages, published while Redis is down, are sent to the rest of the fleet once it is back
 * (bounded): what they say is not to be found again elsewhere. Run events and interest are not kept: a
 * run's watcher fills a hole from the execution history, and interest is repeated anyway.
 */
export const CATCH_UP_TOPICS: ReadonlySet<string> = new Set([Topic.CHECK_COMPLETED, Topic.DATASET_READY, Topic.RUN_UPDATED]);
