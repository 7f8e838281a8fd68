/**
 * `npm run bench:flood`: the embedded endpoint under a history flood, as the service runs it (on its worker
 * thread). FLOOD_EXECUTIONS executions (default 4) of a machine looping a Pass and a Choice state with a
 * FLOOD_PAYLOAD_KIB payload (default 200) run for FLOOD_SECONDS (default 20) while a client times
 * StopExecution of one of them after 2 s and ListStateMachines every 100 ms. Reports peak RSS of this
 * process (the endpoint's worker included), the data dir's peak size, the slowest ListStateMachines, how
 * long StopExecution took, how each execution ended, and whether the endpoint was still serving.
 *
 * With FLOOD_HEAP_MIB (e.g. 64) the endpoint's worker gets that heap limit and the machine waits a second
 * between loops, so the executions run side by side until the worker runs out of memory: the report then
 * says how long the endpoint was down until its restart served again.
 *
 * A benchmark, not a test: figures depend on the machine. The test suite checks the behaviour
 * (test/embedded/stepfunctions/flood.test.ts, test/embedded/worker-restart.test.ts).
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedWorker } from '../src/embedded/worker-host';

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const EXECUTIONS = num('FLOOD_EXECUTIONS', 4);
const PAYLOAD_KIB = num('FLOOD_PAYLOAD_KIB', 200);
const SECONDS = num('FLOOD_SECONDS', 20);
const HEAP_MIB = process.env.FLOOD_HEAP_MIB ? Number(process.env.FLOOD_HEAP_MIB) : undefined;

const LOOP = JSON.stringify({
  StartAt: 'A',
  States: {
    A: { Type: 'Pass', Next: HEAP_MIB ? 'W' : 'B' },
    ...(HEAP_MIB ? { W: { Type: 'Wait', Seconds: 1, Next: 'B' } } : {}),
    B: { Type: 'Choice', Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }], Default: 'A' },
    Done: { Type: 'Succeed' },
  },
});

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

const within = <T>(ms: number, p: Promise<T>): Promise<T | 'timeout'> => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gapwatch-flood-'));
  const endpoint = await startEmbeddedWorker({ port: 0, dataDir, stepFunctions: { dataDir }, ...(HEAP_MIB ? { heapLimitMiB: HEAP_MIB } : {}) });
  const sfn = new SFNClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  const MiB = 2 ** 20;
  let peakRss = 0;
  let peakDisk = 0;
  let slowestList = 0;
  let listFailures = 0;
  /** Each time the endpoint was down: when it went down and when it served again. */
  const outages: { from: number; to?: number }[] = [];
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakDisk = Math.max(peakDisk, dirBytes(dataDir));
  }, 250);
  const health = setInterval(() => {
    const up = endpoint.health().up;
    const last = outages[outages.length - 1];
    if (!up && (!last || last.to !== undefined)) outages.push({ from: Date.now() });
    else if (up && last && last.to === undefined) last.to = Date.now();
  }, 10);
  // Not with FLOOD_HEAP_MIB: Node 20 can abort the whole process when a worker ends for its heap while it
  // parses an HTTP request (`FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal` in llhttp).
  let listing = HEAP_MIB === undefined;
  const lister = (async () => {
    while (listing) {
      const at = Date.now();
      const ok = await within(10_000, sfn.send(new ListStateMachinesCommand({})).then(() => true, () => false));
      if (ok === true) slowestList = Math.max(slowestList, Date.now() - at);
      else listFailures++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const machine = (await sfn.send(new CreateStateMachineCommand({ name: 'flood', roleArn: 'arn:aws:iam::000000000000:role/r', definition: LOOP }))).stateMachineArn!;
    const input = JSON.stringify({ p: 'x'.repeat(PAYLOAD_KIB * 1024) });
    // A start the dying worker never answers is left out.
    const started = await Promise.all(
      Array.from({ length: EXECUTIONS }, () => sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input })).then((o) => o.executionArn!, () => undefined)),
    );
    const arns = started.filter((a): a is string => a !== undefined);
    await new Promise((r) => setTimeout(r, 2000));
    const stopAt = Date.now();
    const stopped = HEAP_MIB
      ? 'not asked'
      : await within(20_000, sfn.send(new StopExecutionCommand({ executionArn: arns[0] })).then(() => 'ok', (e: Error) => e.name));
    const stopMs = Date.now() - stopAt;
    await new Promise((r) => setTimeout(r, Math.max(0, SECONDS * 1000 - 2000 - stopMs)));
    const ends = await Promise.all(
      arns.map((arn) => within(10_000, sfn.send(new DescribeExecutionCommand({ executionArn: arn })).then((d) => `${d.status} ${d.error ?? ''}`.trim(), (e: Error) => e.name))),
    );
    listing = false;
    await lister;
    clearInterval(sampler);
    clearInterval(health);
    const serving = endpoint.health().up && (await within(5000, sfn.send(new ListStateMachinesCommand({})).then(() => true, () => false))) === true;
    console.log(
      JSON.stringify(
        {
          executions: `${arns.length} of ${EXECUTIONS} started`,
          payloadKiB: PAYLOAD_KIB,
          seconds: SECONDS,
          peakRssMiB: Math.round(peakRss / MiB),
          peakDataDirMiB: Math.round(peakDisk / MiB),
          stopExecution: stopped === 'ok' ? `${stopMs} ms` : `${stopped} after ${stopMs} ms`,
          slowestListMs: slowestList,
          listFailures,
          ends,
          outagesMs: outages.map((o) => (o.to === undefined ? 'still down' : o.to - o.from)),
          servingAfter: serving,
        },
        null,
        2,
      ),
    );
  } finally {
    listing = false;
    clearInterval(sampler);
    clearInterval(health);
    sfn.destroy();
    await endpoint.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
