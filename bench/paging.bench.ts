/**
 * Paging 100,000 rows through GraphQL `rows(first: 1000, after:)` vs paging the same result with the raw SDK
 * paginator, against the same embedded endpoint, in one run. The GraphQL side does everything a client
 * gets: the SDK call, decoding, GraphQL execution, JSON over HTTP and the client's JSON.parse. Each repetition
 * reads a result neither side has read before, so no cache flatters gapwatch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AthenaClient, paginateGetQueryResults } from '@aws-sdk/client-athena';
import { createApp } from '../src/app';
import { loadEnvConfig } from '../src/config';
import type { BenchResult } from './decode.bench';

const ROWS = 100_000;
const SQL = `SELECT range AS id, 'SYM' || CAST(range % 500 AS VARCHAR) AS symbol,
  TIMESTAMP '2024-01-01 00:00:00' + range * INTERVAL 1 MINUTE AS at,
  range * 0.25 AS price, range % 7 = 0 AS flag
  FROM range(${ROWS}) ORDER BY id`;

const ROWS_QUERY = /* GraphQL */ `query ($id: ID!, $after: String) {
  queryExecution(id: $id) { rows(first: 1000, after: $after) { edges { node { values } } pageInfo { hasNextPage endCursor } } }
}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(options: { repetitions?: number } = {}): Promise<BenchResult[]> {
  const repetitions = options.repetitions ?? 5;
  const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-bench-'));
  writeFileSync(path.join(dir, 'config.yaml'), 'athena:\n  resultCacheMiB: 256\n');
  const env = loadEnvConfig({
    GAPWATCH_DATA_DIR: dir,
    GAPWATCH_CONFIG: path.join(dir, 'config.yaml'),
    GAPWATCH_EMBEDDED_PORT: '0',
    GAPWATCH_LOG_LEVEL: 'silent',
  });
  const app = await createApp({ env });
  const { url } = await app.listen(0, '127.0.0.1');
  const sdk = new AthenaClient({ endpoint: app.embedded!.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  try {
    // Fresh executions for every read (+1 warm-up each side), run up front so only reading is timed.
    const ids: string[] = [];
    for (let i = 0; i < 2 * (repetitions + 1); i++) ids.push((await app.services.athena.run({ sql: SQL })).id);

    const viaSdk = async (id: string): Promise<number> => {
      let rows = 0;
      let first = true;
      for await (const page of paginateGetQueryResults({ client: sdk, pageSize: 1000 }, { QueryExecutionId: id, MaxResults: 1000 })) {
        rows += (page.ResultSet?.Rows?.length ?? 0) - (first ? 1 : 0);
        first = false;
      }
      return rows;
    };
    const viaGraphQL = async (id: string): Promise<number> => {
      let rows = 0;
      let after: string | null = null;
      for (;;) {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: ROWS_QUERY, variables: { id, after } }),
        });
        const body = (await res.json()) as any;
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        const conn = body.data.queryExecution.rows;
        rows += conn.edges.length;
        if (!conn.pageInfo.hasNextPage) return rows;
        after = conn.pageInfo.endCursor;
      }
    };

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
        if (n !== ROWS) throw new Error(`read ${n} rows, expected ${ROWS}`);
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
        detail: `GraphQL ${gqlMs.toFixed(0)} ms vs SDK ${sdkMs.toFixed(0)} ms (median of ${repetitions}); GraphQL includes decoding to typed values, HTTP and JSON.parse`,
      },
    ];
  } finally {
    sdk.destroy();
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().then(
    (results) => {
      for (const r of results) console.log(`${r.pass ? 'PASS' : 'MISS'} ${r.name}: ${r.ratio.toFixed(2)}× (target ${r.target}) — ${r.detail}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
