import { existsSync } from 'node:fs';
import pino from 'pino';
import { connectBackends, type Backends } from '../backends';
import { loadEnvConfig, loadSettings, type Env, type Settings } from '../config';
import { CodedError, ConfigError } from '../errors';
import type { Logger } from '../logger';
import { DataDirInUseError, resetEmbeddedSample } from '../embedded/server';
import { realClock } from '../services/clock/clock';
import { checkUse, windowProblem } from '../services/gaps/compute';
import type { CheckArgs } from './args';
import { CliError, oneLine } from './errors';
import { fromGapCheck, type CliReport } from './report';
import { resolveWindow } from './window';

/**
 * The environment as the CLI reads it. Two defaults differ from the service's: the embedded endpoint takes
 * a free port (a CLI run must not clash with a gapwatch already serving on 4566), and logs stop at warn, so
 * a CI log shows the report and problems rather than every query.
 */
export function cliEnv(env: Env): Env {
  return {
    ...env,
    GAPWATCH_EMBEDDED_PORT: env.GAPWATCH_EMBEDDED_PORT || '0',
    GAPWATCH_LOG_LEVEL: env.GAPWATCH_LOG_LEVEL || 'warn',
  };
}

/** The service's log format, on stderr: stdout carries only the report, so `--json | jq` keeps working. */
function stderrLogger(level: Settings['env']['logLevel']): Logger {
  return pino({ level, base: { service: 'gapwatch' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
}

function settingsFrom(env: Env): Settings {
  try {
    return loadSettings(loadEnvConfig(cliEnv(env)));
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration error: ${err.message}`);
    throw err;
  }
}

/**
 * Runs the check in this process on the configured backend (AWS, or the embedded endpoint started for the
 * run and stopped after it), exactly as the service would, with trigger CLI.
 */
export async function checkLocal(args: CheckArgs, env: Env, now: number): Promise<CliReport> {
  const settings = settingsFrom(env);
  // Argument problems are answered before any backend starts: DuckDB or AWS need not wake for a typo.
  const dataset = settings.datasets.find((d) => d.name === args.dataset);
  if (!dataset) {
    const known = settings.datasets.map((d) => d.name);
    const file = settings.env.configFile;
    // A missing config file is not an error for the service (it can run without datasets); here it is the likely cause.
    const where = existsSync(file) ? `in ${file}` : `(GAPWATCH_CONFIG ${file} does not exist)`;
    throw new CliError(`dataset: no dataset '${args.dataset}' ${where}; configured: ${known.length ? known.join(', ') : 'none'}`);
  }
  const window = resolveWindow(args.window, dataset, now);
  const problem = windowProblem(dataset, window.from, window.to, checkUse(dataset, false));
  if (problem) {
    // Name what the user typed: the window came from --from/--to, from --last, or from the dataset's own checkWindow.
    const source =
      args.window.kind === 'range' ? (window.from >= window.to ? '--to' : '--from')
      : args.window.kind === 'last' ? '--last'
      : `dataset ${dataset.name} checkWindow`;
    throw new CliError(`${source}: ${problem}`);
  }

  let backends: Backends;
  try {
    // A CLI run is one check: a dataset's schedule must not fire a second, unasked-for query, and no
    // pipeline run is started or served.
    backends = await connectBackends(settings, stderrLogger(settings.env.logLevel), realClock, { schedule: false, pipeline: false });
  } catch (err) {
    if (err instanceof DataDirInUseError) {
      throw new CliError(`${err.message}: ask it with --url (e.g. --url http://127.0.0.1:4000), stop it, or set GAPWATCH_DATA_DIR to another directory`);
    }
    throw new CliError(`cannot start the ${settings.env.backend} backend: ${oneLine(err)}`);
  }
  try {
    const check = await backends.services.gaps.check(args.dataset, {
      ...window,
      ...(args.groups ? { groups: args.groups } : {}),
      trigger: 'CLI',
    });
    return fromGapCheck(check);
  } catch (err) {
    if (err instanceof CodedError) throw new CliError(`${oneLine(err)} (${err.code})`);
    throw new CliError(`check failed: ${oneLine(err)}`);
  } finally {
    await backends.close();
  }
}

/** `gapwatch reset-sample`: the embedded sample back as first generated; says what it did. */
export async function resetSampleLocal(env: Env): Promise<string> {
  const settings = settingsFrom(env);
  const { backend, dataDir } = settings.env;
  if (backend !== 'embedded') throw new CliError(`reset-sample rebuilds the embedded backend's sample table; GAPWATCH_BACKEND is ${backend}`);
  try {
    await resetEmbeddedSample(dataDir);
  } catch (err) {
    if (err instanceof DataDirInUseError) throw new CliError(`${err.message}: stop it first, then run gapwatch reset-sample again`);
    throw new CliError(`cannot reset the sample in ${dataDir}: ${oneLine(err)}`);
  }
  return `market.ticks in ${dataDir} is the sample as first generated again, planted defects and all (check and run history are kept)`;
}
