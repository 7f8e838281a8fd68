/**
 * The server side of bench/results.bench.ts, one process per role, as deployed: `stand-in` is the embedded
 * endpoint standing in for Athena and S3, behind the latency proxy (latency-proxy.ts; the parent switches
 * its model with `{ model }` messages); `gapwatch` is the service on the aws backend pointed at the proxy
 * through the SDK's own AWS_ENDPOINT_URL_ATHENA and AWS_ENDPOINT_URL_S3, reading results from S3 unless
 * GAPWATCH_BENCH_S3=false. Each reports its URL (and pid) over IPC and stops when the parent disconnects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app';
import { loadEnvConfig } from '../src/config';
import { startEmbedded } from '../src/embedded/server';
import { startLatencyProxy, type Model } from './latency-proxy';

/** Rows of the two results read: paging and whole-result reads, and the slow client's stream. */
export const MILLION = 1_000_000;
export const FIVE_MILLION = 5_000_000;

const query = (name: string, rows: number): string => `
  - name: ${name}
    sql: >-
      SELECT n AS id, 'SYM' || CAST(n % 500 AS VARCHAR) AS symbol,
        date_add('minute', n, TIMESTAMP '2024-01-01 00:00:00') AS captured,
        n * 0.25 AS price, n % 7 = 0 AS flag
      FROM (SELECT hi * 10000 + lo AS n FROM UNNEST(sequence(0, ${Math.ceil(rows / 10_000) - 1})) AS h(hi)
        CROSS JOIN UNNEST(sequence(0, 9999)) AS l(lo)) AS t
      WHERE n < ${rows} ORDER BY id`;

const config = (fromS3: boolean): string => `
athena:
  resultCacheMiB: 64
  resultsFromS3: ${fromS3}
  waitTimeout: 10m
namedQueries:${query('bench_1m', MILLION)}${query('bench_5m', FIVE_MILLION)}
`;

async function start(role: string, dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (role === 'stand-in') {
    // Room for a 5,000,000-row result (~0.4 GB with its index) beside the 1,000,000-row ones.
    const endpoint = await startEmbedded({ port: 0, dataDir: dir, limits: { maxResultBytesPerQuery: 2 * 2 ** 30, maxResultBytes: 8 * 2 ** 30 } });
    const proxy = await startLatencyProxy(endpoint.url);
    process.on('message', (m: { model?: Model }) => {
      if (m.model) {
        proxy.setModel(m.model);
        process.send!({ model: m.model });
      }
    });
    return {
      url: proxy.url,
      stop: async () => {
        await proxy.close();
        await endpoint.close();
      },
    };
  }
  writeFileSync(path.join(dir, 'config.yaml'), config(process.env.GAPWATCH_BENCH_S3 !== 'false'));
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
