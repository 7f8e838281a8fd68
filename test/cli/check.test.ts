import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SAMPLE_DEFECTS, SAMPLE_RANGE } from '../../src/embedded/athena/sample';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';

/**
 * The built bin, run for real as a CI job would: `npm test` builds before jest, so dist/ is current.
 * (Running this file alone after changing src/cli, run `npm run build` first.)
 */
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'gapwatch.js');

const CONFIG = STOCK_TICKS_YAML;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `gapwatch <args>` with only the environment given (the test runner's GAPWATCH_* never leak in).
 * The AWS SDK's Node-version notice is switched off so stderr holds only what gapwatch itself wrote.
 */
function gapwatch(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** The sample's documented defects as the report lists them (as in test/resolvers/gaps.test.ts). */
function expectedRanges() {
  return SAMPLE_DEFECTS.map((d) => {
    const buckets = (Date.parse(d.end) - Date.parse(d.start)) / 3_600_000;
    switch (d.kind) {
      case 'MISSING':
      case 'ABSENT_DAY':
        return { group: d.symbol, kind: 'MISSING', start: d.start, end: d.end, buckets, absent: false, reason: null };
      case 'UNDERFILLED':
        return { group: d.symbol, kind: 'UNDERFILLED', start: d.start, end: d.end, buckets, absent: false, reason: null };
      case 'STARTS_MID_HOUR':
        return {
          group: d.symbol,
          kind: 'PARTIAL_EDGE',
          start: d.start,
          end: new Date(Date.parse(d.start) + 3_600_000).toISOString(),
          buckets: 1,
          absent: false,
          reason: 'SERIES_START',
        };
    }
  }).sort((a, b) => a.group.localeCompare(b.group) || a.start.localeCompare(b.start));
}

/** Ranges without the counts (the sample's healthy hours vary in ticks; the defects' positions do not). */
function shapes(report: any) {
  return report.ranges.map(({ group, kind, start, end, buckets, absent, reason }: any) => ({ group, kind, start, end, buckets, absent, reason }));
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const SAMPLE_WINDOW = ['--from', SAMPLE_RANGE.start, '--to', SAMPLE_RANGE.end];
const CLEAN_WINDOW = ['--from', '2024-03-10T00:00:00Z', '--to', '2024-03-11T00:00:00Z'];

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/src/cli/main.js is missing: run npm run build first');
});

describe('gapwatch check --url against a gapwatch with API keys', () => {
  const KEY = 'ci-check-secret-0123456789';
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: CONFIG, env: { GAPWATCH_API_KEYS: `ci:reader:${KEY}` } });
  });
  afterAll(() => t.stop());

  it('sends GAPWATCH_API_KEY as a bearer token, and says UNAUTHENTICATED without it', async () => {
    const window = ['--from', '2024-03-13T00:00:00Z', '--to', '2024-03-14T00:00:00Z'];
    const withKey = await gapwatch(['check', '--dataset', 'stock_ticks', ...window, '--url', t.url, '--json'], { GAPWATCH_API_KEY: KEY });
    expect([withKey.code, withKey.stderr]).toStrictEqual([0, '']);
    expect(JSON.parse(withKey.stdout).status).toBe('OK');
    const without = await gapwatch(['check', '--dataset', 'stock_ticks', ...window, '--url', t.url]);
    expect(without).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `gapwatch: gapwatch at ${t.url}/graphql: an API key is required: send Authorization: Bearer <key> or x-api-key: <key> (UNAUTHENTICATED)\n`,
    });
  });
});

