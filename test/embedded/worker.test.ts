import { execFileSync } from 'node:child_process';
import { isMainThread } from 'node:worker_threads';
import { Writable } from 'node:stream';
import pino from 'pino';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { type EmbeddedEndpoint, type TaskHandler } from '../../src/embedded/server';
import { startEmbeddedWorker } from '../../src/embedded/worker-host';
import { PortInUseError } from '../../src/errors';
import { startTestApp } from '../support/app';
import { athenaClient, tempDir } from './helpers';
import { MACHINE, MACHINE_ARN, sfnClient, TEST_DEFINITION, testHandlers, waitForEnd, waitForEvent, type Observed } from './stepfunctions/helpers';

/** ListQueryExecutions from another process, while this thread is blocked until that process is done. */
function listFromAnotherProcess(url: string): { status: number; body: unknown } {
  const script = `
    fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonAthena.ListQueryExecutions' }, body: '{}' })
      .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() })))
      .catch((e) => { process.stderr.write(String(e)); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { timeout: 30_000, encoding: 'utf8' })) as { status: number; body: unknown };
}

describe('the embedded endpoint on a worker thread of the service', () => {
  it('answers while the service thread is blocked: it runs on a thread of its own', async () => {
    const t = await startTestApp();
    try {
      // execFileSync blocks this thread until the child exits; an endpoint on this thread could not answer it.
      const { status, body } = listFromAnotherProcess(t.app.embedded!.url);
      expect(status).toBe(200);
      expect(body).toHaveProperty('QueryExecutionIds');
      // And the service still reaches it through its own SDK client.
      const health = await t.gql('{ health { status } }');
      expect(health.data.health.status).toBe('OK');
    } finally {
      await t.stop();
    }
  });

  describe('Step Functions Task handlers stay on the service thread', () => {
    const dir = tempDir('gapwatch-worker-');
    const observed: Observed = { calls: [], aborted: [], unwound: [], slowStarted: new Set() };
    const threads: boolean[] = [];
    let endpoint: EmbeddedEndpoint;
    const client = () => sfnClient(endpoint.url);

    beforeAll(async () => {
      const handlers = testHandlers(observed);
      // Each handler notes whether it ran on the main thread, then behaves as the shared test handlers do.
      const noted: Record<string, TaskHandler> = Object.fromEntries(
        Object.entries(handlers).map(([arn, h]) => [arn, (input, ctx) => (threads.push(isMainThread), h(input, ctx))] as const),
      );
      endpoint = await startEmbeddedWorker({
        port: 0,
        dataDir: dir.path,
        stepFunctions: { dataDir: dir.path, taskHandlers: noted, stateMachines: [{ name: MACHINE, definition: TEST_DEFINITION }] },
      });
    });
    afterAll(async () => {
      await endpoint.close();
      dir.remove();
    });

    it('passes input and context in and the result back', async () => {
      const sfn = client();
      try {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'work', behaviour: 'flaky' }) }));
        const done = await waitForEnd(sfn, executionArn!);
        expect(done.status).toBe('SUCCEEDED');
        // Flaky once, then retried by the ASL Retry: the error's name crossed the thread as it was thrown.
        expect(JSON.parse(done.output!)).toStrictEqual({ done: true, attempts: 2 });
        const mine = observed.calls.filter((c) => c.executionArn === executionArn);
        expect(mine).toStrictEqual([
          { state: 'Work', input: { mode: 'work', behaviour: 'flaky' }, executionArn },
          { state: 'Work', input: { mode: 'work', behaviour: 'flaky' }, executionArn },
        ]);
        expect(threads.length).toBeGreaterThan(0);
        expect(threads.every(Boolean)).toBe(true);
      } finally {
        sfn.destroy();
      }
    });

    it("carries a thrown error's name and message back, so Catch matches it", async () => {
      const sfn = client();
      try {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'work', behaviour: 'fatal' }) }));
        const done = await waitForEnd(sfn, executionArn!);
        expect(done.status).toBe('FAILED');
        expect(done.error).toBe('WorkFailed');
        const events = await waitForEvent(sfn, executionArn!, 'LambdaFunctionFailed');
        const failed = events.find((e) => e.type === 'LambdaFunctionFailed')!;
        expect(failed.lambdaFunctionFailedEventDetails!.error).toBe('Fatal');
        expect(JSON.parse(failed.lambdaFunctionFailedEventDetails!.cause!)).toMatchObject({ errorType: 'Fatal', errorMessage: 'cannot do the work' });
      } finally {
        sfn.destroy();
      }
    });

    it("forwards StopExecution to the handler's AbortSignal", async () => {
      const sfn = client();
      try {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'slow' }) }));
        await waitForEvent(sfn, executionArn!, 'LambdaFunctionStarted');
        for (let i = 0; i < 500 && !observed.slowStarted.has(executionArn!); i++) await new Promise((r) => setTimeout(r, 10));
        expect(observed.slowStarted.has(executionArn!)).toBe(true);
        await sfn.send(new StopExecutionCommand({ executionArn, error: 'Stopped', cause: 'by the test' }));
        expect((await waitForEnd(sfn, executionArn!)).status).toBe('ABORTED');
        for (let i = 0; i < 500 && !observed.aborted.includes(executionArn!); i++) await new Promise((r) => setTimeout(r, 10));
        expect(observed.aborted).toContain(executionArn);
      } finally {
        sfn.destroy();
      }
    });
  });

  it('rejects with the start-up error (a port in use) and leaves nothing running', async () => {
    const dir = tempDir('gapwatch-worker-');
    const first = await startEmbeddedWorker({ port: 0, dataDir: dir.path });
    const port = Number(new URL(first.url).port);
    await first.close();
    // Closed means the port is free again: a second endpoint can take it, and a third on it cannot.
    const second = await startEmbeddedWorker({ port, dataDir: dir.path });
    const other = tempDir('gapwatch-worker-');
    try {
      await expect(startEmbeddedWorker({ port, dataDir: other.path })).rejects.toThrow(new PortInUseError(port, '127.0.0.1', 'GAPWATCH_EMBEDDED_PORT'));
    } finally {
      await second.close();
      other.remove();
    }
    const client = athenaClient(second.url, 1);
    await expect(client.send(new ListQueryExecutionsCommand({}))).rejects.toThrow();
    client.destroy();
    dir.remove();
  });

  it("writes the worker's log lines to the service logger's stream, with its bindings", async () => {
    const dir = tempDir('gapwatch-worker-');
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(...chunk.toString().split('\n').filter(Boolean)), cb()) });
    const logger = pino({ level: 'info', base: { service: 'gapwatch' } }, sink).child({ component: 'embedded' });
    const endpoint = await startEmbeddedWorker({ port: 0, dataDir: dir.path, logger });
    await endpoint.close();
    dir.remove();
    const listening = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'embedded AWS endpoint listening');
    expect(listening).toMatchObject({ service: 'gapwatch', component: 'embedded', url: endpoint.url });
  });
});
