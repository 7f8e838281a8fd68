import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { startEmbedded, type EmbeddedEndpoint, type StepFunctionsOptions, type TaskHandler } from '../../../src/embedded/server';
import { tempDir } from '../helpers';

const fn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:test-${name}`;

/**
 * A small machine exercising each construct the service must report: Choice, a Task with Retry and
 * Catch, a Map with bounded concurrency, Fail, and a Task that waits for its abort signal.
 */
export const TEST_DEFINITION = JSON.stringify({
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.mode', StringEquals: 'map', Next: 'Each' },
        { Variable: '$.mode', StringEquals: 'slow', Next: 'Slow' },
      ],
      Default: 'Work',
    },
    Work: {
      Type: 'Task',
      Resource: fn('work'),
      TimeoutSeconds: 30,
      Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
      Catch: [{ ErrorEquals: ['Fatal'], ResultPath: '$.error', Next: 'Failed' }],
      End: true,
    },
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Task', Resource: fn('item'), TimeoutSeconds: 30, End: true } } },
      End: true,
    },
    Slow: { Type: 'Task', Resource: fn('slow'), TimeoutSeconds: 60, End: true },
    Failed: { Type: 'Fail', Error: 'WorkFailed', Cause: 'the work task failed' },
  },
});

export const MACHINE = 'test-machine';
export const MACHINE_ARN = `arn:aws:states:us-east-1:000000000000:stateMachine:${MACHINE}`;

const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

/** What the test handlers saw, for assertions. */
export interface Observed {
  calls: { state: string; input: unknown; executionArn: string }[];
  aborted: string[];
  slowStarted: Set<string>;
  /** Executions whose `linger` handler finished unwinding (100 ms after its abort). */
  unwound: string[];
}

export function testHandlers(observed: Observed): Record<string, TaskHandler> {
  const attempts = new Map<string, number>();
  return {
    [fn('work')]: async (input, ctx) => {
      observed.calls.push({ state: ctx.stateName, input, executionArn: ctx.executionArn });
      const n = (attempts.get(ctx.executionArn) ?? 0) + 1;
      attempts.set(ctx.executionArn, n);
      const { behaviour } = input as { behaviour?: string };
      if (behaviour === 'fatal') throw named('Fatal', 'cannot do the work');
      if (behaviour === 'flaky' && n === 1) throw named('Flaky', 'try again');
      if (behaviour === 'always-flaky') throw named('Flaky', `still flaky (attempt ${n})`);
      return { done: true, attempts: n };
    },
    [fn('item')]: async (input, ctx) => {
      observed.calls.push({ state: ctx.stateName, input, executionArn: ctx.executionArn });
      if (input === 'bad') throw named('Fatal', 'bad item');
      return (input as number) * 2;
    },
    [fn('linger')]: (input, ctx) =>
      new Promise((_, reject) => {
        observed.slowStarted.add(ctx.executionArn);
        ctx.signal.addEventListener('abort', () =>
          setTimeout(() => {
            observed.unwound.push(ctx.executionArn);
            reject(named('Aborted', 'unwound'));
          }, 100),
        );
      }),
    [fn('slow')]: (input, ctx) =>
      new Promise((_, reject) => {
        observed.slowStarted.add(ctx.executionArn);
        ctx.signal.addEventListener('abort', () => {
          observed.aborted.push(ctx.executionArn);
          reject(named('Aborted', 'stopped'));
        });
      }),
  };
}

export function sfnClient(url: string): SFNClient {
  return new SFNClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
}

export interface SfnHarness {
  endpoint: EmbeddedEndpoint;
  client: SFNClient;
  dataDir: string;
  observed: Observed;
  /** Stops the endpoint (graceful) but keeps the data dir. */
  close(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSfn(dataDir?: string, extra: Partial<StepFunctionsOptions> = {}): Promise<SfnHarness> {
  const dir = dataDir === undefined ? tempDir('gapwatch-sfn-') : { path: dataDir, remove: () => undefined };
  const observed: Observed = { calls: [], aborted: [], slowStarted: new Set(), unwound: [] };
  const endpoint = await startEmbedded({
    port: 0,
    dataDir: dir.path,
    // Handlers given replace the test's own of the same ARN; the test machine's other Tasks keep theirs.
    stepFunctions: { dataDir: dir.path, stateMachines: [{ name: MACHINE, definition: TEST_DEFINITION }], ...extra, taskHandlers: { ...testHandlers(observed), ...extra.taskHandlers } },
  });
  const client = sfnClient(endpoint.url);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    client.destroy();
    await endpoint.close();
  };
  return {
    endpoint,
    client,
    dataDir: dir.path,
    observed,
    close,
    async stop() {
      await close();
      dir.remove();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitForEnd(client: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    await sleep(20);
  }
}

/** The whole history, following nextToken. */
export async function fullHistory(client: SFNClient, executionArn: string, opts: { maxResults?: number; reverseOrder?: boolean } = {}): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken, ...opts }));
    out.push(...page.events!);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

export async function waitForEvent(client: SFNClient, executionArn: string, type: string): Promise<HistoryEvent[]> {
  for (;;) {
    const events = await fullHistory(client, executionArn, { maxResults: 1000 });
    if (events.some((e) => e.type === type)) return events;
    await sleep(20);
  }
}

const ROOT = path.resolve(__dirname, '../../..');

export interface ChildEndpoint {
  child: ChildProcess;
  url: string;
  /** What the child wrote to stderr so far. */
  stderr(): string;
}

/**
 * The endpoint as built (npm test builds first) with the test machine, in a child process the test can
 * kill or start with node flags. Its slow Task never ends; work and item answer at once.
 */
export async function spawnEndpoint(dataDir: string, nodeArgs: string[] = []): Promise<ChildEndpoint> {
  const script = `
    const { startEmbedded } = require(${JSON.stringify(path.join(ROOT, 'dist/src/embedded/server.js'))});
    const fn = (n) => 'arn:aws:lambda:us-east-1:000000000000:function:test-' + n;
    startEmbedded({
      port: 0,
      dataDir: process.env.DATA_DIR,
      stepFunctions: {
        dataDir: process.env.DATA_DIR,
        stateMachines: [{ name: ${JSON.stringify(MACHINE)}, definition: process.env.DEFINITION }],
        taskHandlers: { [fn('slow')]: () => new Promise(() => {}), [fn('work')]: async () => ({ done: true }), [fn('item')]: async (x) => x },
      },
    }).then((e) => process.stdout.write(e.url + '\\n'));
  `;
  const child = spawn(process.execPath, [...nodeArgs, '-e', script], {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, DEFINITION: TEST_DEFINITION, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the endpoint child exited ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err };
}
