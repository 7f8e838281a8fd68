/**
 * The AWS CLI v2 (Debian package `awscli`, /usr/bin/aws) against the embedded Step Functions: the
 * commands a person following docs/embedded-stepfunctions.md types. Skipped only on a developer machine
 * without the CLI; in CI (.ci/run installs it) a missing CLI must fail.
 */
import { awsCli, describeCli } from '../helpers';
import { MACHINE, MACHINE_ARN, startSfn, waitForEnd, waitForEvent, type SfnHarness } from './helpers';

interface Event {
  id: number;
  previousEventId: number;
  type: string;
  timestamp: string;
}

describeCli('AWS CLI against the embedded Step Functions', () => {
  let h: SfnHarness;
  beforeAll(async () => {
    h = await startSfn();
  });
  afterAll(async () => {
    await h.stop();
  });

  const aws = <T>(...args: string[]): Promise<T> => awsCli<T>(h.endpoint.url, h.dataDir, 'stepfunctions', ...args);

  it('list-state-machines, start-execution, describe-execution, get-execution-history (paged), list-executions', async () => {
    const machines = await aws<{ stateMachines: { name: string; stateMachineArn: string }[] }>('list-state-machines');
    expect(machines.stateMachines.map((m) => [m.name, m.stateMachineArn])).toStrictEqual([[MACHINE, MACHINE_ARN]]);

    const started = await aws<{ executionArn: string; startDate: string }>(
      'start-execution',
      '--state-machine-arn',
      MACHINE_ARN,
      '--name',
      'from-the-cli',
      '--input',
      JSON.stringify({ mode: 'map', items: [1, 2, 3] }),
    );
    expect(started.executionArn).toBe(`arn:aws:states:us-east-1:000000000000:execution:${MACHINE}:from-the-cli`);
    // The CLI prints epoch-second timestamps as ISO dates: proof it read them as timestamps.
    expect(started.startDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    await waitForEnd(h.client, started.executionArn);

    const [described, whole, paged, firstThree, listed] = await Promise.all([
      aws<Record<string, unknown>>('describe-execution', '--execution-arn', started.executionArn),
      aws<{ events: Event[] }>('get-execution-history', '--execution-arn', started.executionArn),
      // --page-size makes the CLI ask for 2 events a call and follow the endpoint's nextToken to the end.
      aws<{ events: Event[] }>('get-execution-history', '--execution-arn', started.executionArn, '--page-size', '2'),
      aws<{ events: Event[]; NextToken?: string }>('get-execution-history', '--execution-arn', started.executionArn, '--max-items', '3', '--reverse-order'),
      aws<{ executions: { name: string; status: string }[] }>('list-executions', '--state-machine-arn', MACHINE_ARN, '--status-filter', 'SUCCEEDED'),
    ]);
    expect(described).toMatchObject({ name: 'from-the-cli', status: 'SUCCEEDED', output: '[2,4,6]', stateMachineArn: MACHINE_ARN });
    expect(whole.events.map((e) => e.id)).toStrictEqual(whole.events.map((_, i) => i + 1));
    expect(whole.events[0].type).toBe('ExecutionStarted');
    expect(whole.events[whole.events.length - 1].type).toBe('ExecutionSucceeded');
    expect(paged.events).toStrictEqual(whole.events);
    expect(firstThree.events.map((e) => e.id)).toStrictEqual([whole.events.length, whole.events.length - 1, whole.events.length - 2]);
    const rest = await aws<{ events: Event[] }>('get-execution-history', '--execution-arn', started.executionArn, '--reverse-order', '--starting-token', firstThree.NextToken!);
    expect([...firstThree.events, ...rest.events]).toStrictEqual([...whole.events].reverse());
    expect(listed.executions).toStrictEqual([expect.objectContaining({ name: 'from-the-cli', status: 'SUCCEEDED' })]);
  });

  it('stop-execution aborts a running execution; errors read as AWS prints them', async () => {
    const started = await aws<{ executionArn: string }>('start-execution', '--state-machine-arn', MACHINE_ARN, '--input', '{"mode":"slow"}');
    await waitForEvent(h.client, started.executionArn, 'LambdaFunctionStarted');
    const stopped = await aws<{ stopDate: string }>('stop-execution', '--execution-arn', started.executionArn, '--cause', 'from the CLI');
    expect(stopped.stopDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    const described = await aws<Record<string, unknown>>('describe-execution', '--execution-arn', started.executionArn);
    expect(described).toMatchObject({ status: 'ABORTED', cause: 'from the CLI' });
    expect(h.observed.aborted).toContain(started.executionArn);

    const missing = `arn:aws:states:us-east-1:000000000000:execution:${MACHINE}:nope`;
    const err = await aws('describe-execution', '--execution-arn', missing).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr.trim()).toBe(
      `An error occurred (ExecutionDoesNotExist) when calling the DescribeExecution operation: Execution Does Not Exist: '${missing}'`,
    );
  });
});
