/** The embedded Step Functions keeps its storage and its running set bounded, as AWS's quotas do. */
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fullHistory, MACHINE_ARN, startSfn, waitForEnd } from './helpers';

describe('embedded Step Functions bounds', () => {
  it('refuses a start past maxRunning with ExecutionLimitExceeded, and forgets the oldest closed runs past maxExecutions', async () => {
    const h = await startSfn(undefined, { maxRunning: 2, maxExecutions: 3 });
    try {
      const start = async (input: unknown): Promise<string> =>
        (await h.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify(input) }))).executionArn!;
      const slow = [await start({ mode: 'slow', n: 1 }), await start({ mode: 'slow', n: 2 })];
      const refused = await start({ mode: 'slow', n: 3 }).catch((e: Error) => e);
      expect((refused as Error).name).toBe('ExecutionLimitExceeded');
      for (const arn of slow) await h.client.send(new StopExecutionCommand({ executionArn: arn }));

      const done: string[] = [];
      for (let i = 0; i < 3; i++) {
        done.push(await start({ mode: 'work', behaviour: 'ok', i }));
        await waitForEnd(h.client, done[i]);
      }
      const listed = await h.client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN }));
      expect(listed.executions!.map((e) => e.executionArn)).toStrictEqual([...done].reverse());
      const gone = await h.client.send(new DescribeExecutionCommand({ executionArn: slow[0] })).catch((e: Error) => e);
      expect((gone as Error).name).toBe('ExecutionDoesNotExist');
      // Forgotten means gone from disk too: three records and three histories remain.
      expect(readdirSync(path.join(h.dataDir, 'stepfunctions', 'executions')).sort()).toHaveLength(6);
    } finally {
      await h.stop();
    }
  });

  it("ends an execution at AWS's 25,000 history events: FAILED States.Runtime, the last event its end", async () => {
    const h = await startSfn();
    try {
      const m = await h.client.send(
        new CreateStateMachineCommand({
          name: 'wide',
          roleArn: 'arn:aws:iam::000000000000:role/r',
          definition: JSON.stringify({ StartAt: 'Fan', States: { Fan: { Type: 'Map', ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } }, End: true } } }),
        }),
      );
      // Four events per iteration: 7,000 items would need 28,000.
      const input = JSON.stringify(Array.from({ length: 7000 }, (_, i) => i));
      const arn = (await h.client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, input }))).executionArn!;
      const d = await waitForEnd(h.client, arn);
      expect(d).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: 'The execution reached the limit of 25000 history events' });
      const events = await fullHistory(h.client, arn, { maxResults: 1000 });
      expect(events).toHaveLength(25_000);
      expect(events[events.length - 1].type).toBe('ExecutionFailed');
    } finally {
      await h.stop();
    }
  });
});
