/**
 * Large results (issue 23), each a ratio of two ways of reading the same result in one run:
 *
 * 1. GraphQL paging of 1,000,000 rows (`rows(first: 1000)`): gapwatch reading past page 0 from the file in
 *    S3 vs the same gapwatch reading with GetQueryResults only (`athena.resultsFromS3: false`). Target ≥ 5×.
 * 2. `GET /results/<id>` of 1,000,000 rows (NDJSON) vs paging them with GetQueryResults (the SDK's own
 *    paginator, 1,000 rows a call): target ≥ 10×; its rows/s beside PyAthena's published S3-cursor figure.
 * 3. Peak RSS of the service while it streams 5,000,000 rows to a slow client: < 300 MB.
 *
 * As deployed, four processes: the embedded endpoint standing in for Athena and S3 behind the latency proxy
 * (latency-proxy.ts, whose model is documented there and in docs/performance.md), two gapwatch services on
 * the aws backend pointed at it (one reading from S3, one not), and the clients here. 1 and 2 are measured
 * with the model on (the deployed shape) and again with it off (plain embedded figures, loopback, reported
 * without a target). Every read is of an execution that service has not read before.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { gql, readViaSdk } from './paging.bench';
import { LATENCY, type Model } from './latency-proxy';
import { FIVE_MILLION, MILLION } from './results-server';
import { type BenchResult, runStandalone } from './result';

/** PyAthena's published S3-cursor figure: PandasCursor read 1,923,322 rows in 53.7 s on average (its benchmarks of 2018-09-15, r5.large, query time included). */
const PYATHENA_ROWS_PER_S = 1_923_322 / 53.666;
/** The same benchmark's GetQueryResults cursor: 506.1 s. */
const PYATHENA_API_ROWS_PER_S = 1_923_322 / 506.056;

/** The slow client's pace while 5,000,000 rows stream to it. */
const SLOW_CLIENT_BYTES_PER_S = 16 * 1024 * 1024;

