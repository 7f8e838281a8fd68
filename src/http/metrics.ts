import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const OPEN_EXECUTION_TTL_MS = 10 * 60_000;
const MAX_OPEN_EXECUTIONS = 10_000;

/** What the SDK middleware needs of a client: its middleware stack (every AWS SDK v3 client has one). */
interface SdkClient {
  middlewareStack: {
    add(middleware: (next: any, context: any) => (args: any) => Promise<any>, options: { step: 'initialize'; name: string }): void;
  };
}

/** Where a dataset's newest check stands, read when Prometheus scrapes. */
export interface GapsView {
  datasets(): readonly { name: string }[];
  lastCheck(name: string): Promise<{ ranges: readonly { kind: string }[] } | undefined>;
}

/**
 * The service's Prometheus metrics, one registry per app (two apps in one process, as in tests, never mix
 * their counts). Served as text at GET /metrics.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly operations = new Histogram({
    name: 'gapwatch_graphql_operation_duration_seconds',
    help: 'GraphQL operations by name, type, transport and outcome (ok or the first error code)',
    labelNames: ['operation', 'type', 'transport', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly backendCalls = new Histogram({
    name: 'gapwatch_backend_call_duration_seconds',
    help: 'AWS SDK calls (Athena, Step Functions) by service, operation and outcome (ok or the error name)',
    labelNames: ['service', 'operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly limitHits = new Counter({
    name: 'gapwatch_limit_hits_total',
    help: 'Operations refused by a limit, by limit name',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'gapwatch_auth_refusals_total',
    help: 'Requests refused before any GraphQL ran, by reason (UNAUTHENTICATED, FORBIDDEN origin or host)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly subscriptions = new Gauge({
    name: 'gapwatch_active_subscriptions',
    help: 'GraphQL subscriptions open now',
    registers: [this.registry],
  });

  /**
   * Athena executions this service has seen QUEUED or RUNNING and not yet seen end, from the SDK responses
   * it already gets (start, and the polls of a wait): the queue depth as far as gapwatch can observe it
   * without asking Athena anything more. An execution not heard of for OPEN_EXECUTION_TTL_MS is dropped
   * (a `wait: false` query nobody asks about again).
   */
  private readonly openExecutions = new Map<string, { state: string; at: number }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gapwatch_' });
    const open = this.openExecutions;
    new Gauge({
      name: 'gapwatch_athena_open_executions',
      help: 'Athena executions last seen QUEUED or RUNNING by this service (its observable queue depth), by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const now = Date.now();
        const by = new Map([['QUEUED', 0], ['RUNNING', 0]]);
        for (const [id, e] of open) {
          if (now - e.at > OPEN_EXECUTION_TTL_MS) open.delete(id);
          else by.set(e.state, (by.get(e.state) ?? 0) + 1);
        }
        for (const [state, n] of by) this.set({ state }, n);
      },
    });
  }

  /** Notes the executions an Athena response names, and their states. */
  private observeExecutions(operation: string, output: any): void {
    const seen = (id: unknown, state: unknown) => {
      if (typeof id !== 'string') return;
      if (state === 'QUEUED' || state === 'RUNNING') {
        if (this.openExecutions.size < MAX_OPEN_EXECUTIONS || this.openExecutions.has(id)) this.openExecutions.set(id, { state, at: Date.now() });
      } else this.openExecutions.delete(id);
    };
    if (operation === 'StartQueryExecution') seen(output?.QueryExecutionId, 'QUEUED');
    else if (operation === 'GetQueryExecution') seen(output?.QueryExecution?.QueryExecutionId, output?.QueryExecution?.Status?.State);
    else if (operation === 'BatchGetQueryExecution') {
      for (const e of output?.QueryExecutions ?? []) seen(e?.QueryExecutionId, e?.Status?.State);
    }
  }

  /** Reports the shared results-page cache at every scrape: hit ratio since start, and bytes held. */
  watchCache(stats: () => { hits: number; misses: number; bytes: number }): void {
    new Gauge({
      name: 'gapwatch_result_cache_hit_ratio',
      help: 'Share of results-page lookups answered from the shared cache since start (0 before any lookup)',
      registers: [this.registry],
      collect() {
        const { hits, misses } = stats();
        this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
      },
    });
    new Gauge({
      name: 'gapwatch_result_cache_bytes',
      help: 'Estimated bytes of decoded result pages the shared cache holds',
      registers: [this.registry],
      collect() {
        this.set(stats().bytes);
      },
    });
  }

  /** Reports the run watcher at every scrape: runs watched, polled here, finished histories kept, history calls. */
  watchRuns(stats: () => { watched: number; polled: number; kept: number; loads: number; polls: number }): void {
    new Gauge({
      name: 'gapwatch_watched_runs',
      help: 'Pipeline runs this instance watches, by role: all of them, those it polls for the fleet (holds the lease of), and finished histories kept',
      labelNames: ['role'] as const,
      registers: [this.registry],
      collect() {
        const s = stats();
        this.set({ role: 'watched' }, s.watched);
        this.set({ role: 'polled' }, s.polled);
        this.set({ role: 'kept' }, s.kept);
      },
    });
    new Counter({
      name: 'gapwatch_run_history_calls_total',
      help: "GetExecutionHistory calls of the run watcher, by kind: load (a run's history from the start) or poll (what is new)",
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        const s = stats();
        this.reset();
        this.inc({ kind: 'load' }, s.loads);
        this.inc({ kind: 'poll' }, s.polls);
      },
    });
  }

  /** Reports each dataset's newest check (scheduled or asked for) at every scrape. */
  watchGaps(gaps: GapsView): void {
    new Gauge({
      name: 'gapwatch_gap_ranges',
      help: "Gap ranges in each dataset's newest check, by kind (MISSING, UNDERFILLED, PARTIAL_EDGE)",
      labelNames: ['dataset', 'kind'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { name } of gaps.datasets()) {
          const check = await gaps.lastCheck(name);
          if (!check) continue;
          const byKind = new Map<string, number>([['MISSING', 0], ['UNDERFILLED', 0]]);
          for (const r of check.ranges) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
          for (const [kind, n] of byKind) this.set({ dataset: name, kind }, n);
        }
      },
    });
  }

  /** Times every call an AWS SDK client makes, whichever service it talks to, as an SDK middleware. */
  instrument(client: SdkClient, service: string): void {
    const histogram = this.backendCalls;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        const end = histogram.startTimer({ service, operation });
        try {
          const out = await next(args);
          end({ outcome: 'ok' });
          if (service === 'athena') this.observeExecutions(operation, out?.output);
          return out;
        } catch (err) {
          end({ outcome: (err as Error)?.name ?? 'Error' });
          throw err;
        }
      },
      { step: 'initialize', name: 'gapwatchMetrics' },
    );
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
