/**
 * The embedded default as a first user meets it: one `npm start` process (dist/src/main.js) serving GraphQL,
 * with the embedded AWS endpoint on its worker thread. Three readings:
 *
 * - paging 100,000 fresh rows, GraphQL `rows(first: 1000)` against the raw SDK paginator pointed at the
 *   service's own embedded endpoint, alternated, medians: the second reading beside paging.bench.ts's
 *   three-process one. Here the endpoint shares the process (and its two cores) with the service.
 * - the service's peak RSS (the kernel's VmHWM) while a client pages 1,000,000 rows of 5 columns through
 *   GraphQL, in a service started for that alone, against the 300 MB budget.
 * - the slowest `{ health { status } }` while the endpoint renders a large result, against 50 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { gql, median, readViaGraphQL, readViaSdk } from './paging.bench';
import { benchQueries } from './paging-server';
import { type BenchResult, runStandalone } from './result';

/** The budget for a service paging 1M rows (issue 13). */
const RSS_BUDGET_MB = 300;

interface Service {
  child: ChildProcess;
  url: string;
  embeddedUrl: string;
  stop(): Promise<void>;
}

/** `npm start`'s process (the built service, NODE_ENV as given) on free ports over a fresh data dir. */
async function startService(rows: number): Promise<Service> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-bench-'));
  writeFileSync(path.join(dir, 'config.yaml'), benchQueries(rows));
  const child = spawn(process.execPath, [path.join(__dirname, '../src/main.js')], {
    env: {
      ...process.env,
      PORT: '0',
      GAPWATCH_EMBEDDED_PORT: '0',
      GAPWATCH_DATA_DIR: dir,
      GAPWATCH_CONFIG: path.join(dir, 'config.yaml'),
      GAPWATCH_LOG_LEVEL: 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { url, embeddedUrl } = await new Promise<{ url: string; embeddedUrl: string }>((resolve, reject) => {
    let out = '';
    let embeddedUrl = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      embeddedUrl ||= /"endpoint":"(http:\/\/[^"]+)"/.exec(out)?.[1] ?? '';
      const serving = /serving GraphQL and the explorer at (http:\/\/[^\s"]+)\/graphql/.exec(out);
      if (serving && embeddedUrl) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining: a full pipe would stop the service
        resolve({ url: serving[1]!, embeddedUrl });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the service exited early with ${code}: ${out}`)));
  });
  return {
    child,
    url,
    embeddedUrl,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** The process's resident set now and at its peak, in MB (Linux /proc). */
function rssMb(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export async function paging(repetitions: number): Promise<BenchResult> {
  const ROWS = 100_000;
  const service = await startService(ROWS);
  const sdk = new AthenaClient({ endpoint: service.embeddedUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 2 * (repetitions + 1); i++) ids.push((await gql(service.url, 'mutation { runQuery(name: "bench_rows") { id } }')).runQuery.id);
    const sdkTimes: number[] = [];
    const gqlTimes: number[] = [];
    for (let r = 0; r <= repetitions; r++) {
      for (const [read, times, id] of [
        [(id: string) => readViaSdk(sdk, id), sdkTimes, ids[2 * r]!],
        [(id: string) => readViaGraphQL(service.url, id), gqlTimes, ids[2 * r + 1]!],
      ] as const) {
        const t0 = performance.now();
        const n = await read(id);
        const ms = performance.now() - t0;
        if (n !== ROWS) throw new Error(`read ${n} rows, expected ${ROWS}`);
        if (r > 0) times.push(ms); // repetition 0 warms up both paths
      }
    }
    const ratio = median(gqlTimes) / median(sdkTimes);
    return {
      name: 'paging 100,000 rows on the embedded default (one `npm start` process): GraphQL rows(first: 1000) vs raw SDK paginator (time)',
      ratio,
      target: '≤ 1.3×',
      pass: ratio <= 1.3,
      detail: `GraphQL ${median(gqlTimes).toFixed(0)} ms vs SDK ${median(sdkTimes).toFixed(0)} ms (median of ${repetitions}), both against the service's embedded endpoint on its worker thread`,
    };
  } finally {
    sdk.destroy();
    await service.stop();
  }
}

export async function memory(): Promise<BenchResult> {
  const ROWS = 1_000_000;
  const service = await startService(ROWS);
  try {
    const pid = service.child.pid!;
    const idle = rssMb(pid);
    const id = (await gql(service.url, 'mutation { runQuery(name: "bench_rows") { id } }')).runQuery.id as string;
    const n = await readViaGraphQL(service.url, id);
    if (n !== ROWS) throw new Error(`read ${n} rows, expected ${ROWS}`);
    const after = rssMb(pid);
    const ratio = after.peak / RSS_BUDGET_MB;
    return {
      name: 'peak RSS of the embedded-default service while a client pages 1,000,000 rows of 5 columns through GraphQL, against 300 MB',
      ratio,
      target: '< 1× (300 MB)',
      pass: ratio < 1,
      detail: `peak ${after.peak.toFixed(0)} MB (VmHWM), ${after.now.toFixed(0)} MB after, ${idle.now.toFixed(0)} MB before the query`,
    };
  } finally {
    await service.stop();
  }
}

/** The latency budget for `{ health { status } }` while the endpoint works (issue 13). */
const HEALTH_BUDGET_MS = 50;

/**
 * The slowest `{ health { status } }` (which asks the embedded endpoint ListQueryExecutions) while the
 * endpoint runs a 3,000,000-row query and renders its result, against 50 ms. A figure of the machine as much
 * as of gapwatch: on a loaded 2-core VM, DuckDB's threads, the service and the renderer share the cores.
 */
export async function health(): Promise<BenchResult> {
  const ROWS = 3_000_000;
  const service = await startService(ROWS);
  try {
    const latencies: number[] = [];
    let running = true;
    const poll = (async () => {
      while (running) {
        const t0 = performance.now();
        if ((await gql(service.url, '{ health { status } }')).health.status !== 'OK') throw new Error('health is not OK');
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      const run = (await gql(service.url, 'mutation { runQuery(name: "bench_rows") { state } }')).runQuery;
      if (run.state !== 'SUCCEEDED') throw new Error(`the query ended ${run.state}`);
    } finally {
      running = false;
      await poll;
    }
    const sorted = latencies.sort((a, b) => a - b);
    const max = sorted[sorted.length - 1]!;
    const ratio = max / HEALTH_BUDGET_MS;
    return {
      name: `slowest { health { status } } while the embedded endpoint runs and renders a ${ROWS.toLocaleString('en')}-row result, against 50 ms`,
      ratio,
      target: '< 1× (50 ms)',
      pass: ratio < 1,
      detail: `max ${max.toFixed(0)} ms, median ${median(sorted).toFixed(1)} ms, 99th percentile ${sorted[Math.floor(sorted.length * 0.99)]!.toFixed(0)} ms over ${sorted.length} requests`,
    };
  } finally {
    await service.stop();
  }
}

export async function run(options: { repetitions?: number } = {}): Promise<BenchResult[]> {
  return [await paging(options.repetitions ?? 3), await memory(), await health()];
}

if (require.main === module) {
  runStandalone(run);
}
