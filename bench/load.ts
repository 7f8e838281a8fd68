/**
 * `npm run bench:load`: the service under load, as a deployment sees it. 200 HTTP clients (autocannon) for
 * 60 s on a mix of `gaps`, `queryExecution.rows` and `datasets`, while 200 WebSocket clients each hold a
 * heartbeat subscription open. Reports throughput, latency percentiles, errors of every kind (HTTP, GraphQL,
 * subscription) and resident memory sampled each second after a warm-up.
 *
 * The service runs as `npm start` runs it (dist/src/main.js, its own process, logging at info), so the
 * load generator's memory and CPU are not counted as the service's; RSS is read from /proc.
 *
 * A benchmark, not a test: figures depend on the machine and on what else it runs. Knobs: LOAD_CONNECTIONS,
 * LOAD_SUBSCRIPTIONS, LOAD_SECONDS, LOAD_WARMUP_SECONDS, and LOAD_NODE_ARGS for the service's node
 * (`--max-old-space-size=256`: does RSS level off when V8 may not keep a large heap?).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startBuiltService } from './service';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its API used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONNECTIONS = num('LOAD_CONNECTIONS', 200);
const SUBSCRIPTIONS = num('LOAD_SUBSCRIPTIONS', 200);
const SECONDS = num('LOAD_SECONDS', 60);
const WARMUP_SECONDS = num('LOAD_WARMUP_SECONDS', 10);

/**
 * The repository's own config (the sample's stock_ticks dataset), with the per-key rate limit turned off:
 * every client here is the one anonymous caller.
 */
const CONFIG = `${readFileSync(path.resolve(__dirname, '../../gapwatch.config.yaml'), 'utf8')}\nlimits:\n  rateLimitPerMinute: 0\n`;

