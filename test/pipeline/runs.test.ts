import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { SAMPLE_DEFECTS, SAMPLE_RANGE } from '../../src/embedded/athena/sample';
import { MAX_RESULT_BYTES } from '../../src/services/pipeline/repair';
import { runBaseName } from '../../src/services/pipeline/run-names';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML, ticksDatasetYaml } from '../support/config';

/**
 * A repair action for the `custom` dataset, by group: the sample's own symbols return the largest result a
 * repair may keep (their data needs no repair, so Validate finds them OK); FAIL always throws; BLOCK* writes `started-<group>` and
 * waits for its signal, writing `aborted-<group>` when it aborts. Files, because the app loads the module
 * with its own require.
 */
const MODULE = (dir: string) => `
const fs = require('node:fs');
const path = require('node:path');
exports.repair = (range, { signal }) => {
  if (range.group === 'NOOP') return { wrote: 0 };
  if (['AMZN', 'GOOG', 'WORK'].includes(range.group)) return { blob: 'x'.repeat(${MAX_RESULT_BYTES - '{"blob":""}'.length}) };
  if (range.group === 'FAIL') { const e = new Error('the upstream source is offline'); e.name = 'Upstream.Unavailable'; throw e; }
  fs.writeFileSync(path.join(${JSON.stringify(dir)}, 'started-' + range.group), '1');
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => {
      fs.writeFileSync(path.join(${JSON.stringify(dir)}, 'aborted-' + range.group), String(signal.reason));
      reject(signal.reason);
    });
  });
};
`;

const CONFIG =
  STOCK_TICKS_YAML +
  ticksDatasetYaml('auto_ticks', { groups: '[AMZN]', minRatio: '0.8', schedule: '1h', autoRepair: 'true' }) +
  ticksDatasetYaml('custom', { repair: './custom-repair.js', minRatio: '0.8' });

