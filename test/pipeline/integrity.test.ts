/**
 * The pipeline's integrity over GraphQL and against a local process on the same machine (no API keys, so
 * the embedded endpoint takes its dummy credentials): whatever machines that process creates on the embedded
 * Step Functions, gapwatch's Task handlers hold their input to the dataset's rules; what runs report is what
 * they did.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { FileCheckStore } from '../../src/services/gaps/check-store';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';
import { collect } from '../support/runs';
import { runQuery, resultRows } from '../embedded/helpers';

const DUMMY = { accessKeyId: 'x', secretAccessKey: 'x' };
const PIPELINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline';
/** What a forger wants recorded: the whole sample window ready, stamped far in the future so nothing genuine outranks it. */
const FORGED = { dataset: 'stock_ticks', from: '2024-03-04T00:00:00.000Z', to: '2024-03-14T00:00:00.000Z', runId: 'forged', at: '2099-01-01T00:00:00.000Z' };
const LAST_READY = `{ dataset(name: "stock_ticks") { lastReadySignal { from to at source { kind runId } } } }`;
const ROLE = 'arn:aws:iam::000000000000:role/r';
const task = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:gapwatch-${name}`;

/** The dataset's newest signal, if any, is none the forger made (other tests' genuine runs record theirs). */
function expectNotForged(signal: { at: string; source: { runId: string | null } } | null, forgedRun: string): void {
  if (signal === null) return;
  expect(signal.at).not.toBe(FORGED.at);
  expect([FORGED.runId, forgedRun]).not.toContain(signal.source.runId);
}

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
    return runToEnd(stateMachineArn!);
  }

  async function runToEnd(stateMachineArn: string, input?: object): Promise<{ status?: string; error?: string; cause?: string; output?: string; executionArn: string }> {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, ...(input ? { input: JSON.stringify(input) } : {}) }));
    for (let i = 0; i < 300; i++) {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== 'RUNNING') return { status: d.status, error: d.error, cause: d.cause, output: d.output, executionArn: executionArn! };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${executionArn} did not end`);
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
        const run = (await t.gql(`query ($id: ID!) { run(id: $id) { status error cause output events(first: 1000) { edges { node { type state detail } } } } }`, { id })).data.run;
        if (run.status !== 'RUNNING') {
          runs.push(run);
          break;
        }
        if (i > 600) throw new Error(`run ${id} did not end`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The repair's result is in its Task's history event (the run's state keeps only the range it repaired).
    const inserted = runs.map((r) => {
      const repaired = r.events.edges.map((e: any) => e.node).find((e: any) => e.type === 'LambdaFunctionSucceeded' && e.state === 'RepairRange');
      return JSON.parse(repaired.detail.output).result.inserted as number;
    });
    const gained = (await count()) - before;
    expect(gained).toBeGreaterThan(1000);
    expect(inserted.reduce((a, b) => a + b, 0)).toBe(gained);
  });

  it("takes no ready signal from another state machine's output, and reads and stops only the pipeline's runs", async () => {
    const forged = await runMachine('forged-initiate-output', { Type: 'Pass', Result: { ready: FORGED } });
    expect(forged).toMatchObject({ status: 'SUCCEEDED' });
    expect(JSON.parse(forged.output!)).toStrictEqual({ ready: FORGED });
    const arn = forged.executionArn;

    // A reader reading it (as any client may) finds no such run, and the dataset no signal.
    const read = await t.gql(`query ($id: ID!) { run(id: $id) { id status output } }`, { id: arn });
    expect(read.errors?.map((e: any) => e.extensions.code)).toStrictEqual(['NOT_FOUND']);
    expect(read.data.run).toBeNull();
    const stopped = await t.gql(`mutation ($id: ID!) { stopRun(id: $id) { id } }`, { id: arn });
    expect(stopped.errors?.map((e: any) => e.extensions.code)).toStrictEqual(['NOT_FOUND']);
    const events = collect(t.ws(), `subscription ($id: ID!) { runEvents(runId: $id) { id type } }`, { id: arn });
    await events.done;
    expect(JSON.stringify([events.received, events.error()])).toContain('NOT_FOUND');
    expect(events.received.flatMap((m: any) => (m.data ? [m.data] : []))).toStrictEqual([]);
    const listed = await t.gql(`{ runs(first: 100) { edges { node { id } } } }`);
    expect(listed.data.runs.edges.map((e: any) => e.node.id)).not.toContain(arn);

    expectNotForged((await t.gql(LAST_READY)).data.dataset.lastReadySignal, arn);
  });

  it('takes no ready signal from the input of a pipeline run that never reached Initiate', async () => {
    // A CHECK run that finds gaps ends SUCCEEDED with its input as its output: a `ready` there is the caller's.
    const run = await runToEnd(PIPELINE, { dataset: 'stock_ticks', from: '2024-03-07T00:00:00Z', to: '2024-03-08T00:00:00Z', mode: 'CHECK', ready: FORGED });
    expect(run.status).toBe('SUCCEEDED');
    expect(JSON.parse(run.output!).ready).toStrictEqual(FORGED);
    const read = await t.gql(`query ($id: ID!) { run(id: $id) { status currentState } }`, { id: run.executionArn });
    expect(read.data.run).toStrictEqual({ status: 'SUCCEEDED', currentState: 'GapsFound' });
    const subscribed = collect(t.ws(), `subscription ($id: ID!) { runEvents(runId: $id) { id type } }`, { id: run.executionArn });
    await subscribed.done;
    expect(subscribed.completed()).toBe(true);
    expectNotForged((await t.gql(LAST_READY)).data.dataset.lastReadySignal, run.executionArn);
  });

  it("records a genuine run's signal from its Initiate step, naming the run, with its window, stamped now", async () => {
    const before = Date.now();
    const started = await t.gql(`mutation { startCheck(dataset: "stock_ticks", from: "2024-03-10", to: "2024-03-11") { id } }`);
    const id = started.data.startCheck.id;
    let signal: any = null;
    for (let i = 0; i < 300 && signal?.source.runId !== id; i++) {
      await new Promise((r) => setTimeout(r, 100));
      signal = (await t.gql(LAST_READY)).data.dataset.lastReadySignal;
    }
    expect(signal).toMatchObject({ from: '2024-03-10T00:00:00.000Z', to: '2024-03-11T00:00:00.000Z', source: { kind: 'PIPELINE', runId: id } });
    expect(Date.parse(signal.at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(signal.at)).toBeLessThanOrEqual(Date.now());
  });

  /** Polls a run until it has ended. */
  async function ended(id: string, fields = 'status error cause currentState output'): Promise<any> {
    for (let i = 0; i < 600; i++) {
      const run = (await t.gql(`query ($id: ID!) { run(id: $id) { ${fields} } }`, { id })).data.run;
      if (run.status !== 'RUNNING') return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${id} did not end`);
  }

  it('declares no window ready after repairing one range of a window that has other gaps, and the run says why', async () => {
    const window = { from: '2024-03-04T00:00:00Z', to: '2024-03-14T00:00:00Z' };
    const started = await t.gql(`mutation ($from: DateTime!, $to: DateTime!, $ranges: [GapRangeInput!]) { startRepair(dataset: "stock_ticks", from: $from, to: $to, ranges: $ranges) { id } }`, {
      ...window,
      // A clean hour: nothing to repair there, and Validate finds it complete.
      ranges: [{ group: 'AMZN', start: '2024-03-04T10:00:00Z', end: '2024-03-04T11:00:00Z' }],
    });
    const id = started.data.startRepair.id;
    const run = await ended(id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', currentState: 'NotReady' });
    expect(run.output.ready).toBeUndefined();
    expect(run.output.validation.status).toBe('NOT_READY');
    expect(run.output.notReady.reason).toMatch(
      /^the re-checked ranges are complete, but the window \[2024-03-04T00:00:00.000Z, 2024-03-14T00:00:00.000Z\) is not, so it is not declared ready: \d+ other range\(s\) have gaps: /,
    );
    const gaps = await t.gql(`{ gaps(dataset: "stock_ticks", from: "2024-03-04", to: "2024-03-14") { status } }`);
    expect(gaps.data.gaps.status).toBe('GAPS');
    const signal = (await t.gql(LAST_READY)).data.dataset.lastReadySignal;
    expect(signal?.source.runId).not.toBe(id);
  });

  it('declares no window ready after a FULL run whose window is not settled yet (its check said GAPS and PENDING)', async () => {
    // Hours up to now are MISSING (the sample holds March 2024); the last ones are still settling or to
    // come. Repairing the MISSING ranges leaves a window that checks PENDING, which is not ready.
    const hour = 3_600_000;
    const from = new Date(Math.floor(Date.now() / hour) * hour - 6 * hour).toISOString();
    const to = new Date(Math.floor(Date.now() / hour) * hour + 2 * hour).toISOString();
    const started = await t.gql(`mutation ($from: DateTime!, $to: DateTime!) { startCheck(dataset: "stock_ticks", from: $from, to: $to, repair: true) { id } }`, { from, to });
    const id = started.data.startCheck.id;
    const run = await ended(id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', currentState: 'NotReady', output: { check: { status: 'GAPS' }, validation: { status: 'NOT_READY' } } });
    expect(run.output.ready).toBeUndefined();
    expect(run.output.notReady.reason).toMatch(/checks PENDING, not OK, so it is not declared ready/);
    const gaps = await t.gql(`query ($from: DateTime!, $to: DateTime!) { gaps(dataset: "stock_ticks", from: $from, to: $to) { status } }`, { from, to });
    expect(gaps.data.gaps.status).toBe('PENDING');
    const signal = (await t.gql(LAST_READY)).data.dataset.lastReadySignal;
    expect(signal?.source.runId).not.toBe(id);
  });

  it('declares the window ready after a REPAIR run that leaves all of it complete', async () => {
    // 2024-03-05's one gap is AMZN 13:00-14:00 (the sample's planted defects).
    const started = await t.gql(`mutation { startRepair(dataset: "stock_ticks", from: "2024-03-05", to: "2024-03-06", ranges: [{ group: "AMZN", start: "2024-03-05T13:00:00Z", end: "2024-03-05T14:00:00Z" }]) { id } }`);
    const id = started.data.startRepair.id;
    expect(await ended(id)).toMatchObject({ status: 'SUCCEEDED', currentState: 'Initiate', output: { validation: { status: 'OK' }, ready: { runId: id } } });
    let signal: any;
    for (let i = 0; i < 100 && signal?.source.runId !== id; i++) {
      signal = (await t.gql(LAST_READY)).data.dataset.lastReadySignal;
      if (signal?.source.runId !== id) await new Promise((r) => setTimeout(r, 50));
    }
    expect(signal).toMatchObject({ from: '2024-03-05T00:00:00.000Z', to: '2024-03-06T00:00:00.000Z', source: { kind: 'PIPELINE', runId: id } });
  });
});

describe('a ready signal stamped in the future, kept before such signals were refused', () => {
  let t: TestApp;
  const logs: string[] = [];
  const FUTURE_RUN = 'arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:forged-before-the-fix';
  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-future-signal-'));
    const kept = new FileCheckStore(path.join(dataDir, 'gaps'), pino({ level: 'silent' }));
    await kept.addReadySignal({ ...FORGED, at: new Date(FORGED.at), source: { kind: 'PIPELINE', runId: FUTURE_RUN } });
    await kept.flush();
    t = await startTestApp({ config: STOCK_TICKS_YAML, dataDir, env: { GAPWATCH_LOG_LEVEL: 'warn' }, logTo: { write: (l: string) => void logs.push(l) } });
  });
  afterAll(async () => {
    await t.stop();
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('is not read as the newest, says so in the log once, and does not outrank a genuine run', async () => {
    expect((await t.gql(LAST_READY)).data.dataset.lastReadySignal).toBeNull();
    expect((await t.gql(LAST_READY)).data.dataset.lastReadySignal).toBeNull();
    const warned = logs.filter((l) => l.includes(FUTURE_RUN));
    expect(warned).toHaveLength(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({ level: 40, dataset: 'stock_ticks', at: FORGED.at, msg: expect.stringMatching(/stamped ahead of now/) });

    const started = await t.gql(`mutation { startCheck(dataset: "stock_ticks", from: "2024-03-10", to: "2024-03-11") { id } }`);
    const id = started.data.startCheck.id;
    let signal: any = null;
    for (let i = 0; i < 300 && signal?.source.runId !== id; i++) {
      await new Promise((r) => setTimeout(r, 100));
      signal = (await t.gql(LAST_READY)).data.dataset.lastReadySignal;
    }
    expect(signal).toMatchObject({ from: '2024-03-10T00:00:00.000Z', to: '2024-03-11T00:00:00.000Z', source: { kind: 'PIPELINE', runId: id } });
    expect(Date.parse(signal.at)).toBeLessThanOrEqual(Date.now());
  });
});
