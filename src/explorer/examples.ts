/**
 * The operations a newcomer finds as tabs in the explorer, runnable at once against the embedded default.
 * Each domain adds its own here, so the explorer shows the whole API at a glance.
 */
export interface Example {
  title: string;
  query: string;
  variables?: Record<string, unknown>;
}

export const EXAMPLES: Example[] = [
  {
    title: 'Health',
    query: /* GraphQL */ `# Is gapwatch up, and does every backend answer?
query Health {
  health {
    status
    version
    backend
    checks { name ready message latencyMs }
  }
}
`,
  },
  {
    title: 'Heartbeat (subscription)',
    query: /* GraphQL */ `# A tick a second over WebSocket: subscriptions reach you. Press stop to end it.
subscription Heartbeat {
  heartbeat(intervalMs: 1000) { seq at }
}
`,
  },
];
