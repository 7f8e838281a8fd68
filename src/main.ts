import './heap';
import { createApp } from './app';
import { loadEnvConfig } from './config';
import { ConfigError, DataDirInUseError, PortInUseError } from './errors';
import { createLogger } from './logger';

/** Time after the drain for the backends to close before the process gives up waiting. */
const STOP_GRACE_MS = 5_000;

/** The listener: reads the environment, starts the app on the configured port, stops it on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const env = loadEnvConfig();
  const logger = createLogger(env.logLevel);
  const app = await createApp({
    env,
    logger,
    // The embedded endpoint's worker died more often than it is restarted: exit non-zero, for an
    // orchestrator (or the operator) to restart the whole process.
    onFatal: () => process.exit(1),
  });
  const { url } = await app.listen();
  await app.warmUp();
  logger.info({ url: `${url}/graphql`, backend: env.backend }, `gapwatch is serving GraphQL and the explorer at ${url}/graphql`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, drainMs: env.drainMs }, 'stopping: finishing in-flight requests');
    // Requests are answered within the drain time; what follows (a scheduled check still waiting on Athena,
    // flushing history) gets a bounded grace too, so an orchestrator's SIGTERM never meets a hung process.
    setTimeout(() => {
      logger.error({ graceMs: env.drainMs + STOP_GRACE_MS }, 'did not stop in time; exiting');
      process.exit(1);
    }, env.drainMs + STOP_GRACE_MS).unref();
    app.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'failed to stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // A bad setting is the operator's to fix: say which and how, with no stack trace, and exit 2.
  if (err instanceof ConfigError) {
    process.stderr.write(`gapwatch: configuration error: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof PortInUseError) {
    process.stderr.write(`gapwatch: ${err.message}\n`);
    process.exit(1);
  }
  if (err instanceof DataDirInUseError) {
    process.stderr.write(`gapwatch: ${err.message}: stop it, or set GAPWATCH_DATA_DIR to another directory\n`);
    process.exit(1);
  }
  process.stderr.write(`gapwatch: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