const RUN_FIELDS = 'id name dataset mode from to status currentState startedAt stoppedAt error cause input output repairedRanges { group start end kind }';
const EVENTS = 'events(first: 1000) { edges { cursor node { id previousId type state at detail } } pageInfo { hasNextPage endCursor } }';
const WINDOW = { from: '2024-03-05T00:00:00Z', to: '2024-03-06T00:00:00Z' };

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('pipeline runs over GraphQL on the embedded Step Functions', () => {
  let dir: string;
  let t: TestApp;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-runs-'));
    writeFileSync(path.join(dir, 'custom-repair.js'), MODULE(dir));
    t = await startTestApp({ config: CONFIG, dataDir: dir });
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (id: string, fields = RUN_FIELDS) => {
    const body = await t.gql(`query ($id: ID!) { run(id: $id) { ${fields} } }`, { id });
    expect(body.errors).toBeUndefined();
    return body.data.run;
  };
  const finished = (id: string, fields = RUN_FIELDS) => until(`run ${id} to end`, () => run(id, fields), (r) => r.status !== 'RUNNING');
  const startRepair = async (dataset: string, ranges?: unknown[], window = WINDOW) =>
    t.gql(`mutation ($dataset: String!, $from: DateTime!, $to: DateTime!, $ranges: [GapRangeInput!]) {
      startRepair(dataset: $dataset, from: $from, to: $to, ranges: $ranges) { ${RUN_FIELDS} } }`, { dataset, ...window, ranges });

  // First: the next test repairs every defect of the sample.
  it('ends a CHECK run that finds gaps as SUCCEEDED with the gaps in its output, and initiates nothing', async () => {
    const started = await t.gql(`mutation { startCheck(dataset: "stock_ticks", from: "2024-03-07T00:00:00Z", to: "2024-03-08T00:00:00Z") { id mode } }`);
    expect(started.data.startCheck.mode).toBe('CHECK');
    const done = await finished(started.data.startCheck.id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output.check).toMatchObject({ status: 'GAPS', ranges: [{ group: 'GOOG', kind: 'MISSING', start: '2024-03-07T02:00:00.000Z', end: '2024-03-07T04:00:00.000Z' }] });
    expect(done.output.ready).toBeUndefined();
    expect(done.currentState).toBe('GapsFound');
  });

  it('repairs the sample: Check, one Map iteration per gap range, Validate, Initiate; gaps are then OK and the ready signal names the run', async () => {
    const gaps = `{ gaps(dataset: "stock_ticks", from: "${SAMPLE_RANGE.start}", to: "${SAMPLE_RANGE.end}") { status ranges { group kind start end } } }`;
    const before = await t.gql(gaps);
    const gapRanges = SAMPLE_DEFECTS.filter((d) => d.kind !== 'STARTS_MID_HOUR');
    expect(before.data.gaps.ranges.filter((r: any) => r.kind !== 'PARTIAL_EDGE')).toHaveLength(gapRanges.length);

    const started = await t.gql(`mutation { startCheck(dataset: "stock_ticks", from: "${SAMPLE_RANGE.start}", to: "${SAMPLE_RANGE.end}", repair: true) { ${RUN_FIELDS} } }`);
    expect(started.errors).toBeUndefined();
    expect(started.data.startCheck).toMatchObject({ dataset: 'stock_ticks', mode: 'FULL', from: SAMPLE_RANGE.start, to: SAMPLE_RANGE.end });
    expect(started.data.startCheck.id).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:stock_ticks-full-[0-9a-f]{16}-\d+$/);

    const done = await finished(started.data.startCheck.id, `${RUN_FIELDS} ${EVENTS}`);
    expect(done).toMatchObject({ status: 'SUCCEEDED', error: null, cause: null, currentState: 'Initiate' });
    const events = done.events.edges.map((e: any) => e.node);
    expect(events.map((e: any) => e.id)).toStrictEqual(events.map((_: unknown, i: number) => i + 1));
    const entered = events.filter((e: any) => /StateEntered$/.test(e.type)).map((e: any) => e.state);
    expect(entered.filter((s: string) => ['Check', 'Repair', 'Validate', 'Initiate'].includes(s))).toStrictEqual(['Check', 'Repair', 'Validate', 'Initiate']);
    expect(events.filter((e: any) => e.type === 'MapIterationStarted')).toHaveLength(gapRanges.length);
    expect(events.filter((e: any) => e.type === 'MapIterationSucceeded')).toHaveLength(gapRanges.length);
    expect(events.at(-1).type).toBe('ExecutionSucceeded');
    expect(done.repairedRanges.map((r: any) => `${r.group} ${r.start}`).sort()).toStrictEqual(gapRanges.map((d) => `${d.symbol} ${d.start}`).sort());
    expect(done.output.ready).toMatchObject({ dataset: 'stock_ticks', runId: done.id });

    const signal = await t.gql(`{ dataset(name: "stock_ticks") { lastReadySignal { from to source { kind runId } } } }`);
    expect(signal.data.dataset.lastReadySignal).toStrictEqual({ from: SAMPLE_RANGE.start, to: SAMPLE_RANGE.end, source: { kind: 'PIPELINE', runId: done.id } });
    const after = await t.gql(gaps);
    expect(after.data.gaps).toMatchObject({ status: 'OK' });

    const listed = await t.gql(`{ runs(dataset: "stock_ticks", status: SUCCEEDED, first: 5) { edges { node { id } } } }`);
    expect(listed.data.runs.edges.map((e: any) => e.node.id)).toContain(done.id);
  });

  it('retries a repair action that throws, then fails the run naming the range, without entering Validate', async () => {
    const range = { group: 'FAIL', start: '2024-03-05T10:00:00Z', end: '2024-03-05T11:00:00Z' };
    const started = await startRepair('custom', [range]);
    expect(started.errors).toBeUndefined();
    const done = await finished(started.data.startRepair.id, `${RUN_FIELDS} ${EVENTS}`);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('Upstream.Unavailable');
    // The cause names the range, then Lambda's error document for the action's error, as on AWS.
    const prefix = 'range FAIL from 2024-03-05T10:00:00.000Z to 2024-03-05T11:00:00.000Z could not be repaired: ';
    expect(done.cause.startsWith(prefix)).toBe(true);
    expect(JSON.parse(done.cause.slice(prefix.length))).toMatchObject({ errorType: 'Upstream.Unavailable', errorMessage: 'the upstream source is offline' });
    const events = done.events.edges.map((e: any) => e.node);
    const failed = events.filter((e: any) => e.type === 'LambdaFunctionFailed');
    // The first attempt and the two retries the state machine allows.
    expect(failed).toHaveLength(3);
    for (const e of failed) {
      expect(e.detail.error).toBe('Upstream.Unavailable');
      expect(JSON.parse(e.detail.cause)).toMatchObject({ errorType: 'Upstream.Unavailable', errorMessage: 'the upstream source is offline' });
    }
    expect(events.some((e: any) => e.type === 'TaskStateEntered' && e.state === 'Validate')).toBe(false);
    expect(events.find((e: any) => e.type === 'MapIterationFailed')).toMatchObject({ state: 'Repair' });
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', detail: { error: 'Upstream.Unavailable' } });
  });

  it('fails a run whose repair left gaps, naming them, without initiating', async () => {
    const range = { group: 'NOOP', start: '2024-03-05T10:00:00Z', end: '2024-03-05T12:00:00Z' };
    const started = await startRepair('custom', [range]);
    const done = await finished(started.data.startRepair.id, `${RUN_FIELDS} ${EVENTS}`);
    expect(done).toMatchObject({ status: 'FAILED', error: 'gapwatch.GapsRemain', repairedRanges: [] });
    expect(done.cause).toBe('1 range(s) still have gaps: NOOP MISSING [2024-03-05T10:00:00.000Z, 2024-03-05T12:00:00.000Z)');
    const entered = done.events.edges.map((e: any) => e.node).filter((e: any) => /StateEntered$/.test(e.type)).map((e: any) => e.state);
    expect(entered).toStrictEqual(['Mode', 'Repair', 'RepairRange', 'Validate', 'Validated', 'GapsRemain']);
  });

  it('repairs 200 ranges whose repairs each return the largest result: the run stays within 256 KiB and SUCCEEDS', async () => {
    // 200 clean hours of the sample: AMZN from 03-09 to 03-14, GOOG and WORK in the last day or two.
    const hours = (group: string, from: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({ group, start: new Date(Date.parse(from) + i * 3_600_000).toISOString(), end: new Date(Date.parse(from) + (i + 1) * 3_600_000).toISOString() }));
    const ranges = [...hours('AMZN', '2024-03-09T00:00:00Z', 120), ...hours('WORK', '2024-03-12T00:00:00Z', 48), ...hours('GOOG', '2024-03-12T16:00:00Z', 32)];
    expect(ranges).toHaveLength(200);
    const started = await startRepair('custom', ranges, { from: '2024-03-09T00:00:00Z', to: '2024-03-14T00:00:00Z' });
    expect(started.errors).toBeUndefined();
    const done = await finished(started.data.startRepair.id);
    expect(done.cause).toBeNull();
    // Every repaired range re-checked complete. The window as a whole is ready once the sample's own defects
    // were repaired (by the test above), else not declared ready: either way the run SUCCEEDS.
    expect(done).toMatchObject({ status: 'SUCCEEDED', error: null });
    if (done.output.validation.status === 'OK') expect(done.output.ready).toMatchObject({ runId: done.id });
    else expect(done.output).toMatchObject({ validation: { status: 'NOT_READY' }, notReady: { reason: expect.stringContaining('not declared ready') } });
    expect(done.repairedRanges).toHaveLength(200);
    expect(Buffer.byteLength(JSON.stringify(done.output))).toBeLessThan(256 * 1024);
  }, 180_000);

  it('validates a clean window (mode VALIDATE) and initiates', async () => {
    const started = await t.gql(`mutation { startValidation(dataset: "stock_ticks", from: "2024-03-10T00:00:00Z", to: "2024-03-11T00:00:00Z") { id mode } }`);
    const done = await finished(started.data.startValidation.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', mode: 'VALIDATE', currentState: 'Initiate', output: { validation: { status: 'OK' }, ready: { runId: done.id } } });
  });

  it('stops a run during Repair: ABORTED with the cause, and the repair action saw its signal abort', async () => {
    const range = { group: 'BLOCK_STOP', start: '2024-03-05T10:00:00Z', end: '2024-03-05T11:00:00Z' };
    const started = await startRepair('custom', [range]);
    const id = started.data.startRepair.id;
    await until('the repair action to start', async () => existsSync(path.join(dir, 'started-BLOCK_STOP')), Boolean);
    expect((await run(id, 'status currentState')).currentState).toBe('RepairRange');
    const stopped = await t.gql(`mutation ($id: ID!) { stopRun(id: $id, cause: "wrong window") { id status cause } }`, { id });
    expect(stopped.errors).toBeUndefined();
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'ABORTED', cause: 'wrong window' });
    await until('the action to see its abort', async () => existsSync(path.join(dir, 'aborted-BLOCK_STOP')), Boolean);
  });

  it('starts one run for the same request twice at once, and a new one after it ended', async () => {
    const range = { group: 'BLOCK_TWICE', start: '2024-03-05T10:00:00Z', end: '2024-03-05T11:00:00Z' };
    const [a, b] = await Promise.all([startRepair('custom', [range]), startRepair('custom', [range])]);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(b.data.startRepair.id).toBe(a.data.startRepair.id);
    expect(a.data.startRepair.name).toMatch(/-1$/);
    await t.gql(`mutation ($id: ID!) { stopRun(id: $id) { id } }`, { id: a.data.startRepair.id });
    await finished(a.data.startRepair.id);
    const again = await startRepair('custom', [range]);
    expect(again.data.startRepair.name).toBe(a.data.startRepair.name.replace(/-1$/, '-2'));
    await t.gql(`mutation ($id: ID!) { stopRun(id: $id) { id } }`, { id: again.data.startRepair.id });
  });

  it('refuses a request whose run name is taken by a running execution with another input: RUN_CONFLICT', async () => {
    const sfn = new SFNClient({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const ours = { dataset: 'custom', from: '2024-03-05T00:00:00.000Z', to: '2024-03-06T00:00:00.000Z', mode: 'REPAIR' as const, ranges: [{ group: 'BLOCK_MINE', start: '2024-03-05T10:00:00.000Z', end: '2024-03-05T11:00:00.000Z' }] };
      const theirs = { ...ours, ranges: [{ ...ours.ranges[0]!, group: 'BLOCK_THEIRS' }] };
      const squatter = await sfn.send(new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline',
        name: `${runBaseName(ours)}-1`,
        input: JSON.stringify(theirs),
      }));
      const body = await startRepair('custom', ours.ranges);
      expect(body.errors[0].extensions).toMatchObject({ code: 'RUN_CONFLICT', runId: squatter.executionArn });
      await sfn.send(new StopExecutionCommand({ executionArn: squatter.executionArn }));
    } finally {
      sfn.destroy();
    }
  });

  it('answers unknown runs with null, malformed ids and bad arguments with BAD_USER_INPUT', async () => {
    const unknown = await t.gql(`{ run(id: "arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:nope") { id } }`);
    expect(unknown).toStrictEqual({ data: { run: null } });
    for (const query of [
      `{ run(id: "not-an-arn") { id } }`,
      `{ runs(first: 0) { edges { cursor } } }`,
      `{ runs(first: 5, after: "garbage") { edges { cursor } } }`,
      `mutation { startRepair(dataset: "stock_ticks", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z", ranges: [{ group: "AMZN", start: "2024-03-07T00:00:00Z", end: "2024-03-07T01:00:00Z" }]) { id } }`,
      `mutation { startCheck(dataset: "stock_ticks", from: "2024-03-06T00:00:00Z", to: "2024-03-05T00:00:00Z") { id } }`,
      `mutation { stopRun(id: "arn:aws:lambda:us-east-1:000000000000:function:x") { id } }`,
    ]) {
      const body = await t.gql(query);
      expect([query, body.errors?.[0]?.extensions?.code]).toStrictEqual([query, 'BAD_USER_INPUT']);
    }
    const noDataset = await t.gql(`mutation { startValidation(dataset: "nope", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z") { id } }`);
    expect(noDataset.errors[0].extensions.code).toBe('NOT_FOUND');
    const stopUnknown = await t.gql(`mutation { stopRun(id: "arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:nope") { id } }`);
    expect(stopUnknown).toStrictEqual({ data: { stopRun: null } });
  });

  it('describes a run once per request however often it is asked for, and pages runs newest first', async () => {
    const list = await t.gql(`{ runs(first: 2) { edges { cursor node { id startedAt } } pageInfo { hasNextPage endCursor } } }`);
    const [first, second] = list.data.runs.edges;
    expect(list.data.runs.pageInfo.hasNextPage).toBe(true);
    expect(Date.parse(first.node.startedAt)).toBeGreaterThanOrEqual(Date.parse(second.node.startedAt));
    const next = await t.gql(`query ($after: String) { runs(first: 2, after: $after) { edges { node { id } } } }`, { after: list.data.runs.pageInfo.endCursor });
    const ids = next.data.runs.edges.map((e: any) => e.node.id);
    expect(ids).not.toContain(first.node.id);
    expect(ids).not.toContain(second.node.id);

    const calls = async () => (await t.app.embedded!.calls()).DescribeExecution ?? 0;
    const before = await calls();
    const body = await t.gql(`query ($id: ID!) { a: run(id: $id) { status } b: run(id: $id) { name } c: run(id: $id) { dataset } }`, { id: first.node.id });
    expect(body.errors).toBeUndefined();
    expect((await calls()) - before).toBe(1);
  });

  it('autoRepair: a scheduled check that finds gaps starts a FULL run over its window', async () => {
    // The dataset's schedule ran a check at start: its trailing window (today) has no sample data at all.
    const checks = await until(
      'the first scheduled check',
      async () => (await t.gql(`{ checks(dataset: "auto_ticks", first: 100) { id status trigger from to } }`)).data.checks,
      (list: any[]) => list.some((c) => c.trigger === 'SCHEDULE'),
    );
    const scheduled = checks.find((c: any) => c.trigger === 'SCHEDULE');
    expect(scheduled.status).toBe('GAPS');
    const runs = await until(
      'the autoRepair run',
      async () => (await t.gql(`{ runs(dataset: "auto_ticks", first: 10) { edges { node { id mode from to status } } } }`)).data.runs.edges.map((e: any) => e.node),
      (list: any[]) => list.some((r) => r.from === scheduled.from),
    );
    expect(runs.find((r: any) => r.from === scheduled.from)).toMatchObject({ mode: 'FULL', from: scheduled.from, to: scheduled.to });
  });
});

