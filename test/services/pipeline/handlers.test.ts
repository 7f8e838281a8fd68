import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { connectBackends, type Backends } from '../../../src/backends';
import { loadEnvConfig, loadSettings } from '../../../src/config';
import { SAMPLE_DEFECTS } from '../../../src/embedded/athena/sample';
import { ConfigError } from '../../../src/errors';
import { realClock } from '../../../src/services/clock/clock';
import type { CheckResult, RepairResult, ValidationResult } from '../../../src/services/pipeline/types';
import { STOCK_TICKS_YAML, ticksDatasetYaml } from '../../support/config';

/** A module repair action that records what it was called with, and fails for the group FAIL. */
const MODULE = `
exports.calls = [];
exports.repair = async (range, { signal }) => {
  exports.calls.push({ range, aborted: signal.aborted });
  if (range.group === 'FAIL') { const e = new Error('source offline'); e.name = 'Upstream.Unavailable'; throw e; }
  if (range.group === 'BARE') throw new Error('plain failure');
  return { filled: range.group };
};
`;

const REPAIR_LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:gapwatch-repair-ticks';
const CONFIG =
  STOCK_TICKS_YAML +
  ticksDatasetYaml('custom', { repair: './custom-repair.js' }) +
  ticksDatasetYaml('unrepairable').replace('table: ticks', 'table: other') +
  // The sample's own table, but no `repair:`: the sample repair is opt-in, never a default.
  ticksDatasetYaml('ticks_without_repair') +
  ticksDatasetYaml('by_lambda', { repair: REPAIR_LAMBDA });

/**
 * A stand-in for the Lambda Invoke API (REST-JSON, `POST /2015-03-31/functions/<name>/invocations`), as the
 * SDK reaches it through AWS_ENDPOINT_URL_LAMBDA: echoes the range, or answers a function error (HTTP 200 with
 * X-Amz-Function-Error, as Lambda does) for the group FAIL.
 */