const GAPS = 'query Gaps { gaps(dataset: "stock_ticks", from: "2024-03-04T00:00:00Z", to: "2024-03-14T00:00:00Z") { status ranges { group kind start end } queryExecutionId } }';
const DATASETS = 'query Datasets { datasets { name bucket groups } }';
const rowsQuery = (id: string) => `query Rows { queryExecution(id: "${id}") { state rows(first: 100) { edges { node { values } } pageInfo { hasNextPage endCursor } } } }`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gapwatch-load-'));
  const configFile = path.join(dataDir, 'gapwatch.config.yaml');
  writeFileSync(configFile, CONFIG);
  const nodeArgs = (process.env.LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const service = await startBuiltService({ GAPWATCH_DATA_DIR: dataDir, GAPWATCH_CONFIG: configFile }, nodeArgs);
  const url = service.url;
  const rssOf = service.rssMiB;
  console.error(`service at ${url}`);
  const post = async (query: string) =>
    (await (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json()) as any;

  const first = await post(GAPS);
  if (!first.data) throw new Error(`the first gaps check failed: ${JSON.stringify(first.errors)}`);
  const executionId: string = first.data.gaps.queryExecutionId;

  // 200 subscribers, one socket each, as 200 open explorer tabs or dashboards would be.
  let events = 0;
  let subscriptionErrors = 0;
  const clients: Client[] = [];
  await Promise.all(
    Array.from({ length: SUBSCRIPTIONS }, async () => {
      const client = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
      clients.push(client);
      await new Promise<void>((resolve) => {
        client.subscribe(
          { query: 'subscription Beat { heartbeat(intervalMs: 1000) { seq } }' },
          {
            next: () => {
              events++;
              resolve();
            },
            error: () => {
              subscriptionErrors++;
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
    }),
  );

  let graphqlErrors = 0;
  const onResponse = (_status: number, body: string) => {
    if (body.includes('"errors"')) graphqlErrors++;
  };
  const body = (query: string) => JSON.stringify({ query });
  const rss: { t: number; mib: number }[] = [];
  const heap: { t: number; mib: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(() => rss.push({ t: (Date.now() - started) / 1000, mib: rssOf() }), 1000);
  // The JS heap, from the service's own /metrics, tells V8's share of RSS from native memory (DuckDB's).
  const heapSampler = setInterval(() => {
    const t = (Date.now() - started) / 1000;
    fetch(`${url}/metrics`)
      .then((r) => r.text())
      .then((text) => {
        const m = /^gapwatch_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
        if (m) heap.push({ t, mib: Number(m[1]) / 2 ** 20 });
      })
      .catch(() => undefined);
  }, 5000);

  // `health` as a monitor asks it while the load runs: twice a second, on its own connection, timed here.
  const healthMs: number[] = [];
  let healthFailures = 0;
  const healthProbe = setInterval(() => {
    const at = performance.now();
    post('{ health { status } }')
      .then((body) => (body?.data?.health?.status === 'OK' ? healthMs.push(performance.now() - at) : healthFailures++))
      .catch(() => healthFailures++);
  }, 500);

  const result = await autocannon({
    url: `${url}/graphql`,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      { method: 'POST', body: body(GAPS), onResponse },
      { method: 'POST', body: body(rowsQuery(executionId)), onResponse },
      { method: 'POST', body: body(DATASETS), onResponse },
    ],
  });
  clearInterval(sampler);
  clearInterval(heapSampler);
  clearInterval(healthProbe);
  const eventsDuring = events;

  await Promise.all(clients.map((c) => c.dispose()));
  const stopAt = Date.now();
  const exitCode = await service.stop();
  const stopMs = Date.now() - stopAt;
  rmSync(dataDir, { recursive: true, force: true });

  const settled = rss.filter((s) => s.t >= WARMUP_SECONDS);
  const head = settled.slice(0, Math.max(1, Math.floor(settled.length / 4)));
  const tail = settled.slice(-Math.max(1, Math.floor(settled.length / 4)));
  const mean = (xs: { mib: number }[]) => xs.reduce((a, s) => a + s.mib, 0) / Math.max(1, xs.length);
  console.log(`gapwatch load — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} before the run`);
  console.log(`${CONNECTIONS} HTTP clients for ${SECONDS} s (gaps / queryExecution.rows / datasets in turn) + ${SUBSCRIPTIONS} heartbeat subscriptions`);
  console.log(`requests: ${result.requests.total} (${result.requests.average.toFixed(0)}/s)`);
  console.log(`latency ms: p50 ${result.latency.p50}  p90 ${result.latency.p90}  p99 ${result.latency.p99}  max ${result.latency.max}`);
  const sorted = [...healthMs].sort((a, b) => a - b);
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0) : 'n/a');
  console.log(`health during the load (${sorted.length} probes, ${healthFailures} failed): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms, under 100 ms ${sorted.filter((ms) => ms < 100).length}`);
  console.log(`errors: HTTP ${result.errors} (timeouts ${result.timeouts}), non-2xx ${result.non2xx}, GraphQL ${graphqlErrors}, subscriptions ${subscriptionErrors}; heartbeat events ${eventsDuring}`);
  console.log(`RSS MiB after ${WARMUP_SECONDS} s warm-up: first quarter ${mean(head).toFixed(0)}, last quarter ${mean(tail).toFixed(0)}, min ${Math.min(...settled.map((s) => s.mib)).toFixed(0)}, max ${Math.max(...settled.map((s) => s.mib)).toFixed(0)}`);
  const heapSettled = heap.filter((s) => s.t >= WARMUP_SECONDS);
  console.log(`JS heap used MiB after warm-up (every 5 s): ${heapSettled.map((s) => s.mib.toFixed(0)).join(' ')}`);
  console.log(`RSS MiB every 5 s: ${rss.filter((s, i) => i % 5 === 4).map((s) => s.mib.toFixed(0)).join(' ')}`);
  console.log(`log lines read: ${service.logLines()}; SIGTERM to exit: ${stopMs} ms (exit code ${exitCode})`);
  const clean = result.errors + result.non2xx + graphqlErrors + subscriptionErrors === 0;
  console.log(clean ? '0 errors' : 'ERRORS: see above');
  process.exitCode = clean ? 0 : 1;
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
