/**
 * Every Step Functions operation over the real @aws-sdk/client-sfn against the embedded endpoint on
 * loopback, with a small test machine (Choice, Task with Retry+Catch, Map, Fail) and test handlers.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { fullHistory, MACHINE, MACHINE_ARN, startSfn, TEST_DEFINITION, waitForEnd, waitForEvent, type SfnHarness } from './helpers';

const EXEC_PREFIX = `arn:aws:states:us-east-1:000000000000:execution:${MACHINE}:`;

describe('embedded Step Functions over @aws-sdk/client-sfn', () => {
  let h: SfnHarness;
  beforeAll(async () => {
    h = await startSfn();
  });
  afterAll(async () => {
    await h.stop();
  });

  const start = async (input: unknown, name?: string): Promise<string> =>
    (await h.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify(input), name }))).executionArn!;
  const error = (p: Promise<unknown>): Promise<{ name: string; message: string }> => p.then(() => ({ name: 'no error', message: '' }), (e: Error) => e);

  it('registers the given machine at start: ListStateMachines and DescribeStateMachine', async () => {
    const list = await h.client.send(new ListStateMachinesCommand({}));
    expect(list.stateMachines!.map((m) => [m.name, m.stateMachineArn, m.type])).toStrictEqual([[MACHINE, MACHINE_ARN, 'STANDARD']]);
    expect(list.stateMachines![0].creationDate).toBeInstanceOf(Date);
    const d = await h.client.send(new DescribeStateMachineCommand({ stateMachineArn: MACHINE_ARN }));
    expect(d).toMatchObject({ name: MACHINE, status: 'ACTIVE', definition: TEST_DEFINITION, type: 'STANDARD' });
  });

  it('CreateStateMachine: new, idempotent repeat, conflicting repeat, invalid definition, invalid name', async () => {
    const def = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const roleArn = 'arn:aws:iam::000000000000:role/r';
    const a = await h.client.send(new CreateStateMachineCommand({ name: 'other', definition: def, roleArn }));
    expect(a.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:other');
    const again = await h.client.send(new CreateStateMachineCommand({ name: 'other', definition: def, roleArn }));
    expect(again.creationDate).toStrictEqual(a.creationDate);
    const conflict = await error(h.client.send(new CreateStateMachineCommand({ name: 'other', definition: TEST_DEFINITION, roleArn })));
    expect(conflict.name).toBe('StateMachineAlreadyExists');
    const bad = await error(h.client.send(new CreateStateMachineCommand({ name: 'bad', definition: '{"StartAt":"Nope","States":{}}', roleArn })));
    expect(bad.name).toBe('InvalidDefinition');
    const notJson = await error(h.client.send(new CreateStateMachineCommand({ name: 'bad', definition: '{', roleArn })));
    expect(notJson.message).toMatch(/^Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION/);
    const dup = JSON.stringify({
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'M', States: { M: { Type: 'Pass', End: true } } }, End: true } },
    });
    expect((await error(h.client.send(new CreateStateMachineCommand({ name: 'dup', definition: dup, roleArn })))).message).toMatch(/DUPLICATE_STATE_NAMES.*: M'$/);
    const names = ['has space', 'a:b', 'a/b', 'tab\there', 'x'.repeat(81), '..'];
    const outcomes = await Promise.all(names.map((name) => error(h.client.send(new CreateStateMachineCommand({ name, definition: def, roleArn }))).then((e) => e.name)));
    // '..' is a valid AWS name; it is safe because no file is named after a name.
    expect(outcomes).toStrictEqual(['InvalidName', 'InvalidName', 'InvalidName', 'InvalidName', 'ValidationException', 'no error']);
  });

  it('runs Choice → Task to SUCCEEDED with an AWS-shaped history (ids 1..n, previousEventId, LambdaFunction events)', async () => {
    const arn = await start({ mode: 'work', behaviour: 'ok' }, 'plain-ok');
    expect(arn).toBe(`${EXEC_PREFIX}plain-ok`);
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'SUCCEEDED', name: 'plain-ok', stateMachineArn: MACHINE_ARN, output: JSON.stringify({ done: true, attempts: 1 }) });
    expect(d.startDate).toBeInstanceOf(Date);
    expect(d.stopDate!.getTime()).toBeGreaterThanOrEqual(d.startDate!.getTime());
    const events = await fullHistory(h.client, arn);
    expect(events.map((e) => e.type)).toStrictEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    // As AWS records it: the first state's entry points at no event, every later one at the one before it.
    expect(events.map((e) => [e.id, e.previousEventId])).toStrictEqual(events.map((_, i) => [i + 1, i === 1 ? 0 : i]));
    expect(events[0].executionStartedEventDetails).toMatchObject({ input: JSON.stringify({ mode: 'work', behaviour: 'ok' }) });
    expect(events[3].stateEnteredEventDetails).toMatchObject({ name: 'Work' });
    // A bare function ARN: AWS's LambdaFunction* events, whose details name no resource type nor region.
    expect(events[4].lambdaFunctionScheduledEventDetails).toStrictEqual({
      resource: 'arn:aws:lambda:us-east-1:000000000000:function:test-work',
      input: JSON.stringify({ mode: 'work', behaviour: 'ok' }),
      inputDetails: { truncated: false },
      timeoutInSeconds: 30,
    });
    expect(events[5]).not.toHaveProperty('lambdaFunctionStartedEventDetails');
    expect(events[6].lambdaFunctionSucceededEventDetails).toStrictEqual({ output: JSON.stringify({ done: true, attempts: 1 }), outputDetails: { truncated: false } });
    expect(events[8].executionSucceededEventDetails!.output).toBe(d.output);
    expect(events.every((e) => e.timestamp instanceof Date)).toBe(true);
    expect(h.observed.calls.find((c) => c.executionArn === arn)).toMatchObject({ state: 'Work' });
  });

  it('shows retries as repeated Task events, then succeeds', async () => {
    const arn = await start({ mode: 'work', behaviour: 'flaky' });
    expect((await waitForEnd(h.client, arn)).status).toBe('SUCCEEDED');
    const types = (await fullHistory(h.client, arn)).map((e) => e.type);
    expect(types.slice(3, 11)).toStrictEqual(['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited']);
  });

  it('Catch → Fail: FAILED with the Fail state error and cause', async () => {
    const arn = await start({ mode: 'work', behaviour: 'fatal' });
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'FAILED', error: 'WorkFailed', cause: 'the work task failed' });
    const events = await fullHistory(h.client, arn);
    expect(events.map((e) => e.type).slice(3)).toStrictEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    // Lambda's function error: errorType as the error, the runtime's JSON error document as the cause.
    expect(events[6].lambdaFunctionFailedEventDetails!.error).toBe('Fatal');
    expect(JSON.parse(events[6].lambdaFunctionFailedEventDetails!.cause!)).toMatchObject({ errorType: 'Fatal', errorMessage: 'cannot do the work', trace: expect.arrayContaining(['Fatal: cannot do the work']) });
    expect(events[9].executionFailedEventDetails).toStrictEqual({ error: 'WorkFailed', cause: 'the work task failed' });
  });

  it('retries exhausted without a matching Catch: FAILED with the Task error, every attempt visible', async () => {
    const arn = await start({ mode: 'work', behaviour: 'always-flaky' });
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'FAILED', error: 'Flaky' });
    expect(JSON.parse(d.cause!)).toMatchObject({ errorType: 'Flaky', errorMessage: 'still flaky (attempt 3)' });
    const types = (await fullHistory(h.client, arn)).map((e) => e.type);
    expect(types.filter((t) => t === 'LambdaFunctionFailed')).toHaveLength(3);
    expect(types[types.length - 1]).toBe('ExecutionFailed');
  });

  it('Map: one iteration per item, bounded concurrency, MapStateStarted length, output in order', async () => {
    const arn = await start({ mode: 'map', items: [1, 2, 3] });
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'SUCCEEDED', output: '[2,4,6]' });
    const events = await fullHistory(h.client, arn);
    const types = events.map((e) => e.type);
    expect(types.slice(3, 5)).toStrictEqual(['MapStateEntered', 'MapStateStarted']);
    expect(events[4].mapStateStartedEventDetails).toStrictEqual({ length: 3 });
    expect(types.slice(-3)).toStrictEqual(['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    const started = events.filter((e) => e.type === 'MapIterationStarted').map((e) => e.mapIterationStartedEventDetails);
    expect(started).toStrictEqual([0, 1, 2].map((index) => ({ name: 'Each', index })));
    expect(types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(3);
    // MaxConcurrency 2: never more than two iterations open at once.
    let open = 0;
    let most = 0;
    for (const t of types) {
      if (t === 'MapIterationStarted') most = Math.max(most, ++open);
      if (t === 'MapIterationSucceeded') open--;
    }
    expect(most).toBe(2);
    expect(types.filter((t) => t === 'LambdaFunctionSucceeded')).toHaveLength(3);
    // previousEventId is causal, as in AWS: each iteration is a chain from MapStateStarted through its own
    // Task events to its MapIterationSucceeded, however the concurrent iterations interleave.
    const byId = new Map(events.map((e) => [e.id!, e]));
    for (const end of events.filter((e) => e.type === 'MapIterationSucceeded')) {
      const chain: string[] = [];
      for (let e = end; e.type !== 'MapStateStarted'; e = byId.get(e.previousEventId!)!) chain.unshift(e.type!);
      expect(chain).toStrictEqual([
        'MapIterationStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'MapIterationSucceeded',
      ]);
      const index = end.mapIterationSucceededEventDetails!.index;
      expect(byId.get(end.previousEventId!)!.stateExitedEventDetails!.output).toBe(String([2, 4, 6][index!]));
    }
  });

  it('Map with a failing item: MapIterationFailed, MapStateFailed, FAILED with the item error', async () => {
    const arn = await start({ mode: 'map', items: [1, 'bad'] });
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'FAILED', error: 'Fatal' });
    expect(JSON.parse(d.cause!)).toMatchObject({ errorType: 'Fatal', errorMessage: 'bad item' });
    const types = (await fullHistory(h.client, arn)).map((e) => e.type);
    expect(types).toContain('MapIterationFailed');
    expect(types.slice(-2)).toStrictEqual(['MapStateFailed', 'ExecutionFailed']);
    expect(types).not.toContain('MapStateSucceeded');
  });

  it('StopExecution aborts the running handler through its signal: ABORTED with error and cause', async () => {
    const arn = await start({ mode: 'slow' });
    await waitForEvent(h.client, arn, 'LambdaFunctionStarted');
    const stopped = await h.client.send(new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'no longer needed' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(h.observed.aborted).toContain(arn);
    const d = await h.client.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(d).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'no longer needed' });
    const events = await fullHistory(h.client, arn);
    expect(events[events.length - 1]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'no longer needed' } });
    // The handler's rejection after the stop adds nothing: the history ended at the abort.
    await new Promise((r) => setTimeout(r, 50));
    expect(await fullHistory(h.client, arn)).toHaveLength(events.length);
    // Stopping a closed execution changes nothing.
    await h.client.send(new StopExecutionCommand({ executionArn: arn }));
    expect((await h.client.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('ABORTED');
  });

  it('StartExecution is idempotent for the name and input of a running execution only', async () => {
    const input = { mode: 'slow', n: 1 };
    const [a, b] = await Promise.all([start(input, 'twice'), start(input, 'twice')]);
    expect(a).toBe(b);
    expect((await error(start({ mode: 'slow', n: 2 }, 'twice'))).name).toBe('ExecutionAlreadyExists');
    await h.client.send(new StopExecutionCommand({ executionArn: a }));
    const reuse = await error(start(input, 'twice'));
    expect(reuse).toMatchObject({ name: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${a}'` });
    const list = await h.client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, maxResults: 1000 }));
    expect(list.executions!.filter((e) => e.name === 'twice')).toHaveLength(1);
  });

  it('answers AWS error types for bad names, ARNs, tokens, inputs and limits', async () => {
    const cases: [Promise<unknown>, string][] = [
      [h.client.send(new DescribeExecutionCommand({ executionArn: `${EXEC_PREFIX}nope` })), 'ExecutionDoesNotExist'],
      [h.client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:other-machine:x' })), 'ExecutionDoesNotExist'],
      [h.client.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })), 'InvalidArn'],
      [h.client.send(new DescribeExecutionCommand({ executionArn: MACHINE_ARN })), 'InvalidArn'],
      [h.client.send(new StopExecutionCommand({ executionArn: `${EXEC_PREFIX}nope` })), 'ExecutionDoesNotExist'],
      [h.client.send(new DescribeStateMachineCommand({ stateMachineArn: `${MACHINE_ARN}x` })), 'StateMachineDoesNotExist'],
      [h.client.send(new StartExecutionCommand({ stateMachineArn: `${MACHINE_ARN}x` })), 'StateMachineDoesNotExist'],
      [h.client.send(new ListExecutionsCommand({ stateMachineArn: `${MACHINE_ARN}x` })), 'StateMachineDoesNotExist'],
      [h.client.send(new ListExecutionsCommand({ stateMachineArn: 'arn:aws:states:::nope' })), 'InvalidArn'],
      [h.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'a b' })), 'InvalidName'],
      [h.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, name: 'x'.repeat(81) })), 'ValidationException'],
      [h.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: '{not json' })), 'InvalidExecutionInput'],
      [h.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ s: 'é'.repeat(140_000) }) })), 'ValidationException'],
      [h.client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, nextToken: 'garbage' })), 'InvalidToken'],
      [h.client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, maxResults: 1001 })), 'ValidationException'],
      [h.client.send(new ListStateMachinesCommand({ nextToken: 'garbage' })), 'InvalidToken'],
      [h.client.send(new GetExecutionHistoryCommand({ executionArn: `${EXEC_PREFIX}nope` })), 'ExecutionDoesNotExist'],
    ];
    const names = await Promise.all(cases.map(([p]) => error(p).then((e) => e.name)));
    expect(names).toStrictEqual(cases.map(([, n]) => n));
    const missing = await error(h.client.send(new DescribeExecutionCommand({ executionArn: `${EXEC_PREFIX}nope` })));
    expect(missing.message).toBe(`Execution Does Not Exist: '${EXEC_PREFIX}nope'`);
  });

  it('speaks JSON 1.0 on the wire; unknown operations (prototype names too) are 400 UnknownOperationException', async () => {
    const post = (target: string, body = '{}'): Promise<Response> =>
      fetch(h.endpoint.url, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target }, body });
    const ok = await post('AWSStepFunctions.ListStateMachines');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    for (const op of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Nope']) {
      const res = await post(`AWSStepFunctions.${op}`);
      expect([op, res.status, await res.json()]).toStrictEqual([
        op,
        400,
        { __type: 'UnknownOperationException', message: `Operation ${op} is not supported by the embedded Step Functions endpoint` },
      ]);
    }
    const bad = await post('AWSStepFunctions.DescribeExecution', JSON.stringify({ executionArn: 'x' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toStrictEqual({ __type: 'InvalidArn', message: "Invalid Arn: 'x' is not a execution ARN" });
    const wrongType = await post('AWSStepFunctions.GetExecutionHistory', JSON.stringify({ executionArn: `${EXEC_PREFIX}x`, reverseOrder: 'yes' }));
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { __type: string }).__type).toBe('ValidationException');
  });

  it('pages GetExecutionHistory forwards and in reverse, with or without execution data', async () => {
    const arn = await start({ mode: 'map', items: [1, 2, 3, 4] });
    await waitForEnd(h.client, arn);
    const all = await fullHistory(h.client, arn, { maxResults: 1000 });
    expect(all.length).toBeGreaterThan(20);
    const paged = await fullHistory(h.client, arn, { maxResults: 3 });
    expect(paged).toStrictEqual(all);
    const reversed = await fullHistory(h.client, arn, { maxResults: 4, reverseOrder: true });
    expect(reversed).toStrictEqual([...all].reverse());
    const first = await h.client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2 }));
    const wrongScope = await error(h.client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 2, reverseOrder: true, nextToken: first.nextToken })));
    expect(wrongScope.name).toBe('InvalidToken');
    const bare = await h.client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1, includeExecutionData: false }));
    expect(bare.events![0].executionStartedEventDetails).toStrictEqual({ roleArn: expect.any(String) });
    const over = await error(h.client.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1001 })));
    expect(over.name).toBe('ValidationException');
  });

  it('ListExecutions: newest first, statusFilter, stable paging', async () => {
    const own = await h.client.send(new CreateStateMachineCommand({
      name: 'lister',
      definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
      roleArn: 'arn:aws:iam::000000000000:role/r',
    }));
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = (await h.client.send(new StartExecutionCommand({ stateMachineArn: own.stateMachineArn, name: `run-${i}` }))).executionArn!;
      await waitForEnd(h.client, a);
      arns.push(a);
    }
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.client.send(new ListExecutionsCommand({ stateMachineArn: own.stateMachineArn, maxResults: 2, nextToken }));
      pages.push(page.executions!.map((e) => e.name!));
      nextToken = page.nextToken;
      // An execution started between pages does not shift the pages already being read.
      if (pages.length === 1) await h.client.send(new StartExecutionCommand({ stateMachineArn: own.stateMachineArn, name: 'late' }));
    } while (nextToken);
    expect(pages).toStrictEqual([['run-4', 'run-3'], ['run-2', 'run-1'], ['run-0']]);
    const succeeded = await h.client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, statusFilter: 'ABORTED' }));
    expect(succeeded.executions!.length).toBeGreaterThan(0);
    expect(succeeded.executions!.every((e) => e.status === 'ABORTED')).toBe(true);
    const bad = await error(h.client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE_ARN, statusFilter: 'DONE' as never })));
    expect(bad.name).toBe('ValidationException');
  });
});
