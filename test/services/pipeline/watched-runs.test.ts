/**
 * Where ready signals are recorded: from the run watcher, never from a read. A run of the pipeline started
 * outside gapwatch (here by a local process with the SDK) is read without anything being recorded; the
 * service picks it up at its next start, and, while it runs, every `discoverRunsMs`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { connectBackends, type Backends } from '../../../src/backends';
import { loadEnvConfig, loadSettings } from '../../../src/config';
import { realClock } from '../../../src/services/clock/clock';
import { STOCK_TICKS_YAML, ticksDatasetYaml } from '../../support/config';

/** A repair action that takes its time (and writes nothing): a run of it is still going a second later. */
const SLOW_REPAIR = `exports.repair = () => new Promise((resolve) => setTimeout(() => resolve({ wrote: 0 }), 1500));\n`;

const PIPELINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline';

describe('ready signals of runs started elsewhere', () => {
  let dir: string;
  let backends: Backends | undefined;
  let sfn: SFNClient | undefined;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-watched-'));
    writeFileSync(path.join(dir, 'slow-repair.js'), SLOW_REPAIR);
    writeFileSync(path.join(dir, 'gapwatch.config.yaml'), STOCK_TICKS_YAML + ticksDatasetYaml('slow', { groups: '[AMZN, GOOG, WORK]', minRatio: '0.8', repair: './slow-repair.js' }));
  });
  afterAll(async () => {
    sfn?.destroy();
    await backends?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(discoverRunsMs: number): Promise<Backends> {
    const env = loadEnvConfig({ GAPWATCH_DATA_DIR: dir, GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_CONFIG: path.join(dir, 'gapwatch.config.yaml') });
    backends = await connectBackends(loadSettings(env), pino({ level: 'silent' }), realClock, { schedule: false, discoverRunsMs });
    sfn?.destroy();
    sfn = new SFNClient({ endpoint: backends.embedded!.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    return backends;
  }

  /** A CHECK run of a clean day, started by a local process straight on the embedded Step Functions, to its end. */
  async function startOutside(name: string, day: string): Promise<string> {
    const input = { dataset: 'stock_ticks', from: `${day}T00:00:00.000Z`, to: new Date(Date.parse(day) + 86_400_000).toISOString(), mode: 'CHECK' };
    const { executionArn } = await sfn!.send(new StartExecutionCommand({ stateMachineArn: PIPELINE, name, input: JSON.stringify(input) }));
    for (let i = 0; i < 300; i++) {
      if ((await sfn!.send(new DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING') return executionArn!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${name} did not end`);
  }

  const lastRunId = async (b: Backends, dataset = 'stock_ticks') => (await b.services.gaps.lastReadySignal(dataset))?.source as { runId?: string } | undefined;

  it('reads record nothing; the next start records what ended meanwhile, and a running service finds runs started elsewhere', async () => {
    let b = await open(3_600_000);
    const first = await startOutside('outside-1', '2024-03-10');
    // Read it every way a client can: still nothing recorded.
    expect(await b.services.pipeline!.get(first)).toMatchObject({ status: 'SUCCEEDED', mode: 'CHECK' });
    expect((await b.services.pipeline!.list({ first: 10 })).items.map((i) => i.node.id)).toContain(first);
    expect((await b.services.pipeline!.events(first, 100)).items.length).toBeGreaterThan(5);
    await new Promise((r) => setTimeout(r, 300));
    // (The run's own Check, OK for every group, is a ready signal of its own, source CHECK; the run's is not there.)
    expect((await lastRunId(b))?.runId).toBeUndefined();
    await b.close();

    // The next start reads the newest succeeded runs' histories.
    b = await open(100);
    for (let i = 0; i < 100 && (await lastRunId(b))?.runId !== first; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await b.services.gaps.lastReadySignal('stock_ticks')).toMatchObject({ from: '2024-03-10T00:00:00.000Z', source: { kind: 'PIPELINE', runId: first } });

    // Started while the service runs, and never read: found going, watched to its end, recorded.
    const { executionArn: second } = await sfn!.send(
      new StartExecutionCommand({
        stateMachineArn: PIPELINE,
        name: 'outside-2',
        input: JSON.stringify({ dataset: 'slow', from: '2024-03-10T00:00:00.000Z', to: '2024-03-11T00:00:00.000Z', mode: 'REPAIR', ranges: [{ group: 'AMZN', start: '2024-03-10T10:00:00.000Z', end: '2024-03-10T11:00:00.000Z' }] }),
      }),
    );
    for (let i = 0; i < 200 && (await lastRunId(b, 'slow'))?.runId !== second; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await b.services.gaps.lastReadySignal('slow')).toMatchObject({ from: '2024-03-10T00:00:00.000Z', to: '2024-03-11T00:00:00.000Z', source: { kind: 'PIPELINE', runId: second } });
  });
});
