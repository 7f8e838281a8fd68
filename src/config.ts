import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseEmbeddedTables, type EmbeddedTable } from './embedded/tables';
import { ConfigError } from './errors';
import { loadAccessConfig, type AccessConfig } from './http/access';
import { parseLimits, type Limits } from './http/limits';
import { parseAthenaSettings, parseNamedQueries, type AthenaSettings, type NamedQuery } from './services/athena/settings';
import { parseDatasets, type Dataset } from './services/gaps/dataset';

/**
 * Configuration comes from the environment (this file's contract, documented in the README) and from the
 * YAML config file named by GAPWATCH_CONFIG. Both are validated once at start; a bad value is a ConfigError
 * naming the variable or key and the expected form, which main.ts turns into exit code 2.
 *
 * In `aws` mode gapwatch adds no AWS settings of its own: the SDK reads region, credentials and
 * AWS_ENDPOINT_URL_ATHENA / AWS_ENDPOINT_URL_SFN itself.
 */
export type Backend = 'embedded' | 'aws';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface EnvConfig {
  port: number;
  host: string;
  backend: Backend;
  dataDir: string;
  configFile: string;
  logLevel: LogLevel;
  /** Port of the embedded AWS endpoint (embedded backend only); 0 picks a free one. */
  embeddedPort: number;
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

export type Env = Readonly<Record<string, string | undefined>>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new ConfigError(`${name}: expected a port number from 0 to 65535, got '${raw}'`);
  }
  return Number(raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}: expected one of ${allowed.join(' | ')}, got '${raw}'`);
  }
  return raw as T;
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
    dataDir: path.resolve(env.GAPWATCH_DATA_DIR || './.gapwatch'),
    configFile: path.resolve(env.GAPWATCH_CONFIG || './gapwatch.config.yaml'),
    logLevel: oneOf(env, 'GAPWATCH_LOG_LEVEL', LOG_LEVELS, 'info'),
    embeddedPort: port(env, 'GAPWATCH_EMBEDDED_PORT', 4566),
    allowRawSql: bool(env, 'GAPWATCH_ALLOW_RAW_SQL'),
    access: loadAccessConfig(env, (name, fallback) => bool(env, name, fallback)),
    drainMs: millis(env, 'GAPWATCH_DRAIN_MS', 10_000, 120_000),
    ...(env.GAPWATCH_STATE_MACHINE_ARN ? { stateMachineArn: env.GAPWATCH_STATE_MACHINE_ARN } : {}),
    ...(env.REDIS_URL ? { redisUrl: redisUrl(env.REDIS_URL) } : {}),
    historyCallsPerSecond: rate(env, 'GAPWATCH_HISTORY_CALLS_PER_SECOND', 20, 1_000),
  };
}

/**
 * The config file, parsed but not yet interpreted: each section is validated by the module that owns it
 * (datasets by the gap engine, embedded tables by the embedded endpoint), so the rules live beside the code
 * that relies on them.
 */
export interface ConfigFile {
  /** Folder the file sits in: relative paths in it are relative to here. */
  baseDir: string;
  sections: Readonly<Record<string, unknown>>;
}

export function readConfigFile(file: string): ConfigFile {
  const baseDir = path.dirname(file);
  if (!existsSync(file)) return { baseDir, sections: {} };
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`GAPWATCH_CONFIG: ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return { baseDir, sections: {} };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`GAPWATCH_CONFIG: ${file} must hold a YAML mapping at the top level`);
  }
  return { baseDir, sections: parsed as Record<string, unknown> };
}

/** Everything gapwatch is configured with: the environment plus the config file's sections, validated. */
export interface Settings {
  env: EnvConfig;
  athena: AthenaSettings;
  namedQueries: NamedQuery[];
  datasets: Dataset[];
  embeddedTables: EmbeddedTable[];
  limits: Limits;
}

const SECTIONS = ['athena', 'namedQueries', 'datasets', 'embedded', 'limits'] as const;

export function loadSettings(env: EnvConfig): Settings {
  const file = readConfigFile(env.configFile);
  for (const key of Object.keys(file.sections)) {
    if (!(SECTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(`${env.configFile}: unknown section '${key}'; expected ${SECTIONS.join(', ')}`);
    }
  }
  const { athena, namedQueries, datasets, embedded, limits } = file.sections;
  const named = parseNamedQueries(namedQueries);
  if (embedded !== undefined && embedded !== null && (typeof embedded !== 'object' || Array.isArray(embedded))) {
    throw new ConfigError(`embedded: expected a mapping with a tables list`);
  }
  return {
    env,
    athena: parseAthenaSettings(athena),
    namedQueries: named,
    datasets: parseDatasets(datasets, new Set(named.map((q) => q.name))),
    embeddedTables: parseEmbeddedTables((embedded as { tables?: unknown } | undefined)?.tables, file.baseDir),
    limits: parseLimits(limits),
  };
}
