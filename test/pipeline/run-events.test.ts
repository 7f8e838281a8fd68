import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML, ticksDatasetYaml } from '../support/config';
import { collect, GATED_REPAIR_MODULE, until } from '../support/runs';

const WINDOW = { from: '2024-03-05T00:00:00Z', to: '2024-03-06T00:00:00Z' };
const AMZN_GAP = { group: 'AMZN', start: '2024-03-05T13:00:00Z', end: '2024-03-05T14:00:00Z' };
const EVENT_FIELDS = 'id previousId type state at';

describe('run subscriptions over graphql-ws', () => {
  let dir: string;
  let t: TestApp;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-run-events-'));
    writeFileSync(path.join(dir, 'gated-repair.js'), GATED_REPAIR_MODULE(dir));
    t = await startTestApp({ config: STOCK_TICKS_YAML + ticksDatasetYaml('gated', { repair: './gated-repair.js' }), dataDir: dir });
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const historyOf = async (id: string) => {
    const body = await t.gql(`query ($id: ID!) { run(id: $id) { status events(first: 1000) { edges { node { ${EVENT_FIELDS} } } } } }`, { id });
    expect(body.errors).toBeUndefined();
    return { status: body.data.run.status as string, events: body.data.run.events.edges.map((e: any) => e.node) as any[] };
  };

  it('a subscriber joining mid-run (Repair has begun) gets every event after afterEventId in order, then completion; runUpdated shows the run FAILED', async () => {
    const updates = collect(t.ws(), `subscription { runUpdated(dataset: "gated") { id status error } }`);
    await new Promise((r) => setTimeout(r, 200));
    const started = await t.gql(
      `mutation ($from: DateTime!, $to: DateTime!, $ranges: [GapRangeInput!]) { startRepair(dataset: "gated", from: $from, to: $to, ranges: $ranges) { id } }`,
      { ...WINDOW, ranges: [AMZN_GAP] },
    );
    expect(started.errors).toBeUndefined();
    const runId: string = started.data.startRepair.id;
    await until('Repair to begin', () => existsSync(path.join(dir, 'started-AMZN')));
    const sofar = (await historyOf(runId)).events;
    const afterEventId = sofar.at(-1).id;
    expect(sofar.map((e) => e.state)).toContain('Repair');

    const mid = collect(t.ws(), `subscription ($runId: ID!, $after: Int) { runEvents(runId: $runId, afterEventId: $after) { ${EVENT_FIELDS} } }`, { runId, after: afterEventId });
    writeFileSync(path.join(dir, 'release-AMZN'), '1');
    await mid.done;
    expect(mid.error()).toBeUndefined();
    expect(mid.completed()).toBe(true);

    const full = await historyOf(runId);
    expect(full.status).toBe('FAILED');
    const got = mid.received.map((m) => m.data.runEvents);
    expect(got).toStrictEqual(full.events.filter((e) => e.id > afterEventId));
    expect(got.map((e) => e.id)).toStrictEqual(full.events.slice(afterEventId).map((_, i) => afterEventId + 1 + i));
    expect(got.at(-1).type).toBe('ExecutionFailed');

    await until('runUpdated to report the end', () => updates.received.some((m) => m.data?.runUpdated.status === 'FAILED'));
    const last = updates.received.at(-1).data.runUpdated;
    expect(last).toMatchObject({ id: runId, status: 'FAILED', error: expect.any(String) });
  });

  it('many subscribers on one run share one poller: joining costs them no GetExecutionHistory calls of their own', async () => {
    const started = await t.gql(
      `mutation ($from: DateTime!, $to: DateTime!, $ranges: [GapRangeInput!]) { startRepair(dataset: "gated", from: $from, to: $to, ranges: $ranges) { id } }`,
      { from: '2024-03-08T00:00:00Z', to: '2024-03-09T00:00:00Z', ranges: [{ group: 'GOOG', start: '2024-03-08T09:00:00Z', end: '2024-03-08T10:00:00Z' }] },
    );
    const runId: string = started.data.startRepair.id;
    await until('Repair to begin', () => existsSync(path.join(dir, 'started-GOOG')));
    /** The run watcher's history reads from the start (a run's load), from /metrics. */
    const loads = async () => Number(/^gapwatch_run_history_calls_total\{kind="load"\} (\S+)/m.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1]);
    const before = await loads();
    expect(before).toBeGreaterThan(0);
    const subscribers = Array.from({ length: 20 }, () => collect(t.ws(), `subscription ($runId: ID!) { runEvents(runId: $runId) { id type } }`, { runId }));
    await until('every subscriber to get the replay', () => subscribers.every((s) => s.received.length > 0));
    // The run was already watched (its instance started it): 20 joins read its kept history, not Step
    // Functions (the one poller's polls go on as they would without them).
    expect(await loads()).toBe(before);
    writeFileSync(path.join(dir, 'release-GOOG'), '1');
    await Promise.all(subscribers.map((s) => s.done));
    const full = await historyOf(runId);
    for (const s of subscribers) expect(s.received.map((m) => m.data.runEvents.id)).toStrictEqual(full.events.map((e) => e.id));
  });

  it('datasetReady arrives after a successful run\'s Initiate, naming the run', async () => {
    const ready = collect(t.ws(), `subscription { datasetReady(dataset: "stock_ticks") { dataset from to source { kind runId } } }`);
    await new Promise((r) => setTimeout(r, 200));
    const started = await t.gql(`mutation { startCheck(dataset: "stock_ticks", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z", repair: true) { id } }`);
    expect(started.errors).toBeUndefined();
    const runId = started.data.startCheck.id;
    await until('the ready signal', () => ready.received.some((m) => m.data?.datasetReady.source.runId === runId));
    expect(ready.received.find((m) => m.data.datasetReady.source.runId === runId).data.datasetReady).toStrictEqual({
      dataset: 'stock_ticks',
      from: '2024-03-05T00:00:00.000Z',
      to: '2024-03-06T00:00:00.000Z',
      source: { kind: 'PIPELINE', runId },
    });
  });

  it('each status of a run is announced once: subscribing to its events again after it ended repeats no runUpdated', async () => {
    const updates = collect(t.ws(), `subscription { runUpdated(dataset: "stock_ticks") { id status } }`);
    await new Promise((r) => setTimeout(r, 200));
    const started = await t.gql(`mutation { startCheck(dataset: "stock_ticks", from: "2024-03-10T00:00:00Z", to: "2024-03-11T00:00:00Z") { id } }`);
    expect(started.errors).toBeUndefined();
    const runId: string = started.data.startCheck.id;
    const mine = () => updates.received.map((m) => m.data.runUpdated).filter((r: any) => r.id === runId).map((r: any) => r.status);
    await until('the run to end', () => mine().includes('SUCCEEDED'));
    // Three clients read the finished run's events, one after another.
    for (let i = 0; i < 3; i++) {
      const events = collect(t.ws(), `subscription ($runId: ID!) { runEvents(runId: $runId) { id type } }`, { runId });
      await events.done;
      expect(events.received.at(-1).data.runEvents.type).toBe('ExecutionSucceeded');
    }
    // Anything announced for them arrives before an update announced after them: another run's.
    const other = await t.gql(`mutation { startCheck(dataset: "stock_ticks", from: "2024-03-11T00:00:00Z", to: "2024-03-12T00:00:00Z") { id } }`);
    await until('the next run to start', () => updates.received.some((m) => m.data.runUpdated.id === other.data.startCheck.id));
    expect(mine()).toStrictEqual(['RUNNING', 'SUCCEEDED']);
  });

  it('an unknown run is NOT_FOUND and a malformed id BAD_USER_INPUT', async () => {
    const unknown = collect(t.ws(), `subscription { runEvents(runId: "arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:nope") { id } }`);
    await unknown.done;
    expect(unknown.received.concat(unknown.error() ?? []).flatMap((m: any) => m.errors ?? m ?? []).map((e: any) => e.extensions?.code)).toContain('NOT_FOUND');
    const malformed = collect(t.ws(), `subscription { runEvents(runId: "not-an-arn") { id } }`);
    await malformed.done;
    expect(JSON.stringify([malformed.received, malformed.error()])).toContain('BAD_USER_INPUT');
  });
});