describe('pipeline runs across a restart', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-runs-restart-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists a finished run with its whole history, and keeps its ready signal, after the next start', async () => {
    const config = STOCK_TICKS_YAML.replace('    schedule: 1h\n', '');
    const first = await startTestApp({ config, dataDir: dir });
    let id: string;
    let events: unknown[];
    try {
      const started = await first.gql(`mutation { startValidation(dataset: "stock_ticks", from: "2024-03-10T00:00:00Z", to: "2024-03-11T00:00:00Z") { id } }`);
      id = started.data.startValidation.id;
      const done = await until('the run to end', async () => (await first.gql(`query ($id: ID!) { run(id: $id) { status ${EVENTS} } }`, { id })).data.run, (r: any) => r.status !== 'RUNNING');
      expect(done.status).toBe('SUCCEEDED');
      events = done.events.edges;
    } finally {
      await first.stop();
    }

    const second = await startTestApp({ config, dataDir: dir });
    try {
      const listed = await second.gql(`{ runs(first: 10) { edges { node { id status ${EVENTS.replace('first: 1000', 'first: 100')} } } } }`);
      expect(listed.errors).toBeUndefined();
      expect(listed.data.runs.edges).toHaveLength(1);
      expect(listed.data.runs.edges[0].node).toStrictEqual({ id, status: 'SUCCEEDED', events: { edges: events, pageInfo: { hasNextPage: false, endCursor: String(events.length) } } });
      const signal = await second.gql(`{ dataset(name: "stock_ticks") { lastReadySignal { source { kind runId } } } }`);
      expect(signal.data.dataset.lastReadySignal.source).toStrictEqual({ kind: 'PIPELINE', runId: id });
    } finally {
      await second.stop();
    }
  });
});