interface Child {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function serve(role: 'stand-in' | 'gapwatch', env: Record<string, string>): Promise<Child> {
  const child = fork(path.join(__dirname, 'results-server.js'), [role], { env: { ...process.env, ...env } });
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    child.once('message', resolve as never);
    child.once('exit', (code) => reject(new Error(`bench ${role} server exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

function setModel(standIn: Child, model: Model): Promise<void> {
  return new Promise((resolve) => {
    standIn.child.once('message', () => resolve());
    standIn.child.send({ model });
  });
}

/** Reads GET /results/<id> to the end; rows and bytes. `bytesPerSecond` paces the client (a slow one). */
function readResults(url: string, id: string, bytesPerSecond = Infinity): Promise<{ rows: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(new URL(`${url}/results/${id}`), (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET /results answered ${res.statusCode}`));
      let bytes = 0;
      let rows = 0;
      res.on('data', (b: Buffer) => {
        bytes += b.length;
        for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) rows++;
        const ahead = (bytes / bytesPerSecond) * 1000 - (performance.now() - started);
        if (ahead > 5) {
          res.pause();
          setTimeout(() => res.resume(), ahead);
        }
      });
      res.on('end', () => resolve({ rows, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The process's resident set now, from /proc (bytes). */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

const ROWS_QUERY = /* GraphQL */ `query ($id: ID!, $after: String) {
  queryExecution(id: $id) { rows(first: 1000, after: $after) { edges { node { values } } pageInfo { hasNextPage endCursor } } }
}`;

/**
 * Pages two results through GraphQL `rows(first: 1000)` to the end, each on its own service, in turns of
 * TURN requests; the time each spent, summed over its turns.
 */
async function pageInTurns(...reads: [url: string, id: string][]): Promise<{ ms: number }[]> {
  const TURN = 50;
  const state = reads.map(([url, id]) => ({ url, id, after: null as string | null, done: false, rows: 0, ms: 0 }));
  while (state.some((r) => !r.done)) {
    for (const r of state) {
      const t0 = performance.now();
      for (let i = 0; i < TURN && !r.done; i++) {
        const conn: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = (await gql(r.url, ROWS_QUERY, { id: r.id, after: r.after })).queryExecution.rows;
        r.rows += conn.edges.length;
        r.done = !conn.pageInfo.hasNextPage;
        r.after = conn.pageInfo.endCursor;
      }
      r.ms += performance.now() - t0;
    }
  }
  for (const r of state) if (r.rows !== MILLION) throw new Error(`GraphQL paging read ${r.rows} rows, expected ${MILLION}`);
  return state.map((r) => ({ ms: r.ms }));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const MB = 1024 * 1024;
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function run(): Promise<BenchResult[]> {
  const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const standIn = await serve('stand-in', quiet);
  const aws = { ...quiet, AWS_ENDPOINT_URL_ATHENA: standIn.url, AWS_ENDPOINT_URL_S3: standIn.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' };
  const fromS3 = await serve('gapwatch', { ...aws, GAPWATCH_BENCH_S3: 'true' });
  const fromApi = await serve('gapwatch', { ...aws, GAPWATCH_BENCH_S3: 'false' });
  const sdk = new AthenaClient({ endpoint: standIn.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const results: BenchResult[] = [];
  try {
    // Every execution up front, with the model off, so only reading is timed.
    await setModel(standIn, 'none');
    const execute = async (name: string): Promise<string> => (await gql(fromS3.url, `mutation { runQuery(name: "${name}") { id } }`)).runQuery.id;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await execute('bench_1m'));
    const five = await execute('bench_5m');
    const expect = (n: number, want: number, what: string): void => {
      if (n !== want) throw new Error(`${what}: read ${n} rows, expected ${want}`);
    };

    for (const model of ['aws', 'none'] as const) {
      await setModel(standIn, model);
      const [a, b, c, d] = model === 'aws' ? ids.slice(0, 4) : ids.slice(4, 8);
      // The two pagings advance in turns, a stretch each, so both meet the same load on a shared machine.
      const [pagedS3, pagedApi] = await pageInTurns([fromS3.url, a!], [fromApi.url, b!]);
      const streamed = await timed(() => readResults(fromS3.url, c!));
      expect(streamed.value.rows, MILLION, 'GET /results');
      const sdkPaged = await timed(() => readViaSdk(sdk, d!));
      expect(sdkPaged.value, MILLION, 'GetQueryResults paginator');
      const modelText =
        model === 'aws'
          ? `latency model: GetQueryResults ${LATENCY.getQueryResultsMs} ms a call, other Athena calls ${LATENCY.athenaCallMs} ms, S3 GET ${LATENCY.s3FirstByteMs} ms to first byte then ${LATENCY.s3BytesPerSecond / MB} MB/s`
          : 'plain embedded endpoint on loopback, no latency model';
      const paging = pagedApi.ms / pagedS3.ms;
      const whole = sdkPaged.ms / streamed.ms;
      const rowsPerS = MILLION / (streamed.ms / 1000);
      results.push(
        {
          name: `paging 1,000,000 rows, GraphQL rows(first: 1000): from S3 vs with GetQueryResults (time${model === 'aws' ? '' : ', plain embedded'})`,
          ratio: paging,
          target: model === 'aws' ? '≥ 5×' : 'reported',
          pass: model === 'aws' ? paging >= 5 : true,
          detail: `from S3 ${s(pagedS3.ms)} vs GetQueryResults ${s(pagedApi.ms)}; ${modelText}`,
        },
        {
          name: `GET /results of 1,000,000 rows vs paging them with GetQueryResults (time${model === 'aws' ? '' : ', plain embedded'})`,
          ratio: whole,
          target: model === 'aws' ? '≥ 10×' : 'reported',
          pass: model === 'aws' ? whole >= 10 : true,
          detail:
            `GET /results ${s(streamed.ms)} (${Math.round(rowsPerS).toLocaleString('en')} rows/s, NDJSON ${(streamed.value.bytes / MB).toFixed(0)} MB) vs the SDK's ` +
            `GetQueryResults paginator ${s(sdkPaged.ms)} (${Math.round(MILLION / (sdkPaged.ms / 1000)).toLocaleString('en')} rows/s); PyAthena's published figures: ` +
            `S3 cursor ${Math.round(PYATHENA_ROWS_PER_S).toLocaleString('en')} rows/s, GetQueryResults cursor ${Math.round(PYATHENA_API_ROWS_PER_S).toLocaleString('en')} rows/s ` +
            `(1,923,322 rows, query time included, on AWS); ${modelText}`,
        },
      );
    }

    // Memory: 5,000,000 rows to a client that reads slower than the service could send, from a service that
    // has done nothing else (the ones above hold their page caches and the heap their reads left).
    await setModel(standIn, 'aws');
    const fresh = await serve('gapwatch', { ...aws, GAPWATCH_BENCH_S3: 'true' });
    let idle = 0;
    let peak = 0;
    let slow;
    try {
      await gql(fresh.url, '{ health { status } }');
      idle = rss(fresh.pid);
      peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, rss(fresh.pid))), 20);
      slow = await timed(() => readResults(fresh.url, five, SLOW_CLIENT_BYTES_PER_S)).finally(() => clearInterval(sampler));
    } finally {
      await fresh.stop();
    }
    expect(slow.value.rows, FIVE_MILLION, 'GET /results to a slow client');
    const limit = 300 * MB;
    results.push({
      name: 'peak RSS of the service streaming 5,000,000 rows to a slow client (GET /results) vs 300 MB',
      ratio: peak / limit,
      target: '< 1× (300 MB)',
      pass: peak < limit,
      detail: `peak ${(peak / MB).toFixed(0)} MB (before the stream ${(idle / MB).toFixed(0)} MB), ${(slow.value.bytes / MB).toFixed(0)} MB of NDJSON in ${s(slow.ms)} at ${SLOW_CLIENT_BYTES_PER_S / MB} MB/s`,
    });
    return results;
  } finally {
    sdk.destroy();
    await fromS3.stop();
    await fromApi.stop();
    await standIn.stop();
  }
}

if (require.main === module) runStandalone(() => run(), { exit: true });
