/**
 * The Lambda functions' composition, and their entry points (deploy/template.yaml: `Handler: index.<task>`
 * in the bundle `npm run build:lambda` makes of this file, scripts/build-lambda.js). Each runs the same
 * handler the embedded Step Functions calls in-process (services/pipeline/handlers.ts), over services built
 * once per container (tasks.ts) from the same configuration file as the service: GAPWATCH_CONFIG for the
 * datasets, the SDK's own configuration for Athena. The event is the Task state's input.
 *
 * It builds only what the Tasks use — the Athena client, the gaps service, the handlers — and imports
 * nothing of the service's HTTP, GraphQL, events or embedded backend, so the bundle holds none of them.
 */
import pino, { type Logger } from 'pino';
import { adoptSdkNodeNotice } from './node-notice';
import { realClock } from './services/clock/clock';
import type { TaskName } from './services/pipeline/definition';
import type { PipelineHandler } from './services/pipeline/handlers';
import { loadBaseEnv, parsePipelineSettings, readConfigFile } from './settings';
import { composeTasks, createAthenaClient } from './tasks';

/** The part of Lambda's context object the entries read. */
export interface LambdaContext {
  getRemainingTimeInMillis?: () => number;
  invokedFunctionArn?: string;
}

/** Stop this much before Lambda's own deadline, so an action can stop its writes and the error is ours. */
const DEADLINE_MARGIN_MS = 2_000;

interface Container {
  handlers: Record<TaskName, PipelineHandler>;
  close(): Promise<void>;
}

let container: Promise<Container> | undefined;

async function start(): Promise<Container> {
  // A Lambda function always talks to real AWS (or to what AWS_ENDPOINT_URL_* point at), so it has no
  // built-in repairs: `repair: sample` is refused here as on an aws-mode service. Its only writable disk is /tmp.
  const env = loadBaseEnv({ GAPWATCH_DATA_DIR: '/tmp/gapwatch', ...process.env });
  const logger: Logger = pino({ level: env.logLevel });
  adoptSdkNodeNotice(logger);
  const settings = parsePipelineSettings(readConfigFile(env.configFile));
  const athenaClient = await createAthenaClient(logger);
  try {
    const tasks = composeTasks({ athenaClient, settings, dataDir: env.dataDir, configFile: env.configFile, allowRawSql: false, clock: realClock, logger, builtInRepairs: {} });
    return {
      handlers: tasks.handlers,
      async close() {
        await tasks.close();
        athenaClient.destroy();
      },
    };
  } catch (err) {
    athenaClient.destroy();
    throw err;
  }
}

/** This container's services; a failed start is retried by the next invocation rather than kept. */
function services(): Promise<Container> {
  container ??= start().catch((err: unknown) => {
    container = undefined;
    throw err;
  });
  return container;
}

function entry(task: TaskName) {
  return async (event: unknown, context: LambdaContext = {}): Promise<unknown> => {
    const { handlers } = await services();
    const left = context.getRemainingTimeInMillis?.();
    const signal = left === undefined ? new AbortController().signal : AbortSignal.timeout(Math.max(1, left - DEADLINE_MARGIN_MS));
    // Lambda reports a thrown error's name as errorType, which the state machine's Retry/Catch match.
    return handlers[task](event, { signal });
  };
}

export const check = entry('check');
export const repair = entry('repair');
export const validate = entry('validate');
export const initiate = entry('initiate');

/**
 * Builds this container's services now rather than at the first invocation, so a configuration the
 * functions would refuse (a bad dataset, `repair: sample`, a missing repair module) fails here:
 * `npm run build:lambda` calls it on the bundle it made.
 */
export async function prepare(): Promise<void> {
  await services();
}

/** For tests: drops this container's services (closing them), as a fresh container would start. */
export async function resetForTests(): Promise<void> {
  const current = container;
  container = undefined;
  await (await current?.catch(() => undefined))?.close();
}
