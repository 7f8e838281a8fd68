import { AthenaClient, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import type { Settings } from './config';
import { startEmbedded, type EmbeddedEndpoint } from './embedded/server';
import type { Metrics } from './http/metrics';
import type { Logger } from './logger';
import { adoptSdkNodeNotice } from './node-notice';
import type { Services } from './services';
import { AthenaService } from './services/athena/athena.service';
import { realClock, type Clock } from './services/clock/clock';
import { athenaProtocol } from './services/athena/protocol-check';
import { QueriesService } from './services/athena/queries.service';
import { createEvents, Topic } from './services/events';
import path from 'node:path';
import { FileCheckStore } from './services/gaps/check-store';
import { GapsService } from './services/gaps/gaps.service';
import { GapScheduler } from './services/gaps/scheduler';
import { HealthService, type Probe } from './services/health/health.service';

export interface Backends {
  services: Services;
  scheduler: GapScheduler;
  /** The embedded endpoint, when this app started one (embedded backend). */
  embedded?: EmbeddedEndpoint;
  /** Stops whatever connectBackends started (the embedded endpoint, schedulers). */
  close(): Promise<void>;
}

/**
 * SDK settings gapwatch adds on top of the SDK's own configuration. Throttling (ThrottlingException,
 * TooManyRequestsException) is absorbed here, once, by the SDK's adaptive retry strategy, which also slows
 * the client down while Athena pushes back. The protocol is the SDK's own with result rows left as parsed
 * (services/athena/protocol.ts), once a start-up check has found its assumptions about the SDK hold
 * (services/athena/protocol-check.ts).
 */
const ATHENA_CLIENT = { retryMode: 'adaptive', maxAttempts: 8 } as const;

/**
 * Connects the AWS clients — to real AWS through the SDK's own configuration (region, credential chain,
 * AWS_ENDPOINT_URL_ATHENA), or to the embedded endpoint it starts on loopback — and builds the services on
 * top. The services never know which: one code path.
 */
export interface BackendOptions {
  /** Run datasets' scheduled checks (the service does; a one-off CLI check does not). Default true. */
  schedule?: boolean;
  /** Times every AWS SDK call (the service does; the CLI does not). */
  metrics?: Metrics;
}

export async function connectBackends(
  settings: Settings,
  logger: Logger,
  clock: Clock = realClock,
  options: BackendOptions = {},
): Promise<Backends> {
  adoptSdkNodeNotice(logger);
  const { env } = settings;
  const protocol = await athenaProtocol(logger);
  let embedded: EmbeddedEndpoint | undefined;
  let athenaClient: AthenaClient;
  if (env.backend === 'embedded') {
    embedded = await startEmbedded({
      port: env.embeddedPort,
      host: '127.0.0.1',
      dataDir: env.dataDir,
      tables: settings.embeddedTables,
      logger: logger.child({ component: 'embedded' }),
    });
    logger.info({ endpoint: embedded.url }, 'embedded AWS endpoint (Athena on DuckDB) is listening');
    athenaClient = new AthenaClient({
      ...ATHENA_CLIENT,
      ...protocol,
      endpoint: embedded.url,
      region: process.env.AWS_REGION ?? 'us-east-1',
      // The embedded endpoint accepts any signature; these only let the SDK sign as it always does.
      credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
    });
  } else {
    athenaClient = new AthenaClient({ ...ATHENA_CLIENT, ...protocol });
  }

  options.metrics?.instrument(athenaClient, 'athena');
  const athena = new AthenaService(athenaClient, settings.athena, clock);
  const probes: Probe[] = [
    {
      name: 'athena',
      check: async () => {
        await athenaClient.send(new ListQueryExecutionsCommand({ MaxResults: 1, WorkGroup: settings.athena.workgroup }));
      },
    },
  ];
  const queries = new QueriesService(athena, settings.namedQueries, env.allowRawSql);
  const gapsLogger = logger.child({ component: 'gaps' });
  // Check history, ready signals and series starts outlive a restart (embedded and aws alike).
  const checkStore = new FileCheckStore(path.join(env.dataDir, 'gaps'), gapsLogger);
  const gaps = new GapsService(athena, queries, settings.datasets, clock, gapsLogger, checkStore);
  const services: Services = {
    health: new HealthService(env.backend, probes, clock.now, (probe, err) => logger.warn({ err, probe }, 'readiness probe failed')),
    events: createEvents(),
    athena,
    queries,
    gaps,
  };
  // Every kept check and ready signal goes on the bus, for the checkCompleted and datasetReady subscriptions.
  gaps.onCheck((check) => services.events.publish(Topic.CHECK_COMPLETED, check));
  gaps.onReadySignal((signal) => services.events.publish(Topic.DATASET_READY, signal));
  const scheduler = new GapScheduler(gaps, clock, logger.child({ component: 'scheduler' }));
  if (options.schedule !== false) scheduler.start();
  return {
    services,
    embedded,
    scheduler,
    async close() {
      await scheduler.stop();
      await checkStore.flush();
      athenaClient.destroy();
      await embedded?.close();
    },
  };
}
