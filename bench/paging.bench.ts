/**
 * Paging 100,000 rows through GraphQL `rows(first: 1000, after:)` vs paging the same result with the raw SDK
 * paginator from the same Athena endpoint, in one run. As deployed, three processes: the embedded endpoint
 * standing in for Athena, gapwatch on the aws backend pointed at it (bench/paging-server.ts), and both
 * clients here. The GraphQL side does
 * everything a client gets: the SDK call, decoding to typed values, GraphQL execution, JSON over HTTP and the
 * client's JSON.parse. Each read is of a result neither side has read before, so no cache flatters gapwatch.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { AthenaClient, paginateGetQueryResults } from '@aws-sdk/client-athena';
import { type BenchResult, runStandalone } from './result';
import { BENCH_ROWS } from './paging-server';

const ROWS_QUERY = /* GraphQL */ `query ($id: ID!, $after: String) {
  queryExecution(id: $id) { rows(first: 1000, after: $after) { edges { node { values } } pageInfo { hasNextPage endCursor } } }
}`;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Reads a result start to end with the SDK's own paginator, 1,000 rows a page; the data rows read. */
export async function readViaSdk(sdk: AthenaClient, id: string): Promise<number> {
  let rows = 0;
  let first = true;
  for await (const page of paginateGetQueryResults({ client: sdk, pageSize: 1000 }, { QueryExecutionId: id, MaxResults: 1000 })) {
    rows += (page.ResultSet?.Rows?.length ?? 0) - (first ? 1 : 0);
    first = false;
  }
  return rows;
}

/** Reads a result start to end through GraphQL `rows(first: 1000, after:)`; the rows read. */
export async function readViaGraphQL(url: string, id: string): Promise<number> {
  let rows = 0;
  let after: string | null = null;
  for (;;) {
    const conn: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = (await gql(url, ROWS_QUERY, { id, after })).queryExecution.rows;
    rows += conn.edges.length;
    if (!conn.pageInfo.hasNextPage) return rows;
    after = conn.pageInfo.endCursor;
  }
}

async function serve(role: 'athena' | 'gapwatch', env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const child = fork(path.join(__dirname, 'paging-server.js'), [role], { env: { ...process.env, ...env } });
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    child.once('message', resolve as never);
    child.once('exit', (code) => reject(new Error(`bench ${role} server exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

export async function run(options: { repetitions?: number } = {}): Promise<BenchResult[]> {
  const repetitions = options.repetitions ?? 5;
  const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const athena = await serve('athena', quiet);
  const gapwatch = await serve('gapwatch', {
    ...quiet,
    AWS_ENDPOINT_URL_ATHENA: athena.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  const url = gapwatch.url;
  const embeddedUrl = athena.url;
  const sdk = new AthenaClient({ endpoint: embeddedUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    // Fresh executions for every read (+1 warm-up each side), run up front so only reading is timed.
    const ids: string[] = [];
    for (let i = 0; i < 2 * (repetitions + 1); i++) ids.push((await gql(url, 'mutation { runQuery(name: "bench_rows") { id } }')).runQuery.id);

    const viaSdk = (id: string): Promise<number> => readViaSdk(sdk, id);
    const viaGraphQL = (id: string): Promise<number> => readViaGraphQL(url, id);

    const sdkTimes: number[] = [];
    const gqlTimes: number[] = [];
    for (let r = 0; r <= repetitions; r++) {
      for (const [fn, times, id] of [
        [viaSdk, sdkTimes, ids[2 * r]!],
        [viaGraphQL, gqlTimes, ids[2 * r + 1]!],
      ] as const) {
        const t0 = performance.now();
        const n = await fn(id);
        const ms = performance.now() - t0;
        if (n !== BENCH_ROWS) throw new Error(`read ${n} rows, expected ${BENCH_ROWS}`);
        if (r > 0) times.push(ms); // repetition 0 warms up both paths
      }
    }
    const sdkMs = median(sdkTimes);
    const gqlMs = median(gqlTimes);
    const ratio = gqlMs / sdkMs;
    return [
      {
        name: 'paging 100,000 rows: GraphQL rows(first: 1000) vs raw SDK paginator (time)',
        ratio,
        target: '≤ 1.3×',
        pass: ratio <= 1.3,
        detail: `GraphQL ${gqlMs.toFixed(0)} ms vs SDK ${sdkMs.toFixed(0)} ms (median of ${repetitions}); Athena stand-in, gapwatch and the clients in three processes; GraphQL includes decoding to typed values, HTTP and JSON.parse`,
      },
    ];
  } finally {
    sdk.destroy();
    await gapwatch.stop();
    await athena.stop();
  }
}

if (require.main === module) {
  runStandalone(run);
}
