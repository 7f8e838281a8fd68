/**
 * How executions end other than by success or a handler's error: Task and execution time-outs, a stop in
 * the middle of a Map, a Map failed at once by one iteration, a Task whose function has no handler. Each
 * ending reaches the handlers' signals, and every Map iteration's end is in the history.
 */
import { CreateStateMachineCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { fullHistory, startSfn, waitForEnd, waitForEvent, type SfnHarness } from './helpers';

const fn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:test-${name}`;

describe('embedded Step Functions: time-outs, stops and missing handlers', () => {
  let h: SfnHarness;
  beforeAll(async () => {
    h = await startSfn();
  });
  afterAll(async () => {
    await h.stop();
  });

  async function run(name: string, definition: unknown, input: unknown = {}): Promise<string> {
    const m = await h.client.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::000000000000:role/r' }));
    return (await h.client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, input: JSON.stringify(input) }))).executionArn!;
  }

  it('a Task past its TimeoutSeconds: LambdaFunctionTimedOut, the handler aborted, FAILED States.Timeout', async () => {
    const arn = await run('task-timeout', { StartAt: 'Wait1', States: { Wait1: { Type: 'Task', Resource: fn('slow'), TimeoutSeconds: 1, End: true } } });
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const events = await fullHistory(h.client, arn);
    expect(events.map((e) => e.type).slice(1)).toStrictEqual(['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionTimedOut', 'ExecutionFailed']);
    expect(events[4].lambdaFunctionTimedOutEventDetails).toStrictEqual({ error: 'States.Timeout', cause: 'The Task ran longer than its TimeoutSeconds (1 s)' });
    expect(h.observed.aborted).toContain(arn);
  });

  it('an execution past its TimeoutSeconds: TIMED_OUT, the running Task aborted', async () => {
    const arn = await run('exec-timeout', { TimeoutSeconds: 1, StartAt: 'Long', States: { Long: { Type: 'Task', Resource: fn('slow'), TimeoutSeconds: 60, End: true } } });
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    const types = (await fullHistory(h.client, arn)).map((e) => e.type);
    expect(types.slice(-3)).toStrictEqual(['LambdaFunctionStarted', 'TaskStateAborted', 'ExecutionTimedOut']);
    expect(h.observed.aborted).toContain(arn);
  });

  it('a stop during a Map: every open iteration aborted, each handler signalled', async () => {
    const arn = await run(
      'map-stop',
      {
        StartAt: 'Fan',
        States: { Fan: { Type: 'Map', MaxConcurrency: 3, ItemProcessor: { StartAt: 'Hang', States: { Hang: { Type: 'Task', Resource: fn('slow'), End: true } } }, End: true } },
      },
      [1, 2, 3],
    );
    for (;;) {
      const events = await waitForEvent(h.client, arn, 'LambdaFunctionStarted');
      if (events.filter((e) => e.type === 'LambdaFunctionStarted').length === 3) break;
    }
    await h.client.send(new StopExecutionCommand({ executionArn: arn }));
    const events = await fullHistory(h.client, arn);
    const tail = events.slice(events.findIndex((e) => e.type === 'TaskStateAborted'));
    expect(tail.map((e) => e.type)).toStrictEqual([
      ...Array(3).fill('TaskStateAborted'),
      ...Array(3).fill('MapIterationAborted'),
      'MapStateAborted',
      'ExecutionAborted',
    ]);
    expect(tail.slice(3, 6).map((e) => e.mapIterationAbortedEventDetails)).toStrictEqual([0, 1, 2].map((index) => ({ name: 'Fan', index })));
    expect(h.observed.aborted.filter((a) => a === arn)).toHaveLength(3);
  });

  it('a Map failed by one iteration at once: that iteration Failed, the one still running Aborted and signalled', async () => {
    // Item 'slow' waits for its signal; item 'bad' waits a second (so 'slow' is surely running), fails its
    // Task, and the Catch leads to a Fail state without any await: the failure ends the execution before
    // the interpreter would forward the iteration's end.
    const arn = await run(
      'map-fail-fast',
      {
        StartAt: 'Fan',
        States: {
          Fan: {
            Type: 'Map',
            ItemProcessor: {
              StartAt: 'Which',
              States: {
                Which: { Type: 'Choice', Choices: [{ Variable: '$', StringEquals: 'bad', Next: 'Pause' }], Default: 'Hang2' },
                Pause: { Type: 'Wait', Seconds: 1, Next: 'Try' },
                Try: { Type: 'Task', Resource: fn('item'), Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Broken' }], End: true },
                Broken: { Type: 'Fail', Error: 'ItemBroken', Cause: 'item said fail' },
                Hang2: { Type: 'Task', Resource: fn('slow'), End: true },
              },
            },
            End: true,
          },
        },
      },
      ['slow', 'bad'],
    );
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'FAILED', error: 'ItemBroken', cause: 'item said fail' });
    const events = await fullHistory(h.client, arn);
    const ends = events.filter((e) => /^MapIteration(Succeeded|Failed|Aborted)$/.test(e.type ?? ''));
    expect(ends.map((e) => [e.type, (e.mapIterationFailedEventDetails ?? e.mapIterationAbortedEventDetails)?.index])).toStrictEqual(
      expect.arrayContaining([
        ['MapIterationFailed', 1],
        ['MapIterationAborted', 0],
      ]),
    );
    expect(ends).toHaveLength(2);
    expect(events.map((e) => e.type).slice(-2)).toStrictEqual(['MapStateFailed', 'ExecutionFailed']);
    expect(h.observed.aborted).toContain(arn);
  });

  it('a Map of instant iterations as the last state: every iteration succeeded before the Map did', async () => {
    const arn = await run(
      'map-instant',
      { StartAt: 'Fan', States: { Fan: { Type: 'Map', ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } }, End: true } } },
      [1, 2, 3, 4, 5],
    );
    expect(await waitForEnd(h.client, arn)).toMatchObject({ status: 'SUCCEEDED', output: '[1,2,3,4,5]' });
    const types = (await fullHistory(h.client, arn)).map((e) => e.type);
    expect(types.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(5);
    expect(types.lastIndexOf('MapIterationSucceeded')).toBeLessThan(types.indexOf('MapStateSucceeded'));
    expect(types.lastIndexOf('PassStateExited')).toBeLessThan(types.indexOf('MapStateSucceeded'));
    expect(types.slice(-3)).toStrictEqual(['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
  });

  it('an input nested too deep for the interpreter ends FAILED States.Runtime instead of staying RUNNING', async () => {
    const arn = await run('deep', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    expect((await waitForEnd(h.client, arn)).status).toBe('SUCCEEDED');
    const m = `arn:aws:states:us-east-1:000000000000:stateMachine:deep`;
    const deep = (await h.client.send(new StartExecutionCommand({ stateMachineArn: m, input: '['.repeat(20_000) + ']'.repeat(20_000) }))).executionArn!;
    const d = await waitForEnd(h.client, deep);
    expect(d).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(d.cause).toMatch(/^The embedded interpreter failed: /);
  });

  it('a Task whose Lambda function has no handler here is refused at CreateStateMachine, saying so', async () => {
    const err = await run('no-handler', { StartAt: 'Missing', States: { Missing: { Type: 'Task', Resource: fn('missing'), End: true } } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.name).toBe('InvalidDefinition');
    expect(err?.message).toBe(
      `Invalid State Machine Definition: 'UNSUPPORTED_FEATURE: Resource (state Missing): no handler is registered for Lambda function ${fn('missing')}; the embedded Step Functions runs Lambda functions registered with it, by their function ARN or through arn:aws:states:::lambda:invoke'`,
    );
  });
});

describe('embedded Step Functions: state names that are also Object.prototype names', () => {
  it('runs Task states named __proto__ and constructor with their own handlers', async () => {
    const h = await startSfn();
    try {
      const m = await h.client.send(
        new CreateStateMachineCommand({
          name: 'prototype-names',
          roleArn: 'arn:aws:iam::000000000000:role/r',
          definition: JSON.stringify({
            StartAt: '__proto__',
            States: {
              ['__proto__']: { Type: 'Task', Resource: fn('work'), Next: 'constructor' },
              constructor: { Type: 'Task', Resource: fn('item'), InputPath: '$.attempts', End: true },
            },
          }),
        }),
      );
      const arn = (await h.client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, input: '{}' }))).executionArn!;
      expect(await waitForEnd(h.client, arn)).toMatchObject({ status: 'SUCCEEDED', output: '2' });
      expect(h.observed.calls.map((c) => c.state)).toStrictEqual(['__proto__', 'constructor']);
    } finally {
      await h.stop();
    }
  });
});
