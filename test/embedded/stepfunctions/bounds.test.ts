/** The embedded Step Functions keeps its storage and its running set bounded, as AWS's quotas do. */
import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { MACHINE_ARN, startSfn, waitForEnd } from './helpers';

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
});
