/**
 * 1,000 `runEvents` subscribers on one pipeline run: how long an event takes from its appearance in the
 * Step Functions history to each subscriber, and what an idle subscriber costs the service.
 *
 * Two processes, as deployed: the built service (dist/src/main.js on the embedded backend, its Step
 * Functions interpreter in its own endpoint) and the clients here, one graphql-ws socket each, so the
 * clients' CPU and memory are not counted as the service's. The run's Repair Task is a gated module: the
 * n-th repair call waits for a `release-<n>` file, so this bench decides when events happen, at random
 * moments relative to the service's polling. Latency is the receipt time here minus the event's `at`, the
 * instant the embedded endpoint recorded it in the history (same machine, same clock).
 *
 * The peer is the heartbeat subscription on the same 1,000 sockets: its `at` is stamped when the tick is
 * produced in the service, so it measures delivery alone (GraphQL execution, the socket, the client's
 * parse), the floor any subscription has on this machine at this load.
 *
 * Memory per idle subscriber: service RSS (from /proc) and JS heap (its /metrics) with 1,000 subscribers
 * waiting on a quiet run, minus the same before they connected, over 1,000.
 *
 * Knobs: EVENTS_SUBSCRIBERS (default 1000); EVENTS_NODE_ARGS, node flags for the service (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { type BenchResult, runStandalone } from './result';
import { startBuiltService, type BenchService } from './service';

const SUBSCRIBERS = Number(process.env.EVENTS_SUBSCRIBERS ?? 1_000);
/** Ranges the run repairs: each release of one ends an iteration and starts the next (a burst of events). */
const RANGES = 12;
const LATENCY_TARGET_MS = 100;
const MEMORY_TARGET_KB = 50;

/** The n-th repair call (in call order) writes started-<n> and waits for release-<n>. */
const GATED_REPAIR = (dir: string) => `
const fs = require('node:fs');
const path = require('node:path');
let calls = 0;
exports.repair = (range, { signal }) => {
  const n = calls++;
  fs.writeFileSync(path.join(${JSON.stringify(dir)}, 'started-' + n), '1');
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (fs.existsSync(path.join(${JSON.stringify(dir)}, 'release-' + n))) { clearInterval(timer); resolve({ wrote: 0 }); }
    }, 5);
    signal.addEventListener('abort', () => { clearInterval(timer); reject(signal.reason); });
  });
};
`;

const CONFIG = (repairModule: string) => `
athena:
  database: market
datasets:
  - name: gated
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    bucket: 1h
    expectedPerBucket: 60
    repair: ${JSON.stringify(repairModule)}
limits:
  rateLimitPerMinute: 0
`;

const START = /* GraphQL */ `mutation ($ranges: [GapRangeInput!]) {
  startRepair(dataset: "gated", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z", ranges: $ranges) { id }
}`;
const RUN_EVENTS = 'subscription ($runId: ID!) { runEvents(runId: $runId) { id type at } }';
const HEARTBEAT = 'subscription { heartbeat(intervalMs: 1000) { seq at } }';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function until(what: string, done: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(20);
  }
}

async function startService(dir: string): Promise<BenchService> {
  const configFile = path.join(dir, 'gapwatch.config.yaml');
  const repairModule = path.join(dir, 'gated-repair.js');
  writeFileSync(repairModule, GATED_REPAIR(dir));
  writeFileSync(configFile, CONFIG(repairModule));
  const nodeArgs = (process.env.EVENTS_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return startBuiltService({ GAPWATCH_DATA_DIR: path.join(dir, 'data'), GAPWATCH_CONFIG: configFile }, nodeArgs);
}

/** Service memory now: RSS from /proc, JS heap used from its Prometheus metrics (MiB); medians of a few samples. */
async function memoryOf(service: BenchService): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 8; i++) {
    rss.push(service.rssMiB());
    const text = await (await fetch(`${service.url}/metrics`)).text();
    heap.push(Number(/^gapwatch_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 2 ** 20);
    await sleep(250);
  }
  return { rss: median(rss), heap: median(heap) };
}

