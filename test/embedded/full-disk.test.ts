/**
 * The embedded endpoint on a full disk (issue 20): its data dir on a small tmpfs, filled to the brim. An
 * ENOSPC in AthenaEngine.finish → ExecutionStore.save ended the endpoint's worker for good, and a
 * StartExecution whose record could not be written left a RUNNING run with no history that the same
 * request then returned forever. Every write failure now fails that request, query or run with a coded
 * error, keeps nothing in memory the disk does not hold, and the endpoint serves on and recovers once
 * there is room again.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  ListQueryExecutionsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
} from '@aws-sdk/client-athena';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EmbeddedEndpoint } from '../../src/embedded/server';
import { startEmbeddedWorker } from '../../src/embedded/worker-host';
import { startTestApp } from '../support/app';
import { describeSmallDisk, smallDisk, type SmallDisk } from '../support/small-disk';
import { athenaClient, numbers, waitForState } from './helpers';
import { sfnClient, waitForEnd } from './stepfunctions/helpers';

const ROLE = 'arn:aws:iam::000000000000:role/r';
/** Waits a second between two Pass states: long enough to fill the disk while it runs. */
const STEPS = JSON.stringify({
  StartAt: 'First',
  States: { First: { Type: 'Pass', Next: 'Pause' }, Pause: { Type: 'Wait', Seconds: 1, Next: 'Last' }, Last: { Type: 'Pass', Result: { big: 'z'.repeat(64 * 1024) }, End: true } },
});

