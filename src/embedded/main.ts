/**
 * `npm run embedded`: the embedded AWS endpoint (Athena and Step Functions) on its own, for the AWS CLI or any SDK.
 *
 * Configured exactly like the app, through src/config.ts: GAPWATCH_EMBEDDED_PORT (default 4566),
 * GAPWATCH_DATA_DIR (default ./.gapwatch), GAPWATCH_CONFIG (default ./gapwatch.config.yaml; a missing file
 * means no local tables; its `embedded.tables` are served), GAPWATCH_LOG_LEVEL. The whole config file is
 * validated, as the app would, so a file this accepts is one the app accepts too.
 */
import { loadEnvConfig, loadSettings, type Env } from '../config';
import { ConfigError, PortInUseError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { embeddedKeyPair } from './credentials';
import { DataDirInUseError, startEmbedded, type EmbeddedEndpoint } from './server';

export interface StartedEmbedded {
  endpoint: EmbeddedEndpoint;
  logger: Logger;
}

/** The usage text printed once the endpoint listens; `signed`: requests must carry the data dir's key pair. */
export function helpText(url: string, dataDir: string, signed = false): string {
  return [
    '',
    `Embedded Athena endpoint: ${url}   (data in ${dataDir})`,
    ...(signed
      ? [
          `Requests must be signed with this data dir's key pair (GAPWATCH_API_KEYS is set). Use it with the AWS CLI:`,
          '',
          `  eval "$(GAPWATCH_DATA_DIR=${dataDir} npx gapwatch credentials)"`,
        ]
      : [`Use it with the AWS CLI (any credentials and region are accepted):`, '', `  export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1`]),
    `  aws athena start-query-execution --endpoint-url ${url} \\`,
    `      --query-string "SELECT symbol, count(*) FROM market.ticks GROUP BY 1"`,
    `  aws athena get-query-execution --endpoint-url ${url} --query-execution-id <id>`,
    `  aws athena get-query-results --endpoint-url ${url} --query-execution-id <id>`,
    '',
    `Step Functions is served too (no Task handlers here: a Task fails as a missing Lambda function;`,
    `the app registers gapwatch's pipeline with its handlers). See docs/embedded-stepfunctions.md:`,
    '',
    `  aws stepfunctions list-state-machines --endpoint-url ${url}`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/** Reads the configuration from `env`, starts the endpoint and writes the help to `out`. */
export async function startEmbeddedFromEnv(env: Env, out: { write(text: string): unknown }): Promise<StartedEmbedded> {
  const config = loadEnvConfig(env);
  const settings = loadSettings(config);
  const logger = createLogger(config.logLevel).child({ component: 'embedded' });
  const region = env.AWS_REGION || 'us-east-1';
  // As the app's endpoint: with API keys configured, only the data dir's key pair may call it.
  const signed = config.access.keys.length > 0;
  const endpoint = await startEmbedded({
    port: config.embeddedPort,
    dataDir: config.dataDir,
    tables: settings.embeddedTables,
    workGroups: [settings.athena.workgroup],
    logger,
    stepFunctions: { dataDir: config.dataDir, region },
    ...(signed ? { auth: { region, keys: [embeddedKeyPair(config.dataDir)] } } : {}),
  });
  out.write(helpText(endpoint.url, config.dataDir, signed));
  return { endpoint, logger };
}

/**
 * The line for stderr and the exit code for a start-up failure. A bad setting is the operator's to fix:
 * exit 2 with the setting named, as src/main.ts does. Anything else (port in use, unreadable table file)
 * gets one clear line and exit 1.
 */
export function startupFailure(err: unknown): { exitCode: number; line: string } {
  if (err instanceof ConfigError) return { exitCode: 2, line: `gapwatch embedded: configuration error: ${err.message}\n` };
  if (err instanceof DataDirInUseError) {
    // Usually `npm start`, whose own embedded endpoint is already there to use.
    return {
      exitCode: 1,
      line: `gapwatch embedded: ${err.message}: use the endpoint that gapwatch serves (port GAPWATCH_EMBEDDED_PORT, 4566 by default), stop it, or set GAPWATCH_DATA_DIR to another directory\n`,
    };
  }
  if (err instanceof PortInUseError) return { exitCode: 1, line: `gapwatch embedded: ${err.message}\n` };
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { exitCode: 1, line: `gapwatch embedded: failed to start: ${message}\n` };
}

async function main(): Promise<void> {
  const { endpoint, logger } = await startEmbeddedFromEnv(process.env, process.stdout);
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

if (require.main === module) {
  main().catch((err: unknown) => {
    const { exitCode, line } = startupFailure(err);
    process.stderr.write(line);
    process.exit(exitCode);
  });
}
