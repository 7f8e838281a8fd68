/**
 * The operations a newcomer finds as tabs in the explorer, each runnable as it stands against the embedded
 * default (test/readme-examples.test.ts runs them all). Each domain adds its own here, so the explorer shows
 * the whole API at a glance.
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
    title: 'Gaps in the sample',
    query: /* GraphQL */ `# Where is market.ticks missing data or thin? The embedded sample (March 2024) has planted
# defects (README, "The sample data lake"); March 10 has none. A date alone means midnight UTC.
query Gaps {
  defects: gaps(dataset: "stock_ticks", from: "2024-03-04", to: "2024-03-14") {
    status
    checkedBuckets
    ranges { group kind start end buckets observed expected absent reason }
    queryExecutionId
  }
  cleanDay: gaps(dataset: "stock_ticks", from: "2024-03-10", to: "2024-03-11") {
    status
    checkedBuckets
    ranges { group kind start end }
  }
}
`,
  },
  {
    title: 'Datasets',
    query: /* GraphQL */ `# What gapwatch checks, and the last time each dataset was confirmed good
query Datasets {
  datasets {
    name bucket expectedPerBucket minRatio timezone groups schedule
    lastCheck { status checkedAt ranges { group kind start } }
    lastReadySignal { at from to source { kind checkId runId } }
  }
}
`,
  },
  {
    title: 'Run a named query',
    query: /* GraphQL */ `# Runs a query from the config file; parameters are SQL literals bound by Athena
mutation RunQuery {
  runQuery(
    name: "ticks_of_symbol"
    parameters: ["'AMZN'", "TIMESTAMP '2024-03-05 12:00:00'", "TIMESTAMP '2024-03-05 13:00:00'"]
  ) {
    id state dataScannedBytes engineExecutionTimeMs
    columns { name type }
    rows(first: 5) {
      edges { node { values cells { column raw value } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
`,
  },
  {
    title: 'Repair the sample',
    query: /* GraphQL */ `# Starts a pipeline run: Check → Repair (one Map iteration per gap range) → Validate → Initiate.
# Pressing it again while the run is going returns the same run. Then open "Runs and their events", or
# the RunEvents tab to watch it move.
mutation Repair {
  startRepair(dataset: "stock_ticks", from: "2024-03-04T00:00:00Z", to: "2024-03-14T00:00:00Z") {
    id name status mode from to startedAt
  }
}
`,
  },
  {
    title: 'Runs and their events',
    query: /* GraphQL */ `# Pipeline runs, newest first, each with where it is and its Step Functions history
query Runs {
  runs(first: 5) {
    edges {
      node {
        id status mode dataset currentState startedAt stoppedAt error cause
        repairedRanges { group start end kind }
        events(first: 50) { edges { node { id previousId type state at } } pageInfo { hasNextPage endCursor } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
  dataset(name: "stock_ticks") { lastReadySignal { at from to source { kind runId checkId } } }
}
`,
  },
  {
    title: 'Run events (subscription)',
    query: /* GraphQL */ `# A run's state transitions as they happen: its Step Functions history so far, then each new event,
# every id once and in order, shown as a growing list; it completes after the run's last event. Press run on
# the Repair tab, then here: runId is that request's first run. "Run events of" at the top of the explorer
# puts any recent run's id in Variables. Reconnecting, add "afterEventId": <the last id you got> to miss nothing.
subscription RunEvents($runId: ID!, $afterEventId: Int) {
  runEvents(runId: $runId, afterEventId: $afterEventId) {
    id type state at
  }
}
`,
    variables: { runId: 'arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:stock_ticks-full-69d4b209c7bac2f7-1' },
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
