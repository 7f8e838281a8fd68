/**
 * The pipeline against a local process on the same machine (no API keys, so the embedded endpoint takes its
 * dummy credentials): whatever machines it creates on the embedded Step Functions, gapwatch's Task handlers
 * hold their input to the dataset's rules.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';
import { runQuery, resultRows } from '../embedded/helpers';

const DUMMY = { accessKeyId: 'x', secretAccessKey: 'x' };
const ROLE = 'arn:aws:iam::000000000000:role/r';
const task = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:gapwatch-${name}`;

describe('a local process and the embedded Step Functions', () => {
  let t: TestApp;
  let sfn: SFNClient;
  let athena: AthenaClient;
  beforeAll(async () => {
    t = await startTestApp({ config: STOCK_TICKS_YAML });
    sfn = new SFNClient({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials: DUMMY });
    athena = new AthenaClient({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials: DUMMY });
  });
  afterAll(async () => {
    sfn.destroy();
    athena.destroy();
    await t.stop();
  });

  /** Creates a machine of one state and runs it to its end. */
  async function runMachine(name: string, state: object): Promise<{ status?: string; error?: string; cause?: string; output?: string; executionArn: string }> {
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name, roleArn: ROLE, definition: JSON.stringify({ StartAt: 'S', States: { S: { ...state, End: true } } }) }));
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    for (let i = 0; i < 300; i++) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING') return { status: d.status, error: d.error, cause: d.cause, output: d.output, executionArn: executionArn! };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} did not end`);
  }

  it("cannot make gapwatch's repair handler write a range longer than the dataset's maxWindow", async () => {
    const ended = await runMachine('long-repair', {
      Type: 'Task',
      Resource: task('repair'),
      Parameters: { dataset: 'stock_ticks', range: { group: 'AMZN', start: '1990-01-01T00:00:00Z', end: '1990-03-01T00:00:00Z' } },
    });
    expect(ended).toMatchObject({ status: 'FAILED', error: 'gapwatch.InvalidInput' });
    expect(ended.cause).toMatch(/input.range: window of 1416h exceeds maxWindow of 744h for dataset stock_ticks/);
    const { id } = await runQuery(athena, "SELECT count(*) FROM market.ticks WHERE capture_datetime < TIMESTAMP '2000-01-01 00:00:00'");
    expect(await resultRows(athena, id)).toStrictEqual([['_col0'], ['0']]);
  });

  it('cannot have Validate judge ranges outside its window, nor Initiate sign for another execution', async () => {
    const validate = await runMachine('outside-validate', {
      Type: 'Task',
      Resource: task('validate'),
      Parameters: { dataset: 'stock_ticks', from: '2024-03-05T00:00:00Z', to: '2024-03-06T00:00:00Z', ranges: [{ group: 'AMZN', start: '2024-03-08T09:00:00Z', end: '2024-03-08T10:00:00Z' }] },
    });
    expect(validate).toMatchObject({ status: 'FAILED', error: 'gapwatch.InvalidInput' });
    const initiate = await runMachine('forged-initiate', {
      Type: 'Task',
      Resource: task('initiate'),
      Parameters: { dataset: 'stock_ticks', from: '2024-03-04T00:00:00Z', to: '2024-03-14T00:00:00Z', runId: 'forged' },
    });
    expect(initiate).toMatchObject({ status: 'FAILED', error: 'gapwatch.InvalidInput' });
    expect(initiate.cause).toMatch(/input.runId: expected this execution's ARN/);
  });
});