describe('gapwatch check --url against a running gapwatch', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: CONFIG });
  });
  afterAll(() => t.stop());

  it('exits 0 on a clean window and prints the header and no ranges', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', ...CLEAN_WINDOW, '--url', t.url]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /^dataset stock_ticks {2}window 2024-03-10T00:00:00\.000Z \.\. 2024-03-11T00:00:00\.000Z \(1h, UTC\) {2}status OK {2}checked 72 buckets {2}query [\w-]+\nno gap ranges\n$/,
    );
  });

  it('exits 1 on a window in the future: nothing has happened yet, and silence is never a pass', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', '--from', '2030-01-01T00:00:00Z', '--to', '2030-01-02T00:00:00Z', '--url', t.url, '--json']);
    expect([run.code, run.stderr]).toStrictEqual([1, '']);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'PENDING', checkedBuckets: 0, ranges: [] });
  });

  it('exits 1 on the sample window and lists the known defects in --json', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', ...SAMPLE_WINDOW, '--url', `${t.url}/graphql`, '--json']);
    expect([run.code, run.stderr]).toStrictEqual([1, '']);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      dataset: 'stock_ticks',
      status: 'GAPS',
      from: SAMPLE_RANGE.start,
      to: SAMPLE_RANGE.end,
      checkedBuckets: 3 * 240,
      noData: false,
      trigger: 'API',
    });
    expect(shapes(report)).toStrictEqual(expectedRanges());
    // The report names the Athena execution it came from, and the server knows it.
    const raw = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { state } }`, { id: report.queryExecutionId });
    expect(raw.data.queryExecution).toStrictEqual({ state: 'SUCCEEDED' });
  });

  it('prints one aligned line per range without --json', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', ...SAMPLE_WINDOW, '--groups', 'GOOG', '--url', t.url]);
    expect(run.code).toBe(1);
    const [header, ...rest] = run.stdout.split('\n');
    expect(header).toMatch(/ status GAPS {2}checked 240 buckets {2}query [\w-]+$/);
    expect(rest).toStrictEqual([
      'GROUP  KIND         START                     END                       BUCKETS  OBSERVED/EXPECTED  ABSENT/REASON',
      'GOOG   MISSING      2024-03-07T02:00:00.000Z  2024-03-07T04:00:00.000Z        2              0/120  -',
      'GOOG   MISSING      2024-03-09T00:00:00.000Z  2024-03-10T00:00:00.000Z       24             0/1440  -',
      'GOOG   UNDERFILLED  2024-03-12T15:00:00.000Z  2024-03-12T16:00:00.000Z        1              25/60  -',
      // AMZN's and WORK's rows were read but, with --groups GOOG, not judged.
      expect.stringMatching(/^note: \d+ rows of groups not judged$/),
      '',
    ]);
  });

  it('places a trailing window with the server’s dataset settings (--last, or its checkWindow)', async () => {
    for (const [args, hours] of [[['--last', '6h'], 6], [[], 24]] as const) {
      const run = await gapwatch(['check', '--dataset', 'stock_ticks', ...args, '--url', t.url, '--json']);
      // Today's window holds no sample rows: GAPS with noData, which is the point (silence never passes).
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout);
      expect(report.noData).toBe(true);
      const [from, to] = [Date.parse(report.from), Date.parse(report.to)];
      expect([to - from, to % 3_600_000]).toStrictEqual([hours * 3_600_000, 0]);
    }
  });

  it('exits 2 with one line naming an unknown dataset, whether or not the window needs the dataset', async () => {
    const trailing = await gapwatch(['check', '--dataset', 'nope', '--last', '24h', '--url', t.url]);
    expect(trailing).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `gapwatch: dataset: no dataset 'nope' on ${t.url}/graphql; configured: stock_ticks\n`,
    });
    const explicit = await gapwatch(['check', '--dataset', 'nope', ...CLEAN_WINDOW, '--url', t.url]);
    expect(explicit).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `gapwatch: gapwatch at ${t.url}/graphql: dataset: no dataset 'nope'; configured: stock_ticks (NOT_FOUND)\n`,
    });
  });

  it('exits 2 on a GraphQL error from the server', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', '--from', '2024-03-11T00:00:00Z', '--to', '2024-03-10T00:00:00Z', '--url', t.url]);
    expect(run).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `gapwatch: gapwatch at ${t.url}/graphql: to: from (2024-03-11T00:00:00.000Z) must be before to (2024-03-10T00:00:00.000Z) (BAD_USER_INPUT)\n`,
    });
  });
});

describe('gapwatch check in-process on the embedded backend', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-cli-'));
    // A second dataset over a table that does not exist: its check fails in Athena itself.
    writeFileSync(
      path.join(dir, 'gapwatch.config.yaml'),
      `${CONFIG}
  - name: broken
    database: market
    table: no_such_table
    timestampColumn: capture_datetime
    groupColumn: symbol
    bucket: 1h
    expectedPerBucket: 60
