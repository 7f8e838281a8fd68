import path from 'node:path';
import { ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import type { Settings } from './config';
import type { EmbeddedBackend } from './embedded-backend';
import type { EmbeddedEndpoint } from './embedded/server';
import type { Metrics } from './http/metrics';
import type { Logger } from './logger';
import { adoptSdkNodeNotice } from './node-notice';
import type { Services } from './services';
import { realClock, type Clock } from './services/clock/clock';
import { connectEventBus, RateBudget, Topic } from './services/events';
import { GapScheduler } from './services/gaps/scheduler';
import { HealthService, type Probe } from './services/health/health.service';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ConfigError } from './errors';
import { composeTasks, createAthenaClient } from './tasks';
import { RunWatcher } from './services/events/run-watcher';
import { FileClaims, RedisClaims } from './services/events/claims';
import { definitionFor, embeddedTaskArns, STATE_MACHINE_NAME, TASKS, type TaskName } from './services/pipeline/definition';
import type { PipelineHandler } from './services/pipeline/handlers';
import { isStateMachineArn } from './services/pipeline/arn';
import { PipelineService } from './services/pipeline/pipeline.service';

export interface Backends {
  services: Services;
  scheduler: GapScheduler;
  /** The embedded endpoint, when this app started one (embedded backend). */
  embedded?: EmbeddedEndpoint;
  /** Watches pipeline runs' histories (when the pipeline is served). */
  watcher?: RunWatcher;
  /** The pipeline's Task handlers over these services (in-process when embedded; src/lambda.ts on AWS). */
  handlers: Record<TaskName, PipelineHandler>;
  /** Stops whatever connectBackends started (the embedded endpoint, schedulers). */
  close(): Promise<void>;
}

/**
 * The service's composition: connects the AWS clients — to real AWS through the SDK's own configuration
 * (region, credential chain, AWS_ENDPOINT_URL_ATHENA), or to the embedded endpoint it starts on loopback —
 * and builds the services on top. The services never know which: one code path. (The Lambda functions
 * have a composition of their own, lambda.ts, sharing tasks.ts with this one.)
 */
export interface BackendOptions {
  /** Run datasets' scheduled checks (the service does; a one-off CLI check does not). Default true. */
  schedule?: boolean;
  /** Times every AWS SDK call (the service does; the CLI does not). */
  metrics?: Metrics;
  /** Serve the pipeline (Step Functions client, run watcher; aws mode then needs GAPWATCH_STATE_MACHINE_ARN). Default true. */
  pipeline?: boolean;
  /** How often to look for pipeline runs started elsewhere, to watch them to their end (PipelineService.resume). Default 60 s. */
  discoverRunsMs?: number;
  /**
   * Called once if the embedded endpoint's worker died more often than it is restarted: the service
   * cannot serve without it, so main.ts exits non-zero for an orchestrator to restart the process.
   */
  onFatal?: (err: Error) => void;
}

/** Step Functions throttles StartExecution and the read APIs per account; the adaptive strategy absorbs it as for Athena. */
const SFN_CLIENT = { retryMode: 'adaptive', maxAttempts: 8 } as const;