describeSmallDisk('the embedded endpoint on a full disk', () => {
  let disk: SmallDisk;
  let endpoint: EmbeddedEndpoint;
  let athena: AthenaClient;
  let sfn: SFNClient;
  let machine: string;

  beforeAll(async () => {
    disk = smallDisk(48);
    endpoint = await startEmbeddedWorker({ port: 0, dataDir: disk.path, stepFunctions: { dataDir: disk.path } });
    athena = athenaClient(endpoint.url, 1);
    sfn = sfnClient(endpoint.url);
    machine = (await sfn.send(new CreateStateMachineCommand({ name: 'steps', roleArn: ROLE, definition: STEPS }))).stateMachineArn!;
  });
  afterAll(async () => {
    athena.destroy();
    sfn.destroy();
    await endpoint.close();
    disk.remove();
  });
  afterEach(() => disk.free());

  const names = async (): Promise<string[]> => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }))).executions!.map((e) => e.name!);

  it('StartExecution: refused with ServiceUnavailable and nothing kept; the same request starts the run once there is room', async () => {
    disk.fill();
    const refused = (await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'retried', input: '{}' })).catch((e: unknown) => e)) as Error;
    expect(refused.name).toBe('ServiceUnavailable');
    expect(refused.message).toMatch(/could not store execution retried: ENOSPC/);
    expect(await names()).not.toContain('retried');
    disk.free();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'retried', input: '{}' }));
    expect((await waitForEnd(sfn, executionArn!)).status).toBe('SUCCEEDED');
  });

  it('a running execution whose history cannot be written ends FAILED saying so; the next one succeeds', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{}' }));
    disk.fill();
    const d = await waitForEnd(sfn, executionArn!);
    expect(d).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(d.cause).toMatch(/could not write this execution's history: ENOSPC/);
    disk.free();
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{}' }));
    expect((await waitForEnd(sfn, again.executionArn!)).status).toBe('SUCCEEDED');
    const still = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(still.status).toBe('FAILED');
  });

  it('StartQueryExecution: refused with InternalServerException and nothing kept; works once there is room', async () => {
    const before = (await athena.send(new ListQueryExecutionsCommand({}))).QueryExecutionIds!;
    disk.fill();
    const refused = (await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' })).catch((e: unknown) => e)) as Error;
    expect(refused.name).toBe('InternalServerException');
    expect(refused.message).toMatch(/could not record the query execution .*ENOSPC/);
    expect((await athena.send(new ListQueryExecutionsCommand({}))).QueryExecutionIds).toStrictEqual(before);
    disk.free();
    const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }));
    expect((await waitForState(athena, QueryExecutionId!)).Status!.State).toBe('SUCCEEDED');
  });

  it('a query whose result or record cannot be written ends FAILED (INTERNAL_ERROR, retryable), leaves no result files, and the endpoint serves on', async () => {
    // Started while there is room, finishing once there is none: its result and its final record both fail.
    const { QueryExecutionId } = await athena.send(
      new StartQueryExecutionCommand({ QueryString: `SELECT n, lpad('', 200, 'x') FROM ${numbers(400_000)} WHERE (SELECT count(*) FROM ${numbers(30_000_000)}) > 0` }),
    );
    await waitForState(athena, QueryExecutionId!, ['RUNNING', 'SUCCEEDED', 'FAILED']);
    disk.fill();
    const q = await waitForState(athena, QueryExecutionId!);
    expect(q.Status!.State).toBe('FAILED');
    expect(q.Status!.StateChangeReason).toMatch(/^INTERNAL_ERROR: The embedded Athena endpoint could not write .* \(ENOSPC\)/);
    expect(q.Status!.AthenaError).toMatchObject({ ErrorCategory: 1, Retryable: true });
    expect(readdirSync(path.join(disk.path, 'athena', 'results')).filter((f) => f.startsWith(QueryExecutionId!))).toStrictEqual([]);
    const results = (await athena.send(new GetQueryResultsCommand({ QueryExecutionId })).catch((e: unknown) => e)) as Error;
    expect(results.name).toBe('InvalidRequestException');
    disk.free();
    const { QueryExecutionId: next } = await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 2' }));
    expect((await waitForState(athena, next!)).Status!.State).toBe('SUCCEEDED');
    expect((await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: next }))).QueryExecution!.Status!.State).toBe('SUCCEEDED');
  });

  it('a query ending while the disk is full (its final record refused too) ends FAILED in memory, and the endpoint lives on', async () => {
    const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT count(*) FROM UNNEST(sequence(1, 10000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 10000)) AS b(y) CROSS JOIN UNNEST(sequence(1, 4)) AS c(z) WHERE (x + y + z) % 7 = 3' }));
    await waitForState(athena, QueryExecutionId!, ['RUNNING', 'SUCCEEDED', 'FAILED']);
    disk.fill();
    const q = await waitForState(athena, QueryExecutionId!);
    expect(q.Status!.State).toBe('FAILED');
    expect(q.Status!.StateChangeReason).toMatch(/^INTERNAL_ERROR: The embedded Athena endpoint could not write .* \(ENOSPC\)/);
    // Still serving: another request is answered (ListQueryExecutions writes nothing).
    expect((await athena.send(new ListQueryExecutionsCommand({}))).QueryExecutionIds).toContain(QueryExecutionId);
    disk.free();
    const { QueryExecutionId: next } = await athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 3' }));
    expect((await waitForState(athena, next!)).Status!.State).toBe('SUCCEEDED');
  });
});

describeSmallDisk('the service with its data dir on a full disk', () => {
  it('answers gaps with a coded error (no hang), and checks again once there is room', async () => {
    const disk = smallDisk(48);
    try {
      const t = await startTestApp({ dataDir: disk.path, config: readFileSync(path.resolve(__dirname, '../../gapwatch.config.yaml'), 'utf8') });
      try {
        const GAPS = '{ gaps(dataset: "stock_ticks", from: "2024-03-10", to: "2024-03-11") { status } }';
        disk.fill();
        const refused = await t.gql(GAPS);
        expect(refused.data).toBeNull();
        expect(refused.errors[0].extensions.code).toBe('BACKEND_UNAVAILABLE');
        expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
        disk.free();
        expect((await t.gql(GAPS)).data.gaps.status).toBe('OK');
      } finally {
        await t.stop();
      }
    } finally {
      disk.remove();
    }
  });
});