`,
    );
    // No GAPWATCH_EMBEDDED_PORT: the CLI must pick a free port on its own, not the service's 4566.
    env = { GAPWATCH_DATA_DIR: path.join(dir, 'data'), GAPWATCH_CONFIG: path.join(dir, 'gapwatch.config.yaml') };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 for the defect window, lists the known defects with trigger CLI, and keeps stdout to the report', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', ...SAMPLE_WINDOW, '--json'], env);
    expect([run.code, run.stderr]).toStrictEqual([1, '']);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ status: 'GAPS', from: SAMPLE_RANGE.start, to: SAMPLE_RANGE.end, checkedBuckets: 720, trigger: 'CLI' });
    expect(shapes(report)).toStrictEqual(expectedRanges());
  });

  it('exits 0 for a clean window', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', ...CLEAN_WINDOW, '--json'], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'OK', ranges: [], checkedBuckets: 72, trigger: 'CLI' });
  });

  it('writes its logs to stderr, as JSON lines, at the level asked for', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', ...CLEAN_WINDOW, '--json'], { ...env, GAPWATCH_LOG_LEVEL: 'info' });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).status).toBe('OK');
    const logs = run.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(logs.find((l) => l.msg === 'gap check done')).toMatchObject({ dataset: 'stock_ticks', status: 'OK', trigger: 'CLI' });
  });

  it('exits 2 with one line naming the unknown dataset and the configured ones', async () => {
    expect(await gapwatch(['check', '--dataset', 'nope', '--last', '24h'], env)).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `gapwatch: dataset: no dataset 'nope' in ${env.GAPWATCH_CONFIG}; configured: stock_ticks, broken\n`,
    });
  });

  it('exits 2 when the Athena query fails, with Athena\'s reason and the execution id', async () => {
    const run = await gapwatch(['check', '--dataset', 'broken', ...CLEAN_WINDOW], env);
    expect([run.code, run.stdout]).toStrictEqual([2, '']);
    expect(run.stderr).toMatch(/^gapwatch: query [\w-]+ failed: TABLE_NOT_FOUND: .*no_such_table.* \(QUERY_FAILED\)\n$/);
  });

  it('exits 2 on a window the dataset does not allow, before starting any backend', async () => {
    const run = await gapwatch(['check', '--dataset', 'stock_ticks', '--from', '2000-01-01T00:00:00Z', '--to', '2024-03-10T00:00:00Z'], env);
    expect(run).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: 'gapwatch: --from: window of 212040h exceeds maxCheckWindow of 87840h for dataset stock_ticks\n',
    });
    expect((await gapwatch(['check', '--dataset', 'stock_ticks', '--last', '3661d'], env)).stderr).toBe(
      'gapwatch: --last: window of 87864h exceeds maxCheckWindow of 87840h for dataset stock_ticks\n',
    );
  });
});

describe('gapwatch check errors', () => {
  it('exits 2 on a bad --from', async () => {
    expect(await gapwatch(['check', '--dataset', 'stock_ticks', '--from', 'last tuesday', '--to', '2024-03-11T00:00:00Z'])).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: "gapwatch: --from: expected an ISO-8601 instant with a zone such as 2024-03-04T00:00:00Z (or a date, 2024-03-04, meaning midnight UTC), got 'last tuesday'\n",
    });
  });

  it('exits 2 when --url reaches nothing', async () => {
    const port = await closedPort();
    expect(await gapwatch(['check', '--dataset', 'stock_ticks', ...CLEAN_WINDOW, '--url', `http://127.0.0.1:${port}`])).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `gapwatch: cannot reach gapwatch at http://127.0.0.1:${port}/graphql: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    });
  });

  it('exits 2 without --dataset, pointing at the help', async () => {
    expect(await gapwatch(['check', '--last', '24h'])).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: 'gapwatch: missing --dataset NAME: which dataset to check (see gapwatch check --help)\n',
    });
  });

  it('prints the usage on --help and exits 0', async () => {
    const run = await gapwatch(['check', '--help']);
    expect([run.code, run.stderr]).toStrictEqual([0, '']);
    expect(run.stdout.split('\n')[0]).toBe('Usage: gapwatch check --dataset NAME [window] [options]');
  });
});
