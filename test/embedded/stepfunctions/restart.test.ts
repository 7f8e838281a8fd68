/**
 * Executions and histories survive a restart on the same data dir; a graceful stop records running
 * executions as aborted; after a kill -9 the next start closes the cut-off execution FAILED, saying so;
 * damaged files are skipped with a log line, never a failed start.
 */
import { appendFileSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import pino from 'pino';
import { startEmbedded } from '../../../src/embedded/server';
import { tempDir } from '../helpers';
import { fullHistory, MACHINE, MACHINE_ARN, sfnClient, spawnEndpoint, startSfn, TEST_DEFINITION, waitForEnd, waitForEvent } from './helpers';


describe('embedded Step Functions persistence', () => {
  it('lists runs with full histories after a graceful restart; a run in flight is recorded ABORTED with a cause', async () => {
    const dir = tempDir('gapwatch-sfn-');
    try {
      const first = await startSfn(dir.path);
      const start = async (input: unknown): Promise<string> =>
        (await first.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify(input) }))).executionArn!;
      const done = [await start({ mode: 'work', behaviour: 'ok' }), await start({ mode: 'map', items: [1, 2, 3] }), await start({ mode: 'work', behaviour: 'fatal' })];
      for (const arn of done) await waitForEnd(first.client, arn);
      const slow = await start({ mode: 'slow' });
      await waitForEvent(first.client, slow, 'LambdaFunctionStarted');
      // A handler that takes a moment to unwind after its abort: the shutdown waits for it.
      const lingerer = await first.client.send(
        new CreateStateMachineCommand({
          name: 'lingerer',
          roleArn: 'arn:aws:iam::000000000000:role/r',
          definition: JSON.stringify({ StartAt: 'L', States: { L: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:test-linger', End: true } } }),
        }),
      );
      const linger = (await first.client.send(new StartExecutionCommand({ stateMachineArn: lingerer.stateMachineArn }))).executionArn!;
      await waitForEvent(first.client, linger, 'LambdaFunctionStarted');
      const list = async (c: typeof first.client) => (await c.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN }))).executions;
      const before = await list(first.client);
      const histories = await Promise.all(done.map((arn) => fullHistory(first.client, arn)));
      await first.close();
      expect(first.observed.aborted).toStrictEqual([slow]);
      expect(first.observed.unwound).toStrictEqual([linger]);

      const second = await startSfn(dir.path);
      try {
        const after = await list(second.client);
        expect(after!.map((e) => [e.executionArn, e.name, e.startDate])).toStrictEqual(before!.map((e) => [e.executionArn, e.name, e.startDate]));
        expect(after!.map((e) => e.status)).toStrictEqual(['ABORTED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
        expect(await Promise.all(done.map((arn) => fullHistory(second.client, arn)))).toStrictEqual(histories);
        const aborted = await second.client.send(new DescribeExecutionCommand({ executionArn: slow }));
        expect(aborted).toMatchObject({ status: 'ABORTED', error: 'Gapwatch.EndpointShutdown' });
        expect(aborted.cause).toMatch(/shut down while this execution was running/);
        const events = await fullHistory(second.client, slow);
        expect(events.map((e) => e.type).slice(-3)).toStrictEqual(['LambdaFunctionStarted', 'TaskStateAborted', 'ExecutionAborted']);
        // Names stay taken across restarts, as in AWS.
        const [name] = done[0].split(':').slice(-1);
        const reuse = await second.client
          .send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name, input: JSON.stringify({ mode: 'work', behaviour: 'ok' }) }))
          .catch((e: Error) => e);
        expect((reuse as Error).name).toBe('ExecutionAlreadyExists');
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });

  it('skips damaged records and torn history lines with a log line naming them, and starts', async () => {
    const dir = tempDir('gapwatch-sfn-');
    try {
      const first = await startSfn(dir.path);
      const ok = (await first.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: '{"mode":"work"}' }))).executionArn!;
      await waitForEnd(first.client, ok);
      const full = await fullHistory(first.client, ok);
      await first.close();
      const execDir = path.join(dir.path, 'stepfunctions', 'executions');
      const [events] = readdirSync(execDir).filter((f) => f.endsWith('.events'));
      appendFileSync(path.join(execDir, events), '{"id": 99, "ty');
      writeFileSync(path.join(execDir, '77.json'), '{ torn');
      writeFileSync(path.join(execDir, '78.json'), '"a string"');
      writeFileSync(path.join(dir.path, 'stepfunctions', 'machines', '9.json'), '');

      const lines: string[] = [];
      const logger = pino(new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) }));
      const endpoint = await startEmbedded({
        port: 0,
        dataDir: dir.path,
        logger,
        // No handlers: the stored machine is loaded all the same, and its histories read.
        stepFunctions: { dataDir: dir.path },
      });
      const client = sfnClient(endpoint.url);
      try {
        expect(await fullHistory(client, ok)).toStrictEqual(full);
        const warnings = lines.map((l) => JSON.parse(l) as { msg: string; file: string; line?: number }).filter((l) => /damaged/.test(l.msg));
        expect(warnings.map((w) => [path.basename(w.file), w.line])).toStrictEqual(
          expect.arrayContaining([
            ['77.json', undefined],
            ['78.json', undefined],
            ['9.json', undefined],
            [events, full.length + 1],
          ]),
        );
      } finally {
        client.destroy();
        await endpoint.close();
      }
    } finally {
      dir.remove();
    }
  });

  it('a torn last history line of a running execution is cut on load, so its closing ExecutionFailed is a line of its own', async () => {
    const live = await startSfn();
    const copy = tempDir('gapwatch-sfn-');
    try {
      const arn = (await live.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'torn', input: '{"mode":"slow"}' }))).executionArn!;
      const before = await waitForEvent(live.client, arn, 'LambdaFunctionStarted');
      // The data dir as a crash leaves it: the record RUNNING, the history cut in the middle of a line.
      cpSync(path.join(live.dataDir, 'stepfunctions'), path.join(copy.path, 'stepfunctions'), { recursive: true });
      const dir = path.join(copy.path, 'stepfunctions', 'executions');
      const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.events'))!);
      appendFileSync(file, '{"id":7,"previousEventId":6,"timestamp":17');
      const next = await startSfn(copy.path);
      try {
        const d = await next.client.send(new DescribeExecutionCommand({ executionArn: arn }));
        expect(d).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
        const events = await fullHistory(next.client, arn);
        expect(events.slice(0, before.length)).toStrictEqual(before);
        expect(events.slice(before.length)).toMatchObject([{ id: before.length + 1, type: 'ExecutionFailed' }]);
        // Every line of the file parses: the fragment is gone, not glued to the closing event.
        const lines = readFileSync(file, 'utf8').split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.map((l) => (JSON.parse(l) as { type: string }).type).at(-1)).toBe('ExecutionFailed');
      } finally {
        await next.close();
      }
    } finally {
      await live.stop();
      copy.remove();
    }
  });

  it('after a kill -9 mid-run, the next start closes the run FAILED with an honest cause and keeps its history', async () => {
    const dir = tempDir('gapwatch-sfn-');
    const { child, url } = await spawnEndpoint(dir.path);
    try {
      const client = sfnClient(url);
      const arn = (await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'cut-off', input: '{"mode":"slow"}' }))).executionArn!;
      const before = await waitForEvent(client, arn, 'LambdaFunctionStarted');
      client.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;

      const next = await startSfn(dir.path);
      try {
        const d = await next.client.send(new DescribeExecutionCommand({ executionArn: arn }));
        expect(d).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
        expect(d.cause).toMatch(/^The embedded Step Functions endpoint stopped without shutting down \(a crash or kill\) while this execution was running\. Its last recorded event was #6 LambdaFunctionStarted at /);
        const events = await fullHistory(next.client, arn);
        expect(events.slice(0, before.length)).toStrictEqual(before);
        expect(events.slice(before.length)).toMatchObject([{ id: before.length + 1, previousEventId: before.length, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.Runtime', cause: d.cause } }]);
        // The closing is recorded once: a further restart finds it closed and leaves it be.
        await next.close();
        const third = await startSfn(dir.path);
        try {
          expect(await fullHistory(third.client, arn)).toStrictEqual(events);
        } finally {
          await third.close();
        }
      } finally {
        await next.close();
      }
    } finally {
      child.kill('SIGKILL');
      dir.remove();
    }
  });
});
