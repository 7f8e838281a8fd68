import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startBuiltService, type BuiltService } from '../support/built-service';
import { STOCK_TICKS_YAML, ticksDatasetYaml, WITHOUT_SAMPLE_REPAIR } from '../support/config';
import { collect, GATED_REPAIR_MODULE, until } from '../support/runs';
import { freePort, startRedis, type RedisServer } from '../support/redis';

async function gql(service: BuiltService, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${service.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

/** GetExecutionHistory calls this instance has made, from its /metrics. */
async function historyCalls(service: BuiltService): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('gapwatch_backend_call_duration_seconds_count{') && line.includes('operation="GetExecutionHistory"')) n += Number(line.split(' ').at(-1));
  }
  return n;
}

/**
 * A fleet as deployed: two gapwatch instances (A and B, aws mode, one Redis) in front of one Step Functions
 * and Athena (here a third gapwatch's embedded endpoint, which runs the pipeline's Tasks, standing in for AWS).
 */
describe('two gapwatch processes on one redis-server', () => {
  let dir: string;
  let redis: RedisServer;
  let aws: BuiltService;
  let a: BuiltService;
  let b: BuiltService;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-fleet-'));
    const config = path.join(dir, 'gapwatch.config.yaml');
    writeFileSync(path.join(dir, 'gated-repair.js'), GATED_REPAIR_MODULE(dir));
    writeFileSync(config, STOCK_TICKS_YAML + ticksDatasetYaml('gated', { repair: './gated-repair.js' }));
    // The aws-mode instances: the same datasets, without the embedded backend's sample repair (refused there).
    const awsConfig = path.join(dir, 'aws.config.yaml');
    writeFileSync(awsConfig, WITHOUT_SAMPLE_REPAIR(STOCK_TICKS_YAML) + ticksDatasetYaml('gated', { repair: './gated-repair.js' }));
    redis = await startRedis();
    const endpointPort = await freePort();
    const common = { GAPWATCH_CONFIG: config, GAPWATCH_LOG_LEVEL: 'info', PORT: '0' };
    aws = await startBuiltService({ ...common, GAPWATCH_DATA_DIR: path.join(dir, 'aws'), GAPWATCH_EMBEDDED_PORT: String(endpointPort) });
    const endpoint = `http://127.0.0.1:${endpointPort}`;
    const instance = (name: string) =>
      startBuiltService({
        ...common,
        GAPWATCH_CONFIG: awsConfig,
        GAPWATCH_DATA_DIR: path.join(dir, name),
        GAPWATCH_BACKEND: 'aws',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        AWS_ENDPOINT_URL_ATHENA: endpoint,
        AWS_ENDPOINT_URL_SFN: endpoint,
        GAPWATCH_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline',
        REDIS_URL: redis.url,
      });
    [a, b] = await Promise.all([instance('a'), instance('b')]);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    for (const s of [a, b, aws]) if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ws = (s: BuiltService) => {
    const client = createClient({ url: `${s.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    clients.push(client);
    return client;
  };

  it('a subscriber on A sees a run started on B; one instance polls it; killing the poller moves polling to the other, and nothing is missed', async () => {
    const updates = collect(ws(a), `subscription { runUpdated { id status } }`);
    // graphql-ws sets a subscription up asynchronously: until A's is in place, an update is not for it. Short
    // CHECK runs started on B, one a day, until A has heard of one, show it is.
    for (let day = 10; updates.received.length === 0; day++) {
      if (day > 13) throw new Error('A never heard of a run started on B');
      const probe = await gql(b, `mutation ($from: DateTime!) { startCheck(dataset: "stock_ticks", from: $from, to: "2024-03-14T00:00:00Z") { id } }`, { from: `2024-03-${day}T00:00:00Z` });
      expect(probe.errors).toBeUndefined();
      await until('a runUpdated on A', () => updates.received.length > 0, 60).catch(() => {});
    }
    const started = await gql(
      b,
      `mutation { startRepair(dataset: "gated", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z", ranges: [{ group: "AMZN", start: "2024-03-05T13:00:00Z", end: "2024-03-05T14:00:00Z" }]) { id } }`,
    );
    expect(started.errors).toBeUndefined();
    const runId: string = started.data.startRepair.id;
    await until('A to hear of the run B started', () => updates.received.some((m) => m.data?.runUpdated.id === runId && m.data.runUpdated.status === 'RUNNING'));

    // A subscriber on each instance: whichever instance polls, the other one's subscriber outlives it.
    const on = new Map([
      [a, collect(ws(a), `subscription ($runId: ID!) { runEvents(runId: $runId) { id type } }`, { runId })],
      [b, collect(ws(b), `subscription ($runId: ID!) { runEvents(runId: $runId) { id type } }`, { runId })],
    ]);
    await until('Repair to begin', () => existsSync(path.join(dir, 'started-AMZN')));
    await until('both subscribers to receive the events so far', () => [...on.values()].every((s) => s.received.length > 0));

    // Both watch the run (B started it, A has a subscriber): one of them polls, the other listens on Redis.
    const [a0, b0] = await Promise.all([historyCalls(a), historyCalls(b)]);
    await new Promise((r) => setTimeout(r, 2_000));
    const [a1, b1] = await Promise.all([historyCalls(a), historyCalls(b)]);
    const polling = [a1 - a0 > 0, b1 - b0 > 0];
    expect(polling.filter(Boolean)).toHaveLength(1);

    // The poller dies without letting go of its lease; the other takes the run over once the lease expires.
    const [poller, survivor] = polling[0] ? [a, b] : [b, a];
    const before = await historyCalls(survivor);
    poller.child.kill('SIGKILL');
    writeFileSync(path.join(dir, 'release-AMZN'), '1');
    const events = on.get(survivor)!;
    await events.done;
    expect(events.error()).toBeUndefined();
    expect(events.completed()).toBe(true);
    const ids = events.received.map((m) => m.data.runEvents.id);
    expect(ids).toStrictEqual(ids.map((_: unknown, i: number) => i + 1));
    expect(events.received.at(-1).data.runEvents.type).toBe('ExecutionFailed');
    expect(await historyCalls(survivor)).toBeGreaterThan(before);
    if (survivor === a) {
      await until('runUpdated on A to report the end', () => updates.received.some((m) => m.data?.runUpdated.id === runId && m.data.runUpdated.status === 'FAILED'));
    }
  });
});