/** GetExecutionHistory calls the service has made so far (its backend call histogram). */
async function historyCalls(service: BenchService): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^gapwatch_backend_call_duration_seconds_count\{([^}]*)\} (\S+)/gm)) if (m[1]!.includes('"GetExecutionHistory"')) n += Number(m[2]);
  return n;
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gapwatch-events-bench-'));
  const service = await startService(dir);
  const clients: Client[] = [];
  try {
    const ranges = Array.from({ length: RANGES }, (_, i) => ({
      group: ['AMZN', 'GOOG', 'WORK'][i % 3],
      start: new Date(Date.UTC(2024, 2, 5, i)).toISOString(),
      end: new Date(Date.UTC(2024, 2, 5, i + 1)).toISOString(),
    }));
    const runId: string = (await gql(service.url, START, { ranges })).startRepair.id;
    // Repair has begun (two iterations at once, the Map's concurrency) and the run is quiet.
    await until('Repair to begin', () => ['started-0', 'started-1'].every((f) => existsSync(path.join(dir, f))));
    await sleep(2_000);
    const without = await memoryOf(service);

    // 1,000 subscribers from the start of the run, one socket each (as 1,000 dashboards would be).
    const got: { ids: number[]; completed: boolean; error?: unknown }[] = [];
    const latencies: number[] = [];
    /** Receipt minus the first receipt of the same event by any subscriber: the fan-out's share. */
    const spread: number[] = [];
    const firstReceipt = new Map<number, number>();
    let live = false;
    const ws = service.url.replace('http', 'ws');
    for (let batch = 0; batch < SUBSCRIBERS; batch += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, SUBSCRIBERS - batch) }, async () => {
          const client = createClient({ url: `${ws}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
          clients.push(client);
          const mine: (typeof got)[number] = { ids: [], completed: false };
          got.push(mine);
          await new Promise<void>((resolve) => {
            client.subscribe<{ runEvents: { id: number; at: string } }>(
              { query: RUN_EVENTS, variables: { runId } },
              {
                next: ({ data }) => {
                  const now = Date.now();
                  if (!data) return;
                  mine.ids.push(data.runEvents.id);
                  if (!live) return resolve();
                  latencies.push(now - Date.parse(data.runEvents.at));
                  const first = firstReceipt.get(data.runEvents.id) ?? now;
                  firstReceipt.set(data.runEvents.id, first);
                  spread.push(now - first);
                  resolve();
                },
                error: (err) => {
                  mine.error = err;
                  resolve();
                },
                complete: () => {
                  mine.completed = true;
                  resolve();
                },
              },
            );
          });
        }),
      );
    }
    const replayed = Math.max(...got.map((g) => g.ids.length));
    await until('every subscriber to get the replay', () => got.every((g) => g.ids.length === replayed || g.error));
    await sleep(2_000);
    const idle = await memoryOf(service);

    // Live: release the gates one by one at random moments (0.3–1.5 s apart), so events fall anywhere in
    // the service's polling cycle.
    live = true;
    const callsBefore = await historyCalls(service);
    const t0 = Date.now();
    for (let n = 0; n < RANGES; n++) {
      writeFileSync(path.join(dir, `release-${n}`), '1');
      await sleep(300 + Math.random() * 1_200);
    }
    await until('every subscriber to complete', () => got.every((g) => g.completed || g.error), 120_000);
    const runSeconds = (Date.now() - t0) / 1000;
    const calls = (await historyCalls(service)) - callsBefore;
    live = false;
    const errors = got.filter((g) => g.error).length;
    const n = got[0]!.ids.length;
    const inOrder = got.every((g) => g.ids.length === n && g.ids.every((id, i) => id === i + 1));

    // The peer: heartbeat ticks on the same sockets, stamped where they are produced.
    const beats: number[] = [];
    const beatSubs = clients.map((client) =>
      client.subscribe<{ heartbeat: { at: string } }>(
        { query: HEARTBEAT },
        { next: ({ data }) => data && beats.push(Date.now() - Date.parse(data.heartbeat.at)), error: () => {}, complete: () => {} },
      ),
    );
    await sleep(6_000);
    for (const stop of beatSubs) stop();

    const lat = Float64Array.from(latencies).sort();
    const fanout = Float64Array.from(spread).sort();
    const beat = Float64Array.from(beats).sort();
    const p50 = percentile(lat, 50);
    const p99 = percentile(lat, 99);
    const perSubRssKb = ((idle.rss - without.rss) * 1024) / SUBSCRIBERS;
    const perSubHeapKb = ((idle.heap - without.heap) * 1024) / SUBSCRIBERS;
    const correct = errors === 0 && inOrder;
    return [
      {
        name: `runEvents delivery, ${SUBSCRIBERS} subscribers on one run: p99 from the history to receipt vs the ${LATENCY_TARGET_MS} ms target`,
        ratio: p99 / LATENCY_TARGET_MS,
        target: '≤ 1× (p99 < 100 ms)',
        pass: correct && p99 < LATENCY_TARGET_MS,
        detail:
          `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${lat[lat.length - 1]!.toFixed(0)} ms over ${lat.length} deliveries (${n - replayed} live events × ${SUBSCRIBERS}), of which fan-out (after the first subscriber got the event) p50 ${percentile(fanout, 50).toFixed(0)} ms, p99 ${percentile(fanout, 99).toFixed(0)} ms; ` +
          `peer heartbeat on the same sockets p50 ${percentile(beat, 50).toFixed(0)} ms, p99 ${percentile(beat, 99).toFixed(0)} ms (runEvents p99 ${(p99 / Math.max(1, percentile(beat, 99))).toFixed(1)}× it); ` +
          `${calls} GetExecutionHistory calls in ${runSeconds.toFixed(1)} s; every subscriber ids 1..${n} in order, completed: ${inOrder ? 'yes' : 'NO'}; errors ${errors}`,
      },
      {
        name: `runEvents memory per idle subscriber (service RSS) vs the ${MEMORY_TARGET_KB} KB target`,
        ratio: perSubRssKb / MEMORY_TARGET_KB,
        target: '≤ 1× (< 50 KB)',
        pass: perSubRssKb < MEMORY_TARGET_KB,
        detail: `${perSubRssKb.toFixed(1)} KB RSS, ${perSubHeapKb.toFixed(1)} KB JS heap per subscriber (socket + subscription); service RSS ${without.rss.toFixed(0)} → ${idle.rss.toFixed(0)} MiB, heap ${without.heap.toFixed(0)} → ${idle.heap.toFixed(0)} MiB with ${SUBSCRIBERS} idle subscribers`,
      },
    ];
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runStandalone(run, { exit: true });
}