async function startLambdaEndpoint(): Promise<{ url: string; invoked: { path: string; body: any }[]; close(): Promise<void> }> {
  const invoked: { path: string; body: any }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (b: Buffer) => (text += b.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text);
      invoked.push({ path: decodeURIComponent(req.url ?? ''), body });
      if (body.range.group === 'FAIL') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        res.end(JSON.stringify({ errorType: 'Source.Offline', errorMessage: 'no source for FAIL', trace: [] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ repairedBy: 'lambda', group: body.range.group }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, invoked, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function open(dir: string, config: string): Promise<Backends> {
  const configFile = path.join(dir, 'gapwatch.config.yaml');
  writeFileSync(configFile, config);
  const env = loadEnvConfig({ GAPWATCH_DATA_DIR: dir, GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_CONFIG: configFile });
  return connectBackends(loadSettings(env), pino({ level: 'silent' }), realClock, { schedule: false, pipeline: false });
}

const live = () => ({ signal: new AbortController().signal, executionArn: 'arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:test' });

describe('pipeline handlers against the embedded Athena', () => {
  let dir: string;
  let backends: Backends;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-handlers-'));
    writeFileSync(path.join(dir, 'custom-repair.js'), MODULE);
    backends = await open(dir, CONFIG);
  });
  afterAll(async () => {
    await backends.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const window = { dataset: 'stock_ticks', from: '2024-03-04T00:00:00Z', to: '2024-03-14T00:00:00Z' };

  it('Check finds the sample\'s gap ranges (partial edges are not gaps)', async () => {
    const out = (await backends.handlers.check(window, live())) as CheckResult;
    const gaps = SAMPLE_DEFECTS.filter((d) => d.kind !== 'STARTS_MID_HOUR');
    expect(out).toMatchObject({ status: 'GAPS', rangeCount: gaps.length, truncated: false, queryExecutionId: expect.any(String) });
    expect(out.ranges.map((r) => `${r.group} ${r.start} ${r.end}`).sort()).toStrictEqual(gaps.map((d) => `${d.symbol} ${d.start} ${d.end}`).sort());
  });

  it('Check and Validate have Athena judge the window: a year of hours is one query whose result grows with the gaps', async () => {
    const year = { dataset: 'stock_ticks', from: '2023-03-14T00:00:00Z', to: '2024-03-14T00:00:00Z' };
    const out = (await backends.handlers.check(year, live())) as CheckResult;
    const gaps = SAMPLE_DEFECTS.filter((d) => d.kind !== 'STARTS_MID_HOUR');
    expect(out.ranges.map((r) => `${r.group} ${r.start} ${r.end}`).sort()).toStrictEqual(gaps.map((d) => `${d.symbol} ${d.start} ${d.end}`).sort());
    const execution = await backends.services.athena.get(out.queryExecutionId!);
    expect(execution.sql).toContain('row_number() OVER (PARTITION BY grp, kind ORDER BY idx)');
    let rows = 0;
    for await (const page of backends.services.athena.allPages(execution.id)) rows += page.values.length;
    // 8,760 hours × 3 symbols judged; what came back: each symbol's islands (one more than its gaps) and thin hours.
    expect(rows).toBeLessThanOrEqual(3 + 2 * gaps.length);
    const validated = (await backends.handlers.validate(year, live())) as ValidationResult;
    expect(validated).toMatchObject({ status: 'GAPS', windows: [] });
    expect(validated.remaining).toHaveLength(gaps.length);
  });

  it('Repair fills a missing hour and a thin hour from the sample source, idempotently; Validate then finds them OK', async () => {
    const missing = { group: 'AMZN', start: '2024-03-05T13:00:00.000Z', end: '2024-03-05T14:00:00.000Z', kind: 'MISSING' };
    const thin = { group: 'WORK', start: '2024-03-06T07:00:00.000Z', end: '2024-03-06T08:00:00.000Z', kind: 'UNDERFILLED' };
    const before = (await backends.handlers.validate({ ...window, ranges: [missing, thin] }, live())) as ValidationResult;
    expect(before.status).toBe('GAPS');
    expect(before.summary).toMatch(/AMZN MISSING \[2024-03-05T13:00:00.000Z/);

    const first = (await backends.handlers.repair({ dataset: 'stock_ticks', range: missing }, live())) as RepairResult;
    expect(first.range).toStrictEqual(missing);
    expect((first.result as { inserted: number }).inserted).toBeGreaterThanOrEqual(48);
    const thinFirst = (await backends.handlers.repair({ dataset: 'stock_ticks', range: thin }, live())) as RepairResult;
    // 12 ticks were there; the source's hour has at least 48 minutes, some of which were already present.
    expect((thinFirst.result as { inserted: number }).inserted).toBeGreaterThanOrEqual(48 - 12);

    // A second repair changes nothing.
    const again = (await backends.handlers.repair({ dataset: 'stock_ticks', range: missing }, live())) as RepairResult;
    expect(again.result).toStrictEqual({ inserted: 0 });

    // The repaired windows are complete, and the rest of the window is judged too, whatever the run's mode
    // says (a FULL run's Check is no proof: the caller chooses `mode`): it has other gaps.
    for (const mode of ['FULL', 'REPAIR']) {
      const chosen = (await backends.handlers.validate({ ...window, mode, repaired: [first, thinFirst] }, live())) as ValidationResult;
      expect(chosen).toMatchObject({ status: 'NOT_READY', windows: [missing, thin] });
      expect(chosen.remaining.length).toBeGreaterThan(0);
      expect(chosen.summary).toMatch(/^the re-checked ranges are complete, but the window \[2024-03-04T00:00:00.000Z, 2024-03-14T00:00:00.000Z\) is not, so it is not declared ready: \d+ other range\(s\) have gaps: /);
    }
    const rows = await backends.services.athena.run({
      sql: "SELECT count(*) FROM market.ticks WHERE symbol = 'AMZN' AND capture_datetime >= TIMESTAMP '2024-03-05 13:00:00' AND capture_datetime < TIMESTAMP '2024-03-05 14:00:00'",
    });
    const page = await backends.services.athena.page(rows.id, null);
    expect(Number(page.values[0]![0])).toBe((first.result as { inserted: number }).inserted);
  });

  it('Validate without ranges re-checks the whole window', async () => {
    const out = (await backends.handlers.validate({ dataset: 'stock_ticks', from: '2024-03-07T00:00:00Z', to: '2024-03-08T00:00:00Z' }, live())) as ValidationResult;
    expect(out).toMatchObject({ status: 'GAPS', windows: [], remaining: [{ group: 'GOOG', kind: 'MISSING', start: '2024-03-07T02:00:00.000Z', end: '2024-03-07T04:00:00.000Z' }] });
  });

  it('Initiate returns the ready signal naming the run', async () => {
    const { executionArn } = live();
    const out = await backends.handlers.initiate({ ...window, runId: executionArn }, live());
    expect(out).toMatchObject({ dataset: 'stock_ticks', from: '2024-03-04T00:00:00.000Z', to: '2024-03-14T00:00:00.000Z', runId: executionArn, at: expect.any(String) });
    // On AWS (Lambda) the context has no execution: the runId the state machine passes ($$.Execution.Id) is taken.
    const lambda = { signal: new AbortController().signal };
    await expect(backends.handlers.initiate({ ...window, runId: 'arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:r1' }, lambda)).resolves.toMatchObject({
      runId: 'arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:r1',
    });
  });

  it('calls a configured module with the range and a live signal; its error name is kept, a bare Error is RepairFailed', async () => {
    const mod = require(path.join(dir, 'custom-repair.js'));
    const range = { group: 'X', start: '2024-03-05T00:00:00.000Z', end: '2024-03-05T01:00:00.000Z' };
    await expect(backends.handlers.repair({ dataset: 'custom', range }, live())).resolves.toStrictEqual({ range, result: { filled: 'X' } });
    expect(mod.calls.at(-1)).toStrictEqual({ range, aborted: false });
    await expect(backends.handlers.repair({ dataset: 'custom', range: { ...range, group: 'FAIL' } }, live())).rejects.toMatchObject({ name: 'Upstream.Unavailable', message: 'source offline' });
    await expect(backends.handlers.repair({ dataset: 'custom', range: { ...range, group: 'BARE' } }, live())).rejects.toMatchObject({ name: 'gapwatch.RepairFailed', message: 'plain failure' });
  });

  it('invokes a dataset\'s repair Lambda with the range; a function error fails the attempt with its errorType', async () => {
    const lambda = await startLambdaEndpoint();
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL_LAMBDA: lambda.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' });
    try {
      const range = { group: 'AMZN', start: '2024-03-05T13:00:00.000Z', end: '2024-03-05T14:00:00.000Z' };
      await expect(backends.handlers.repair({ dataset: 'by_lambda', range }, live())).resolves.toStrictEqual({ range, result: { repairedBy: 'lambda', group: 'AMZN' } });
      expect(lambda.invoked[0]).toStrictEqual({ path: `/2015-03-31/functions/${REPAIR_LAMBDA}/invocations`, body: { range } });
      await expect(backends.handlers.repair({ dataset: 'by_lambda', range: { ...range, group: 'FAIL' } }, live())).rejects.toMatchObject({ name: 'Source.Offline', message: 'no source for FAIL' });
    } finally {
      process.env = saved;
      await lambda.close();
    }
  });

  it('refuses bad input with named Task errors, never a crash', async () => {
    const range = { group: 'AMZN', start: '2024-03-05T00:00:00Z', end: '2024-03-05T01:00:00Z' };
    await expect(backends.handlers.check(null, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput' });
    await expect(backends.handlers.check({ ...window, from: 'yesterday' }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /input.from/ });
    await expect(backends.handlers.check({ ...window, dataset: 'nope' }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /no dataset 'nope'/ });
    await expect(backends.handlers.check({ ...window, from: '2000-01-01T00:00:00Z' }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /maxCheckWindow/ });
    await expect(backends.handlers.repair({ dataset: 'stock_ticks', range: { ...range, end: range.start } }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput' });
    await expect(backends.handlers.repair({ dataset: 'stock_ticks', range: { ...range, group: 'MSFT' } }, live())).rejects.toMatchObject({ name: 'gapwatch.RepairFailed', message: /no symbol 'MSFT'/ });
    await expect(backends.handlers.repair({ dataset: 'unrepairable', range }, live())).rejects.toMatchObject({ name: 'gapwatch.RepairNotConfigured' });
    await expect(backends.handlers.repair({ dataset: 'ticks_without_repair', range }, live())).rejects.toMatchObject({ name: 'gapwatch.RepairNotConfigured' });
    await expect(backends.handlers.validate({ ...window, ranges: Array(201).fill(range) }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /at most 200/ });
  });

  it('holds every window to the dataset\'s rules whoever calls: a repair longer than maxWindow writes nothing', async () => {
    const count = async (): Promise<number> => {
      const q = await backends.services.athena.run({ sql: "SELECT count(*) FROM market.ticks WHERE capture_datetime < TIMESTAMP '2000-01-01 00:00:00'" });
      return Number((await backends.services.athena.page(q.id, null)).values[0]![0]);
    };
    // 59 days of 1990: over stock_ticks' maxWindow (744h), and the sample source would fabricate every hour of it.
    const long = { group: 'AMZN', start: '1990-01-01T00:00:00Z', end: '1990-03-01T00:00:00Z' };
    await expect(backends.handlers.repair({ dataset: 'stock_ticks', range: long }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /input.range: window of 1416h exceeds maxWindow of 744h/ });
    await expect(backends.handlers.repair({ dataset: 'custom', range: { ...long, group: 'X' } }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /maxWindow/ });
    expect(await count()).toBe(0);
    const range = { group: 'AMZN', start: '2024-03-05T00:00:00Z', end: '2024-03-05T01:00:00Z' };
    // A window is held to what a check judges (maxCheckWindow, Athena judging it), a repaired range to maxWindow.
    const wide = { dataset: 'stock_ticks', from: '2000-01-01T00:00:00Z', to: '2024-03-14T00:00:00Z' };
    await expect(backends.handlers.validate({ ...wide, ranges: [range] }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /maxCheckWindow/ });
    await expect(backends.handlers.validate({ ...window, ranges: [{ ...range, start: '2024-03-01T00:00:00Z' }] }, live())).rejects.toMatchObject({
      name: 'gapwatch.InvalidInput',
      message: /input.ranges\[0\]: \[2024-03-01T00:00:00.000Z, 2024-03-05T01:00:00.000Z\) is not inside the window/,
    });
    await expect(backends.handlers.validate({ ...window, repaired: [{ range: { ...range, end: '2024-03-15T00:00:00Z' } }] }, live())).rejects.toMatchObject({
      name: 'gapwatch.InvalidInput',
      message: /input.repaired\[0\]: .* is not inside the window/,
    });
    await expect(backends.handlers.initiate({ ...wide, runId: live().executionArn }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /maxCheckWindow/ });
    await expect(backends.handlers.initiate({ ...window, runId: 'forged' }, live())).rejects.toMatchObject({ name: 'gapwatch.InvalidInput', message: /input.runId: expected this execution's ARN/ });
  });

  it('stops a repair whose signal has aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run stopped'));
    const range = { group: 'GOOG', start: '2024-03-07T02:00:00Z', end: '2024-03-07T04:00:00Z' };
    await expect(backends.handlers.repair({ dataset: 'stock_ticks', range }, { signal: controller.signal })).rejects.toThrow('run stopped');
  });
});

describe('pipeline configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-repair-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['./nowhere.js', /repair: no module at/],
    ['arn:aws:lambda:us-east-1:12:function:x', /expected a Lambda function ARN/],
  ])('refuses %s at start-up', async (repair, message) => {
    const config = STOCK_TICKS_YAML.replace('repair: sample', `repair: "${repair}"`);
    await expect(open(dir, config)).rejects.toThrow(ConfigError);
    await expect(open(dir, config)).rejects.toThrow(message);
  });

  it('refuses a module that exports no function', async () => {
    writeFileSync(path.join(dir, 'r.js'), 'exports.value = 1;');
    await expect(open(dir, STOCK_TICKS_YAML.replace('repair: sample', 'repair: ./r.js'))).rejects.toThrow(/exports no function/);
  });

  it('refuses to serve the pipeline on AWS without GAPWATCH_STATE_MACHINE_ARN, or with a malformed one', async () => {
    const configFile = path.join(dir, 'gapwatch.config.yaml');
    writeFileSync(configFile, STOCK_TICKS_YAML);
    const start = (extra: Record<string, string>) =>
      connectBackends(loadSettings(loadEnvConfig({ GAPWATCH_DATA_DIR: dir, GAPWATCH_CONFIG: configFile, GAPWATCH_BACKEND: 'aws', ...extra })), pino({ level: 'silent' }));
    await expect(start({})).rejects.toThrow(new ConfigError('GAPWATCH_STATE_MACHINE_ARN: required with GAPWATCH_BACKEND=aws: the ARN of the deployed gapwatch-pipeline state machine (deploy/template.yaml outputs it)'));
    await expect(start({ GAPWATCH_STATE_MACHINE_ARN: 'gapwatch-pipeline' })).rejects.toThrow(/GAPWATCH_STATE_MACHINE_ARN: expected arn:aws:states:/);
  });

  it('refuses autoRepair without a schedule, and a non-boolean autoRepair', async () => {
    const noSchedule = STOCK_TICKS_YAML.replace('    schedule: 1h\n', '');
    await expect(open(dir, `${noSchedule}    autoRepair: true\n`)).rejects.toThrow(/autoRepair: needs a schedule/);
    await expect(open(dir, `${STOCK_TICKS_YAML}    autoRepair: yes please\n`)).rejects.toThrow(/autoRepair: expected true or false/);
  });
});
