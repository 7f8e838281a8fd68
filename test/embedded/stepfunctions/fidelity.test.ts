/**
 * Where the interpreter alone would answer differently from AWS: Task resources it cannot run, JSONata and
 * variables (refused at CreateStateMachine, naming what), `arn:aws:states:::lambda:invoke` (run against the
 * handlers with AWS's output shape and Task* events), and DescribeExecution's redrive fields.
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, RedriveExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { fullHistory, startSfn, waitForEnd, type SfnHarness } from './helpers';

const fn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:test-${name}`;
const ROLE = 'arn:aws:iam::000000000000:role/r';

describe('embedded Step Functions: what it runs as AWS does, and what it refuses', () => {
  let h: SfnHarness;
  beforeAll(async () => {
    h = await startSfn();
  });
  afterAll(async () => {
    await h.stop();
  });

  const create = (name: string, definition: unknown) => h.client.send(new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE }));
  const refusal = (name: string, definition: unknown): Promise<{ name: string; message: string }> =>
    create(name, definition).then(
      () => ({ name: 'accepted', message: '' }),
      (e: Error) => e,
    );
  async function run(name: string, definition: unknown, input: unknown = {}): Promise<string> {
    const m = await create(name, definition);
    return (await h.client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, input: JSON.stringify(input) }))).executionArn!;
  }
  const task = (Resource: string, extra: Record<string, unknown> = {}) => ({ StartAt: 'T', States: { T: { Type: 'Task', Resource, End: true, ...extra } } });

  it('refuses Task resources it cannot run, naming the state and the resource', async () => {
    for (const [name, resource] of [
      ['dynamo', 'arn:aws:states:::dynamodb:putItem'],
      ['activity', 'arn:aws:states:us-east-1:000000000000:activity:approve'],
      ['sync', 'arn:aws:states:::lambda:invoke.waitForTaskToken'],
    ]) {
      const e = await refusal(name, task(resource, { Parameters: { TableName: 't' } }));
      expect(e.name).toBe('InvalidDefinition');
      expect(e.message).toBe(
        `Invalid State Machine Definition: 'UNSUPPORTED_FEATURE: Resource (state T): Resource '${resource}' cannot run here: the embedded Step Functions runs Lambda functions registered with it, by their function ARN or through arn:aws:states:::lambda:invoke'`,
      );
    }
    const unknown = await refusal('unknown-invoke', task('arn:aws:states:::lambda:invoke', { Parameters: { FunctionName: 'elsewhere', 'Payload.$': '$' } }));
    expect(unknown.message).toMatch(/UNSUPPORTED_FEATURE: Parameters\.FunctionName \(state T\): no handler is registered for Lambda function arn:aws:lambda:us-east-1:000000000000:function:elsewhere/);
  });

  it('refuses JSONata and variables (Assign) instead of running them as something else', async () => {
    const jsonata = await refusal('jsonata', { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $states.input.a + 1 %}', End: true } } });
    expect(jsonata).toMatchObject({ name: 'InvalidDefinition', message: expect.stringMatching(/UNSUPPORTED_FEATURE: QueryLanguage "JSONata" \(the definition\): .*JSONPath only/) });
    const perState = await refusal('jsonata-state', { StartAt: 'P', States: { P: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% 1 %}', End: true } } });
    expect(perState.message).toMatch(/UNSUPPORTED_FEATURE: QueryLanguage "JSONata" \(state P\)/);
    // Hidden one level down, on a Map's ItemProcessor or a Parallel branch rather than a state.
    const inProcessor = await refusal('jsonata-processor', {
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } },
    });
    expect(inProcessor.message).toMatch(/UNSUPPORTED_FEATURE: QueryLanguage "JSONata" \(M.ItemProcessor\)/);
    const inBranch = await refusal('jsonata-branch', {
      StartAt: 'B',
      States: { B: { Type: 'Parallel', Branches: [{ StartAt: 'Q', States: { Q: { Type: 'Pass', End: true } } }, { QueryLanguage: 'JSONata', StartAt: 'R', States: { R: { Type: 'Pass', End: true } } }], End: true } },
    });
    expect(inBranch.message).toMatch(/UNSUPPORTED_FEATURE: QueryLanguage "JSONata" \(B.Branches\[1\]\)/);
    const assign = await refusal('assign', { StartAt: 'P', States: { P: { Type: 'Pass', Assign: { x: 1 }, End: true } } });
    expect(assign.message).toMatch(/UNSUPPORTED_FEATURE: Assign \(state P\): the embedded Step Functions has no variables/);
    const inCatch = await refusal('assign-catch', {
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: fn('work'), Catch: [{ ErrorEquals: ['States.ALL'], Assign: { e: 1 }, Next: 'F' }], End: true }, F: { Type: 'Fail' } },
    });
    expect(inCatch.message).toMatch(/UNSUPPORTED_FEATURE: Assign \(state T\)/);
    const distributed = await refusal('distributed', {
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } },
    });
    expect(distributed.message).toMatch(/UNSUPPORTED_FEATURE: ProcessorConfig.Mode DISTRIBUTED \(state M\)/);
  });

  it('runs arn:aws:states:::lambda:invoke against the handler: Payload in, AWS output shape and Task events out', async () => {
    const arn = await run(
      'invoke',
      task('arn:aws:states:::lambda:invoke', { Parameters: { FunctionName: 'test-work', 'Payload.$': '$.job' }, TimeoutSeconds: 20 }),
      { job: { behaviour: 'ok' } },
    );
    const d = await waitForEnd(h.client, arn);
    expect(d.status).toBe('SUCCEEDED');
    const out = JSON.parse(d.output!) as Record<string, any>;
    expect(Object.keys(out)).toStrictEqual(['ExecutedVersion', 'Payload', 'SdkHttpMetadata', 'SdkResponseMetadata', 'StatusCode']);
    expect(out).toMatchObject({ ExecutedVersion: '$LATEST', Payload: { done: true, attempts: 1 }, StatusCode: 200 });
    expect(out.SdkHttpMetadata).toMatchObject({ HttpStatusCode: 200, HttpHeaders: { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' } });
    expect(out.SdkHttpMetadata.AllHttpHeaders['x-amzn-RequestId']).toStrictEqual([out.SdkResponseMetadata.RequestId]);
    expect(out.SdkHttpMetadata.HttpHeaders['Content-Length']).toBe(String(JSON.stringify(out.Payload).length));
    expect(h.observed.calls.find((c) => c.executionArn === arn)?.input).toStrictEqual({ behaviour: 'ok' });
    const events = await fullHistory(h.client, arn);
    expect(events.map((e) => e.type)).toStrictEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
    expect(events[2].taskScheduledEventDetails).toStrictEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
      parameters: JSON.stringify({ FunctionName: 'test-work', Payload: { behaviour: 'ok' } }),
      timeoutInSeconds: 20,
    });
    expect(events[3].taskStartedEventDetails).toStrictEqual({ resourceType: 'lambda', resource: 'invoke' });
    expect(JSON.parse(events[4].taskSucceededEventDetails!.output!)).toStrictEqual(out);
  });

  it('lambda:invoke: a function error is TaskFailed with errorType and Lambda error document, matched by Catch', async () => {
    const arn = await run(
      'invoke-error',
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: fn('work'), 'Payload.$': '$' }, Catch: [{ ErrorEquals: ['Fatal'], Next: 'Caught' }], End: true },
          Caught: { Type: 'Pass', End: true },
        },
      },
      { behaviour: 'fatal' },
    );
    const d = await waitForEnd(h.client, arn);
    expect(d.status).toBe('SUCCEEDED');
    const caught = JSON.parse(d.output!) as { Error: string; Cause: string };
    expect(caught.Error).toBe('Fatal');
    expect(JSON.parse(caught.Cause)).toMatchObject({ errorType: 'Fatal', errorMessage: 'cannot do the work' });
    const failed = (await fullHistory(h.client, arn)).find((e) => e.type === 'TaskFailed')!;
    expect(failed.taskFailedEventDetails).toStrictEqual({ resourceType: 'lambda', resource: 'invoke', error: 'Fatal', cause: caught.Cause });
  });

  it('lambda:invoke naming an unregistered function at run time fails States.Runtime saying so, past a Catch of States.ALL', async () => {
    const arn = await run(
      'invoke-dynamic',
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName.$': '$.fn' }, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true },
          Caught: { Type: 'Pass', End: true },
        },
      },
      { fn: 'nowhere' },
    );
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'State T: no handler is registered for Lambda function arn:aws:lambda:us-east-1:000000000000:function:nowhere (the embedded Step Functions runs only the functions registered with it)',
    });
  });

  it('Parallel: each branch chains its own events from ParallelStateStarted, as AWS records them', async () => {
    const branch = (a: string, b: string) => ({ StartAt: a, States: { [a]: { Type: 'Pass', Next: b }, [b]: { Type: 'Pass', End: true } } });
    const arn = await run('parallel-lanes', { StartAt: 'Both', States: { Both: { Type: 'Parallel', Branches: [branch('A1', 'A2'), branch('B1', 'B2')], End: true } } }, { x: 1 });
    expect(await waitForEnd(h.client, arn)).toMatchObject({ status: 'SUCCEEDED', output: '[{"x":1},{"x":1}]' });
    const events = await fullHistory(h.client, arn);
    const byId = new Map(events.map((e) => [e.id!, e]));
    const started = events.find((e) => e.type === 'ParallelStateStarted')!;
    for (const last of ['A2', 'B2']) {
      const exited = events.find((e) => e.type === 'PassStateExited' && e.stateExitedEventDetails?.name === last)!;
      const chain: string[] = [];
      for (let e = exited; e.id !== started.id; e = byId.get(e.previousEventId!)!) chain.unshift(`${e.type} ${(e.stateEnteredEventDetails ?? e.stateExitedEventDetails)?.name}`);
      const first = last[0];
      expect(chain).toStrictEqual([`PassStateEntered ${first}1`, `PassStateExited ${first}1`, `PassStateEntered ${first}2`, `PassStateExited ${first}2`]);
    }
    expect(events.slice(-3).map((e) => e.type)).toStrictEqual(['ParallelStateSucceeded', 'ParallelStateExited', 'ExecutionSucceeded']);
  });

  it('a state whose output is over 256 KiB fails the execution States.DataLimitExceeded, even between two Pass states', async () => {
    const half = 'x'.repeat(150 * 1024);
    const arn = await run(
      'hostile-pass',
      { StartAt: 'Grow', States: { Grow: { Type: 'Pass', Parameters: { 'a.$': '$.a', 'b.$': '$.a' }, Next: 'Shrink' }, Shrink: { Type: 'Pass', Parameters: { n: 1 }, End: true } } },
      { a: half },
    );
    const d = await waitForEnd(h.client, arn);
    expect(d).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringMatching(/^The output of state Grow is \d+ bytes, over the limit of 262144$/) });
    const types = (await fullHistory(h.client, arn)).map((e) => e.type);
    expect(types).toStrictEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);
  });

  it("a Map whose iterations' results outgrow 256 KiB fails States.DataLimitExceeded", async () => {
    const arn = await run(
      'map-results',
      { StartAt: 'Fan', States: { Fan: { Type: 'Map', ItemSelector: { 'blob.$': '$.blob' }, ItemsPath: '$.items', ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } }, End: true } } },
      { blob: 'y'.repeat(10 * 1024), items: Array.from({ length: 30 }, (_, i) => i) },
    );
    expect(await waitForEnd(h.client, arn)).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringMatching(/Map state Fan|state Fan/) });
  });

  it('the context object: $$.State.Name and $$.Execution.RedriveCount as AWS gives them; what it cannot give is refused at creation', async () => {
    const arn = await run(
      'context',
      {
        StartAt: 'Named',
        States: {
          Named: {
            Type: 'Pass',
            Parameters: { 'state.$': '$$.State.Name', 'said.$': "States.Format('in {}', $$.State.Name)", 'redrives.$': '$$.Execution.RedriveCount', 'items.$': '$.items' },
            Next: 'Fan',
          },
          Fan: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'Inner', States: { Inner: { Type: 'Pass', Parameters: { 'in.$': '$$.State.Name' }, End: true } } }, ResultPath: '$.fan', End: true },
        },
      },
      { items: [1] },
    );
    const d = await waitForEnd(h.client, arn);
    expect([d.status, d.error, d.cause]).toStrictEqual(['SUCCEEDED', undefined, undefined]);
    expect(JSON.parse(d.output!)).toStrictEqual({ state: 'Named', said: 'in Named', redrives: 0, items: [1], fan: [{ in: 'Inner' }] });
    for (const [field, path] of [
      ['entered', '$$.State.EnteredTime'],
      ['retries', '$$.State.RetryCount'],
    ]) {
      const e = await refusal(`context-${field}`, { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { [`${field}.$`]: path }, End: true } } });
      expect(e.message).toBe(`Invalid State Machine Definition: 'UNSUPPORTED_FEATURE: ${path} (state P): the embedded Step Functions gives $$.State.Name only (in Parameters, ResultSelector or ItemSelector)'`);
    }
    const whole = await refusal('context-whole', { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'ctx.$': '$$' }, End: true } } });
    expect(whole.message).toMatch(/UNSUPPORTED_FEATURE: \$\$ \(state P\)/);
    const iterationInput = await refusal('context-iteration', {
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', Parameters: { 'all.$': '$$.Execution.Input' }, End: true } } }, End: true } },
    });
    expect(iterationInput.message).toMatch(/UNSUPPORTED_FEATURE: \$\$\.Execution\.Input \(state I\): inside a Map iteration/);
    // Data is not a path: a Pass Result holding the text "$$.State" is kept as it is.
    const literal = await run('context-literal', { StartAt: 'P', States: { P: { Type: 'Pass', Result: { note: '$$.State.EnteredTime' }, End: true } } });
    expect(await waitForEnd(h.client, literal)).toMatchObject({ status: 'SUCCEEDED', output: '{"note":"$$.State.EnteredTime"}' });
  });

  it('DescribeExecution: redriveStatus NOT_REDRIVABLE with the reason, RUNNING, SUCCEEDED or closed here for good', async () => {
    const ok = await run('redrive-ok', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    expect(await waitForEnd(h.client, ok)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 0, redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven.' });
    const failed = await run('redrive-failed', { StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', Cause: 'c' } } });
    expect(await waitForEnd(h.client, failed)).toMatchObject({
      status: 'FAILED',
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'The embedded Step Functions cannot redrive executions (RedriveExecution is not supported); start a new execution instead.',
    });
    // As AWS: NOT_REDRIVABLE exactly when RedriveExecution answers ExecutionNotRedrivable.
    const redrive = await h.client.send(new RedriveExecutionCommand({ executionArn: failed })).catch((e: Error) => e);
    expect(redrive).toMatchObject({ name: 'ExecutionNotRedrivable', message: expect.stringContaining('cannot redrive executions') });
    const running = await run('redrive-running', task(fn('slow')));
    expect(await h.client.send(new DescribeExecutionCommand({ executionArn: running }))).toMatchObject({
      status: 'RUNNING',
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven.',
    });
  });
});
