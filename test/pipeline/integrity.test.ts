/**
 * The pipeline's integrity over GraphQL and against a local process on the same machine (no API keys, so
 * the embedded endpoint takes its dummy credentials): whatever machines that process creates on the embedded
 * Step Functions, gapwatch's Task handlers hold their input to the dataset's rules; what runs report is what
 * they did.
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

  it('reports what each of 8 concurrent repairs of one day inserted: together, what the table gained', async () => {
    const day = { group: 'GOOG', start: '2024-03-09T00:00:00Z', end: '2024-03-10T00:00:00Z' };
    const count = async (): Promise<number> => {
      const { id } = await runQuery(athena, "SELECT count(*) FROM market.ticks WHERE symbol = 'GOOG' AND capture_datetime >= TIMESTAMP '2024-03-09 00:00:00' AND capture_datetime < TIMESTAMP '2024-03-10 00:00:00'");
      return Number((await resultRows(athena, id))[1]![0]);
    };
    const before = await count();
    // Eight runs of one range, each with its own window (so each is its own run), started at once.
    const started = await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        t.gql(`mutation ($from: DateTime!, $ranges: [GapRangeInput!]) { startRepair(dataset: "stock_ticks", from: $from, to: "2024-03-10", ranges: $ranges) { id } }`, {
          from: new Date(Date.parse('2024-03-09') - k * 3_600_000).toISOString(),
          ranges: [day],
        }),
      ),
    );
    const ids: string[] = started.map((b) => {
      expect(b.errors).toBeUndefined();
      return b.data.startRepair.id;
    });
    expect(new Set(ids).size).toBe(8);
    const runs: any[] = [];
    for (const id of ids) {
      for (let i = 0; ; i++) {
        const run = (await t.gql(`query ($id: ID!) { run(id: $id) { status error cause output } }`, { id })).data.run;
        if (run.status !== 'RUNNING') {
          runs.push(run);
          break;
        }
        if (i > 600) throw new Error(`run ${id} did not end`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const inserted = runs.map((r) => r.output.repaired[0].result.inserted as number);
    const gained = (await count()) - before;
    expect(gained).toBeGreaterThan(1000);
    expect(inserted.reduce((a, b) => a + b, 0)).toBe(gained);
  });
});
