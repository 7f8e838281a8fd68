/**
 * `npm run embedded`: the embedded AWS endpoint on its own, for the AWS CLI or any SDK.
 *
 * Environment: GAPWATCH_EMBEDDED_PORT (default 4566), GAPWATCH_DATA_DIR (default ./.gapwatch),
 * GAPWATCH_CONFIG (default ./gapwatch.config.yaml; a missing file means no local tables).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { ConfigError } from '../errors';
import { startEmbedded } from './server';
import { parseEmbeddedTables, type EmbeddedTable } from './tables';

function portFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 4566;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`GAPWATCH_EMBEDDED_PORT: expected a port 0..65535, got '${raw}'`);
  return n;
}

function tablesFromConfig(file: string): EmbeddedTable[] {
  if (!existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML (${(err as Error).message})`);
  }
  const embedded = (doc as { embedded?: { tables?: unknown } } | null)?.embedded;
  return parseEmbeddedTables(embedded?.tables, dirname(file));
}

async function main(): Promise<void> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const port = portFromEnv(process.env.GAPWATCH_EMBEDDED_PORT);
  const dataDir = resolve(process.env.GAPWATCH_DATA_DIR || '.gapwatch');
  const configFile = resolve(process.env.GAPWATCH_CONFIG || 'gapwatch.config.yaml');
  const tables = tablesFromConfig(configFile);
  const endpoint = await startEmbedded({ port, dataDir, tables, logger });

  process.stdout.write(
    [
      '',
      `Embedded Athena endpoint: ${endpoint.url}   (data in ${dataDir})`,
      `Use it with the AWS CLI (any credentials and region are accepted):`,
      '',
      `  export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1`,
      `  aws athena start-query-execution --endpoint-url ${endpoint.url} \\`,
      `      --query-string "SELECT symbol, count(*) FROM market.ticks GROUP BY 1"`,
      `  aws athena get-query-execution --endpoint-url ${endpoint.url} --query-execution-id <id>`,
      `  aws athena get-query-results --endpoint-url ${endpoint.url} --query-execution-id <id>`,
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the embedded endpoint');
    endpoint.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  // Start-up problems (bad config, port in use, unreadable table file) get one clear line, no stack.
  const message = err instanceof ConfigError ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  process.stderr.write(`gapwatch embedded: ${message}\n`);
  process.exit(1);
});
