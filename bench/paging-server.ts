/**
 * The server side of bench/paging.bench.ts, one process per role, as deployed: `athena` is the embedded
 * endpoint standing in for Athena; `gapwatch` is the service on the aws backend pointed at it through the
 * SDK's own AWS_ENDPOINT_URL_ATHENA. Each reports its URL over IPC and stops when the parent disconnects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app';
import { loadEnvConfig } from '../src/config';
import { startEmbedded } from '../src/embedded/server';

export const BENCH_ROWS = 100_000;

/**
 * The config file's `namedQueries:` section: `bench_rows`, `rows` rows of 5 columns (every paging bench reads it),
 * in Athena's SQL (Trino's sequence() holds at most 10,000 entries, so two are crossed).
 */
export const benchQueries = (rows: number): string => `
namedQueries:
  - name: bench_rows
    sql: >-
      SELECT n AS id, 'SYM' || CAST(n % 500 AS VARCHAR) AS symbol,
        date_add('minute', n, TIMESTAMP '2024-01-01 00:00:00') AS captured,
        n * 0.25 AS price, n % 7 = 0 AS flag
      FROM (SELECT hi * 10000 + lo AS n FROM UNNEST(sequence(0, ${Math.ceil(rows / 10_000) - 1})) AS h(hi)
        CROSS JOIN UNNEST(sequence(0, 9999)) AS l(lo)) AS t
      WHERE n < ${rows} ORDER BY id
`;

const CONFIG = `
athena:
  resultCacheMiB: 256
${benchQueries(BENCH_ROWS)}`;

async function start(role: string, dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (role === 'athena') {
    const endpoint = await startEmbedded({ port: 0, dataDir: dir });
    return { url: endpoint.url, stop: () => endpoint.close() };
  }
  writeFileSync(path.join(dir, 'config.yaml'), CONFIG);
  // An aws-mode gapwatch requires its pipeline's state machine; this bench runs none, and the Step Functions
  // calls it makes at start (listing runs to resume) go to the same endpoint and are refused there.
  process.env.AWS_ENDPOINT_URL_SFN ??= process.env.AWS_ENDPOINT_URL_ATHENA;
  const env = loadEnvConfig({
    GAPWATCH_BACKEND: 'aws',
    GAPWATCH_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline',
    GAPWATCH_DATA_DIR: dir,
    GAPWATCH_CONFIG: path.join(dir, 'config.yaml'),
    GAPWATCH_LOG_LEVEL: 'silent',
  });
  const app = await createApp({ env });
  const { url } = await app.listen(0, '127.0.0.1');
  return { url, stop: () => app.stop() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-bench-'));
  const server = await start(process.argv[2] ?? '', dir);
  process.send!({ url: server.url });
  process.on('disconnect', () => {
    server.stop().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

if (require.main === module) void main();