export async function connectBackends(
  settings: Settings,
  logger: Logger,
  clock: Clock = realClock,
  options: BackendOptions = {},
): Promise<Backends> {
  adoptSdkNodeNotice(logger);
  const { env } = settings;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const servePipeline = options.pipeline !== false;
  let stateMachineArn = env.stateMachineArn;
  if (servePipeline && env.backend === 'aws') {
    if (!stateMachineArn) {
      throw new ConfigError('GAPWATCH_STATE_MACHINE_ARN: required with GAPWATCH_BACKEND=aws: the ARN of the deployed gapwatch-pipeline state machine (deploy/template.yaml outputs it)');
    }
    if (!isStateMachineArn(stateMachineArn)) {
      throw new ConfigError(`GAPWATCH_STATE_MACHINE_ARN: expected arn:aws:states:<region>:<account>:stateMachine:<name>, got '${stateMachineArn}'`);
    }
  }
  // The embedded Step Functions calls the handlers in-process; they are bound once the services exist.
  let handlers: Record<TaskName, PipelineHandler> | undefined;
  // The run watcher too: a handler called here tells it when its run moves (RunWatcher.task).
  let watcher: RunWatcher | undefined;
  const taskArns = embeddedTaskArns(region);
  let embedded: EmbeddedBackend | undefined;
  if (env.backend === 'embedded') {
    // Loaded here only: the aws-mode service never loads DuckDB or the ASL interpreter.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startEmbeddedBackend } = require('./embedded-backend') as typeof import('./embedded-backend');
    embedded = await startEmbeddedBackend({
      env,
      ...(options.onFatal ? { onFatal: options.onFatal } : {}),
      tables: settings.embeddedTables,
      // The workgroup gapwatch is configured with exists locally, as it does in the account it deploys to.
      workGroups: [settings.athena.workgroup],
      region,
      logger,
      ...(servePipeline
        ? {
            stepFunctions: {
              taskHandlers: Object.fromEntries(
                TASKS.map((t) => [
                  taskArns[t],
                  (input: unknown, context: { signal: AbortSignal; executionArn: string }) =>
                    watcher ? watcher.task(context.executionArn, () => handlers![t](input, context)) : handlers![t](input, context),
                ]),
              ),
              stateMachines: [{ name: STATE_MACHINE_NAME, definition: definitionFor(taskArns) }],
            },
          }
        : {}),
    });
  }
  const athenaClient = await createAthenaClient(logger, embedded?.connection);
  // Large results are read from the files Athena writes to S3 (services/athena/result-file.ts). A results
  // bucket in another region answers with a redirect the client then follows.
  const s3Client = new S3Client(embedded ? { ...embedded.connection, forcePathStyle: true } : { followRegionRedirects: true });
  options.metrics?.instrument(athenaClient, 'athena');
  options.metrics?.instrument(s3Client, 's3');
  let tasks;
  try {
    tasks = composeTasks({
      athenaClient,
      settings,
      dataDir: env.dataDir,
      configFile: env.configFile,
      allowRawSql: env.allowRawSql,
      clock,
      logger,
      builtInRepairs: embedded?.builtInRepairs ?? {},
      s3: { client: s3Client, logger: logger.child({ component: 'athena' }) },
    });
  } catch (err) {
    // A configuration error after the embedded endpoint started: leave nothing running behind it.
    athenaClient.destroy();
    s3Client.destroy();
    await embedded?.endpoint.close();
    throw err;
  }
  const { athena, queries, gaps } = tasks;
  handlers = tasks.handlers;
  const probes: Probe[] = [
    {
      name: 'athena',
      check: async () => {
        await athenaClient.send(new ListQueryExecutionsCommand({ MaxResults: 1, WorkGroup: settings.athena.workgroup }));
      },
    },
  ];
  // Events and leases: in-process, or shared by a fleet through Redis (REDIS_URL).
  const bus = connectEventBus({ redisUrl: env.redisUrl, logger });
  const events = bus.pubSub;
  let sfnClient: SFNClient | undefined;
  let pipeline: PipelineService | undefined;
  let claims: RedisClaims | FileClaims | undefined;
  if (servePipeline) {
    sfnClient = new SFNClient({ ...SFN_CLIENT, ...embedded?.connection });
    options.metrics?.instrument(sfnClient, 'stepfunctions');
    // Polls the runs this instance starts, so a run's ready signal is recorded without anyone asking.
    // One poller per run across the fleet; every poll of this instance draws on one budget.
    watcher = new RunWatcher({ sfn: sfnClient, pubSub: events, leases: bus.leases, budget: new RateBudget(env.historyCallsPerSecond), logger: logger.child({ component: 'runs' }) });
    stateMachineArn ??= `arn:aws:states:${region}:000000000000:stateMachine:${STATE_MACHINE_NAME}`;
    // Each run status is announced once: across the fleet (Redis), or across this instance's restarts.
    claims = bus.redis ? new RedisClaims(bus.redis, bus.instanceId) : new FileClaims(path.join(env.dataDir, 'runs'), logger);
    pipeline = new PipelineService(sfnClient, stateMachineArn, gaps, watcher, logger.child({ component: 'pipeline' }), clock, claims);
    // Ready only when the state machine answers: a wrong GAPWATCH_STATE_MACHINE_ARN shows here, not at the first run.
    const [client, machine] = [sfnClient, stateMachineArn];
    probes.push({ name: 'stepfunctions', check: async () => void (await client.send(new DescribeStateMachineCommand({ stateMachineArn: machine }))) });
    pipeline.onRunUpdated((run, key) => events.announce(Topic.RUN_UPDATED, key, run));
    pipeline.resume(options.discoverRunsMs).catch((err: unknown) => logger.warn({ err }, 'could not resume watching pipeline runs'));
  }
  const scheduler = new GapScheduler(gaps, clock, logger.child({ component: 'scheduler' }));
  const services: Services = {
    health: new HealthService(env.backend, probes, clock.now, (probe, err) => logger.warn({ err, probe }, 'readiness probe failed')),
    events,
    athena,
    queries,
    gaps,
    scheduler,
    ...(pipeline ? { pipeline } : {}),
  };
  // Every kept check and ready signal goes on the bus, for the checkCompleted and datasetReady subscriptions.
  gaps.onCheck((check) => services.events.publish(Topic.CHECK_COMPLETED, check));
  gaps.onReadySignal((signal) => services.events.publish(Topic.DATASET_READY, signal));
  // autoRepair: a scheduled check that found gaps starts a FULL run over its window.
  gaps.onCheck((check) => {
    if (check.trigger !== 'SCHEDULE' || check.status !== 'GAPS' || !pipeline || !gaps.dataset(check.dataset)?.autoRepair) return;
    pipeline.start({ dataset: check.dataset, from: Date.parse(check.from), to: Date.parse(check.to), mode: 'FULL' }).then(
      (run) => logger.info({ dataset: check.dataset, checkId: check.id, runId: run.id }, 'scheduled check found gaps: repair run started'),
      (err: unknown) => logger.error({ err, dataset: check.dataset, checkId: check.id }, 'scheduled check found gaps, but no repair run could be started'),
    );
  });
  if (options.schedule !== false) scheduler.start();
  return {
    services,
    embedded: embedded?.endpoint,
    watcher,
    scheduler,
    handlers,
    async close() {
      await scheduler.stop();
      pipeline?.close();
      await watcher?.close();
      await bus.close();
      sfnClient?.destroy();
      // The endpoint first: it records running executions ABORTED and gives their handlers (which call
      // Athena through athenaClient) their abort signal and time to unwind; with the client destroyed
      // first, a handler would fail instead and its run could be recorded FAILED for a reason it never had.
      await embedded?.endpoint.close();
      if (claims instanceof FileClaims) await claims.flush();
      await tasks.close();
      athenaClient.destroy();
      s3Client.destroy();
    },
  };
}
