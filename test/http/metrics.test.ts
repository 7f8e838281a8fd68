import { startTestApp, take, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';

/** The value of one sample in Prometheus text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[2]);
  }
  return undefined;
}

describe('/metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Without the dataset's hourly schedule: its first scheduled check (of the last hours, where the sample has
    // no data) could finish after the test's own check on a loaded machine and become the newest one.
    t = await startTestApp({ config: STOCK_TICKS_YAML.replace('    schedule: 1h\n', ''), env: { GAPWATCH_ALLOW_RAW_SQL: 'true' } });
  });
  afterAll(() => t.stop());

  const scrape = async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };

  it('counts operations by name and outcome, Athena calls by operation, gaps per dataset, limit hits', async () => {
    await t.gql('query Probe { health { status } }');
    await t.gql('query Check { gaps(dataset: "stock_ticks", from: "2024-03-04T00:00:00Z", to: "2024-03-14T00:00:00Z") { status } }');
    await t.gql(`{ ${Array.from({ length: 21 }, (_, i) => `a${i}: datasets { name }`).join(' ')} }`);
    const text = await scrape();

    expect(sample(text, 'gapwatch_graphql_operation_duration_seconds_count', { operation: 'Probe', type: 'query', transport: 'http', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'gapwatch_graphql_operation_duration_seconds_count', { operation: 'Check', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'gapwatch_graphql_operation_duration_seconds_count', { operation: 'anonymous', outcome: 'LIMIT_EXCEEDED' })).toBe(1);
    expect(sample(text, 'gapwatch_limit_hits_total', { limit: 'maxAliases' })).toBe(1);
    expect(sample(text, 'gapwatch_backend_call_duration_seconds_count', { service: 'athena', operation: 'StartQueryExecution', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gapwatch_backend_call_duration_seconds_count', { service: 'athena', operation: 'ListQueryExecutions', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    // The sample's planted defects: 4 missing ranges (one is GOOG's absent day) and 3 thin hours.
    expect(sample(text, 'gapwatch_gap_ranges', { dataset: 'stock_ticks', kind: 'UNDERFILLED' })).toBe(3);
    expect(sample(text, 'gapwatch_gap_ranges', { dataset: 'stock_ticks', kind: 'MISSING' })).toBeGreaterThan(0);
    expect(sample(text, 'gapwatch_process_resident_memory_bytes', {})).toBeGreaterThan(0);
  });

  it('reports the results-page cache hit ratio', async () => {
    const id = (await t.gql('{ gaps(dataset: "stock_ticks", from: "2024-03-04T00:00:00Z", to: "2024-03-05T00:00:00Z") { queryExecutionId } }')).data.gaps.queryExecutionId;
    const rows = `{ queryExecution(id: "${id}") { rows(first: 1) { edges { cursor } } } }`;
    await t.gql(rows);
    const before = sample(await scrape(), 'gapwatch_result_cache_hit_ratio', {})!;
    for (let i = 0; i < 5; i++) expect((await t.gql(rows)).errors).toBeUndefined();
    const after = sample(await scrape(), 'gapwatch_result_cache_hit_ratio', {})!;
    expect(after).toBeGreaterThan(before);
    expect(sample(await scrape(), 'gapwatch_result_cache_bytes', {})).toBeGreaterThan(0);
  });

  it('counts the Athena executions it has seen queued or running and not yet ended', async () => {
    const open = async () => {
      const text = await scrape();
      return (sample(text, 'gapwatch_athena_open_executions', { state: 'QUEUED' }) ?? NaN) + (sample(text, 'gapwatch_athena_open_executions', { state: 'RUNNING' }) ?? NaN);
    };
    expect(await open()).toBe(0);
    const started = await t.gql('mutation { runSql(sql: "SELECT 42 AS answer", wait: false) { id state } }');
    const { id, state } = started.data.runSql;
    // What the mutation saw is what the gauge holds: open while QUEUED or RUNNING, gone once it ended.
    expect(await open()).toBe(state === 'QUEUED' || state === 'RUNNING' ? 1 : 0);
    let now = state;
    while (now === 'QUEUED' || now === 'RUNNING') now = (await t.gql(`{ queryExecution(id: "${id}") { state } }`)).data.queryExecution.state;
    expect(now).toBe('SUCCEEDED');
    expect(await open()).toBe(0);
  });

  it('shows active subscriptions while they are open', async () => {
    const client = t.ws();
    let stop: () => void = () => {};
    await new Promise<void>((resolve, reject) => {
      stop = client.subscribe({ query: 'subscription Beat { heartbeat(intervalMs: 100) { seq } }' }, { next: () => resolve(), error: reject, complete: () => {} });
    });
    expect(sample(await scrape(), 'gapwatch_active_subscriptions', {})).toBe(1);
    stop();
    // The next operation on the socket is answered after the server has ended the subscription.
    await take(client, '{ __typename }', 1);
    const text = await scrape();
    expect(sample(text, 'gapwatch_active_subscriptions', {})).toBe(0);
    expect(sample(text, 'gapwatch_graphql_operation_duration_seconds_count', { operation: 'Beat', type: 'subscription', transport: 'ws', outcome: 'ok' })).toBe(1);
  });
});
