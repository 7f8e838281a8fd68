import { parseEmbeddedTables, type EmbeddedTable } from './embedded/tables';
import { ConfigError } from './errors';
import { loadAccessConfig, type AccessConfig } from './http/access';
import { parseLimits, type Limits } from './http/limits';
import { loadBaseEnv, oneOf, parsePipelineSettings, readConfigFile, type BaseEnv, type Env, type LogLevel, type PipelineSettings } from './settings';

export type { Env, LogLevel };

/**
 * The service's and the CLI's configuration: the environment (this file's contract, documented in the
 * README) and the YAML config file named by GAPWATCH_CONFIG, on top of what every composition reads
 * (settings.ts, which the Lambda functions read alone). Both are validated once at start; a bad value is a ConfigError
 * naming the variable or key and the expected form, which main.ts turns into exit code 2.
 *
 * In `aws` mode gapwatch adds no AWS settings of its own: the SDK reads region, credentials and
 * AWS_ENDPOINT_URL_ATHENA / AWS_ENDPOINT_URL_SFN itself.
 */
export type Backend = 'embedded' | 'aws';

export interface EnvConfig extends BaseEnv {
  port: number;
  host: string;
  backend: Backend;
  /** Port of the embedded AWS endpoint (embedded backend only); 0 picks a free one. */
  embeddedPort: number;
  /** The embedded endpoint worker's heap limit in MiB (GAPWATCH_EMBEDDED_HEAP_MIB); unset = V8's own. */
  embeddedHeapMiB?: number;
  /** `runSql(sql:)` is off unless a trusted deployment switches it on. */
  allowRawSql: boolean;
  /** API keys, browser origins, introspection and explorer switches (src/http/access.ts). */
  access: AccessConfig;
  /** Longest a shutdown waits for in-flight requests before answering them 503 (GAPWATCH_DRAIN_MS). */
  drainMs: number;
  /** The deployed pipeline state machine (aws backend; required there when the pipeline is served). */
  stateMachineArn?: string;
  /** Redis for events and leases across a fleet of instances; unset = one instance, in-process events. */
  redisUrl?: string;
  /** GetExecutionHistory calls per second all run watchers of this instance share (Step Functions refills 20/s per account). */
  historyCallsPerSecond: number;
}

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(`${name}: expected a port number from 0 to 65535, got '${raw}'`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, fallback = false): boolean {
  return oneOf(env, name, ['true', 'false'], fallback ? 'true' : 'false') === 'true';
}

function redisUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`REDIS_URL: expected redis://[user:password@]host:port[/db] or rediss://…, got a value that is not a URL`);
  }
  // The URL may carry a password: never quote it back.
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(`REDIS_URL: expected the redis: or rediss: scheme, got '${url.protocol}'`);
  return raw;
}

function rate(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(n > 0) || n > max) throw new ConfigError(`${name}: expected calls per second above 0 and at most ${max}, got '${raw}'`);
  return n;
}

function mebibytes(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`${name}: expected MiB from ${min} to ${max}, got '${raw}'`);
  return Number(raw);
}

function millis(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new ConfigError(`${name}: expected milliseconds from 0 to ${max}, got '${raw}'`);
  return Number(raw);
}

export function loadEnvConfig(env: Env = process.env): EnvConfig {
  const host = env.GAPWATCH_HOST || '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError(`GAPWATCH_HOST: expected a host name or IP address, got '${host}'`);
  return {
    port: port(env, 'PORT', 4000),
    host,
    backend: oneOf(env, 'GAPWATCH_BACKEND', ['embedded', 'aws'] as const, 'embedded'),
    ...loadBaseEnv(env),
    embeddedPort: port(env, 'GAPWATCH_EMBEDDED_PORT', 4566),
    ...(env.GAPWATCH_EMBEDDED_HEAP_MIB ? { embeddedHeapMiB: mebibytes(env, 'GAPWATCH_EMBEDDED_HEAP_MIB', 64, 65_536) } : {}),
    allowRawSql: bool(env, 'GAPWATCH_ALLOW_RAW_SQL'),
    access: loadAccessConfig(env, (name, fallback) => bool(env, name, fallback)),
    drainMs: millis(env, 'GAPWATCH_DRAIN_MS', 10_000, 120_000),
    ...(env.GAPWATCH_STATE_MACHINE_ARN ? { stateMachineArn: env.GAPWATCH_STATE_MACHINE_ARN } : {}),
    ...(env.REDIS_URL ? { redisUrl: redisUrl(env.REDIS_URL) } : {}),
    historyCallsPerSecond: rate(env, 'GAPWATCH_HISTORY_CALLS_PER_SECOND', 20, 1_000),
  };
}

/** Everything the service is configured with: the environment plus the config file's sections, validated. */
export interface Settings extends PipelineSettings {
  env: EnvConfig;
  embeddedTables: EmbeddedTable[];
  limits: Limits;
}

export function loadSettings(env: EnvConfig): Settings {
  const file = readConfigFile(env.configFile);
  const { embedded, limits } = file.sections;
  const pipeline = parsePipelineSettings(file);
  if (embedded !== undefined && embedded !== null && (typeof embedded !== 'object' || Array.isArray(embedded))) {
    throw new ConfigError(`embedded: expected a mapping with a tables list`);
  }
  return {
    env,
    ...pipeline,
    embeddedTables: parseEmbeddedTables((embedded as { tables?: unknown } | undefined)?.tables, file.baseDir),
    limits: parseLimits(limits),
  };
}
