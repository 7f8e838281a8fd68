/**
 * AWS Lambda entry points of the pipeline's Tasks (deploy/template.yaml: `Handler: dist/src/lambda.<task>`).
 * Each runs the same handler the embedded Step Functions calls in-process (services/pipeline/handlers.ts),
 * over services built once per container from the same configuration as the service: GAPWATCH_CONFIG for
 * the datasets, the SDK's own configuration for Athena. The event is the Task state's input.
 */
import pino from 'pino';
import { connectBackends, type Backends } from './backends';
import { loadEnvConfig, loadSettings } from './config';
import { realClock } from './services/clock/clock';
import type { TaskName } from './services/pipeline/definition';

/** The part of Lambda's context object the entries read. */
export interface LambdaContext {
  getRemainingTimeInMillis?: () => number;
  invokedFunctionArn?: string;
}

/** Stop this much before Lambda's own deadline, so an action can stop its writes and the error is ours. */
const DEADLINE_MARGIN_MS = 2_000;

let backends: Promise<Backends> | undefined;

/** The services of this container; a failed start is retried by the next invocation rather than kept. */
function services(): Promise<Backends> {
  backends ??= (async () => {
    // A Lambda function always talks to real AWS (or to what AWS_ENDPOINT_URL_* point at); it serves no
    // pipeline itself and runs no schedules. Its only writable disk is /tmp.
    const env = loadEnvConfig({ GAPWATCH_DATA_DIR: '/tmp/gapwatch', ...process.env, GAPWATCH_BACKEND: 'aws' });
    return connectBackends(loadSettings(env), pino({ level: env.logLevel }), realClock, { schedule: false, pipeline: false });
  })().catch((err: unknown) => {
    backends = undefined;
    throw err;
  });
  return backends;
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

/** For tests: drops this container's services (closing them), as a fresh container would start. */
export async function resetForTests(): Promise<void> {
  const current = backends;
  backends = undefined;
  await (await current?.catch(() => undefined))?.close();
}
