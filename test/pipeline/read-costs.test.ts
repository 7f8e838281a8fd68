/**
 * Reads of runs cost what they say, over GraphQL against the embedded Step Functions: a page describes only
 * the runs it shows, the cost limit charges the Step Functions calls a field makes, a page with a next page
 * always says where it starts, and one response carries a bounded amount of event details.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML, ticksDatasetYaml } from '../support/config';

const PIPELINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline';
const DETAIL_LIMIT = 64 * 1024;
/** A repair action that repairs nothing and says so at length (15,000 characters, under the 16 KiB a result may have). */
const PADDED_REPAIR = `exports.repair = (range) => ({ group: range.group, note: 'x'.repeat(15000) });\n`;
const CONFIG = `${STOCK_TICKS_YAML}${ticksDatasetYaml('other')}${ticksDatasetYaml('padded', { repair: './padded-repair.js' })}limits:\n  maxEventDetailBytes: ${DETAIL_LIMIT}\n`;

describe('reading runs', () => {
  let dir: string;
  let t: TestApp;
  let sfn: SFNClient;
  const calls = async (operation: string) => (await t.app.embedded!.calls())[operation] ?? 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-read-costs-'));
    writeFileSync(path.join(dir, 'padded-repair.js'), PADDED_REPAIR);
    t = await startTestApp({ config: CONFIG, dataDir: dir });
    sfn = new SFNClient({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    // 1,050 runs of stock_ticks (a local process starts them; each fails at once on its mode): more than one
    // request scans for another dataset's runs.
    for (let i = 0; i < 1050; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          sfn.send(new StartExecutionCommand({ stateMachineArn: PIPELINE, name: `stock_ticks-bulk-${i + k}`, input: JSON.stringify({ dataset: 'stock_ticks', from: '2024-03-05T00:00:00Z', to: '2024-03-06T00:00:00Z', mode: 'NONE' }) })),
        ),
      );
    }
  }, 120_000);
  afterAll(async () => {
    sfn.destroy();
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('describes only the runs a page shows (with a dataset, one more)', async () => {
    // Four runs of stock_ticks through gapwatch, newer than the bulk.
    const ids: string[] = [];
    for (const day of ['2024-03-10', '2024-03-11', '2024-03-12', '2024-03-13']) {
      const started = await t.gql(`mutation ($from: DateTime!) { startCheck(dataset: "stock_ticks", from: $from, to: "2024-03-14") { id } }`, { from: day });
      expect(started.errors).toBeUndefined();
      ids.push(started.data.startCheck.id);
    }
    // Ended, and the run watcher (which describes a run whose status changed) quiet again.
    for (const id of ids) {
      while ((await t.gql(`query ($id: ID!) { run(id: $id) { status } }`, { id })).data.run.status === 'RUNNING') await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const [query, most] of [
      ['{ runs(first: 1) { edges { node { id status mode } } pageInfo { hasNextPage } } }', 1],
      ['{ runs(dataset: "stock_ticks", first: 1) { edges { node { id status mode } } pageInfo { hasNextPage } } }', 2],
      ['{ runs(dataset: "stock_ticks", first: 3) { edges { node { id status mode } } pageInfo { hasNextPage } } }', 4],
    ] as const) {
      const before = await calls('DescribeExecution');
      const body = await t.gql(query);
      expect(body.errors).toBeUndefined();
      expect(body.data.runs.pageInfo.hasNextPage).toBe(true);
      expect(body.data.runs.edges.length).toBe(most === 1 ? 1 : most - 1);
      expect((await calls('DescribeExecution')) - before).toBeLessThanOrEqual(most);
    }
  });

  it('gives a page with a next page an endCursor that moves on, even with no edges, and following it ends', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let request = 0; ; request++) {
      expect(request).toBeLessThan(5);
      const body: any = await t.gql(`query ($after: String) { runs(dataset: "other", first: 1, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(body.errors).toBeUndefined();
      expect(body.data.runs.edges).toStrictEqual([]);
      const { hasNextPage, endCursor } = body.data.runs.pageInfo;
      if (!hasNextPage) break;
      expect(endCursor).toEqual(expect.any(String));
      expect(seen).not.toContain(endCursor);
      seen.push(endCursor);
      after = endCursor;
    }
    // 1,050 executions, 1,000 a request: one page with a next page, then the end.
    expect(seen).toHaveLength(1);
  });

  it('charges the Step Functions calls a runs field makes against maxCost', async () => {
    const one = await t.gql('{ runs(dataset: "stock_ticks", first: 100) { edges { node { id } } } }');
    expect(one.errors).toBeUndefined();
    // Each may make 10 ListExecutions and 101 DescribeExecution calls: 19 of them in one request are too many.
    const many = Array.from({ length: 19 }, (_, i) => `r${i}: runs(dataset: "stock_ticks", first: 100) { edges { node { id } } }`).join(' ');
    const refused = await t.gql(`{ ${many} }`);
    expect(refused.errors).toMatchObject([{ extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxCost' } }]);
    expect(refused.data).toBeUndefined();
  });

  it("bounds the bytes of event details one response carries, marking what it leaves out as AWS does", async () => {
    const ranges = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'].map((group) => ({ group, start: '2024-03-05T10:00:00Z', end: '2024-03-05T11:00:00Z' }));
    const started = await t.gql(`mutation ($ranges: [GapRangeInput!]) { startRepair(dataset: "padded", from: "2024-03-05", to: "2024-03-06", ranges: $ranges) { id } }`, { ranges });
    expect(started.errors).toBeUndefined();
    const id = started.data.startRepair.id;
    for (let i = 0; i < 300; i++) {
      if ((await t.gql(`query ($id: ID!) { run(id: $id) { status } }`, { id })).data.run.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const body = await t.gql(`query ($id: ID!) { run(id: $id) { events(first: 1000) { edges { node { id type detail } } pageInfo { hasNextPage } } } }`, { id });
    expect(body.errors).toBeUndefined();
    const events = body.data.run.events.edges.map((e: any) => e.node);
    expect(events.map((e: any) => e.id)).toStrictEqual(events.map((_: unknown, i: number) => i + 1));
    expect(events.at(-1).type).toMatch(/^Execution(Succeeded|Failed)$/);
    // The whole history's details are several times the limit.
    const padded = events.filter((e: any) => JSON.stringify(e.detail ?? {}).includes('x'.repeat(15000)));
    expect(padded.length).toBeGreaterThan(0);
    const total = events.reduce((n: number, e: any) => n + Buffer.byteLength(JSON.stringify(e.detail ?? null)), 0);
    expect(total).toBeLessThan(DETAIL_LIMIT + events.length * 400);
    const truncated = events.filter((e: any) => Object.values(e.detail ?? {}).some((v: any) => v?.truncated === true));
    expect(truncated.length).toBeGreaterThan(0);
    expect(Object.values(truncated[0].detail).find((v: any) => v?.truncated)).toMatchObject({ truncated: true, limit: 'maxEventDetailBytes', value: DETAIL_LIMIT, bytes: expect.any(Number) });
    // The first events are whole: the run's input is there.
    expect(JSON.parse(events[0].detail.input)).toMatchObject({ dataset: 'padded', mode: 'REPAIR' });

    // Paging on from a truncated event reads it whole.
    const from = truncated.find((e: any) => e.detail.outputDetails?.truncated);
    expect(from).toBeDefined();
    expect(from.detail.output).toBeUndefined();
    const next = await t.gql(`query ($id: ID!, $after: String) { run(id: $id) { events(first: 1, after: $after) { edges { node { id detail } } } } }`, { id, after: String(from.id - 1) });
    expect(next.data.run.events.edges[0].node.detail.output).toEqual(expect.any(String));
  });
});
