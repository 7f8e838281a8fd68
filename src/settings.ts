/**
 * The configuration every composition of gapwatch reads: the service and the CLI (config.ts adds theirs)
 * and the Lambda functions (lambda.ts, which reads nothing else, so its bundle holds no HTTP or GraphQL
 * code): the three environment variables they share, and the config file's pipeline sections — Athena,
 * named queries, datasets. Validated once at start; a bad value is a ConfigError naming the variable or
 * key and the expected form.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors';
import { parseAthenaSettings, parseNamedQueries, type AthenaSettings, type NamedQuery } from './services/athena/settings';
import { parseDatasets, type Dataset } from './services/gaps/dataset';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type Env = Readonly<Record<string, string | undefined>>;

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name}: expected one of ${allowed.join(' | ')}, got '${raw}'`);
  }
  return raw as T;
}

/** The environment every composition reads. */
export interface BaseEnv {
  dataDir: string;
  configFile: string;
  logLevel: LogLevel;
}

export function loadBaseEnv(env: Env): BaseEnv {
  return {
    dataDir: path.resolve(env.GAPWATCH_DATA_DIR || './.gapwatch'),
    configFile: path.resolve(env.GAPWATCH_CONFIG || './gapwatch.config.yaml'),
    logLevel: oneOf(env, 'GAPWATCH_LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}

/** The config file's sections; each composition interprets those it uses and passes over the others. */
export const CONFIG_SECTIONS = ['athena', 'namedQueries', 'datasets', 'embedded', 'limits'] as const;

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
  for (const key of Object.keys(parsed)) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(`${file}: unknown section '${key}'; expected ${CONFIG_SECTIONS.join(', ')}`);
    }
  }
  return { baseDir, sections: parsed as Record<string, unknown> };
}

/** What the gap checks and the pipeline's Tasks are configured with. */
export interface PipelineSettings {
  athena: AthenaSettings;
  namedQueries: NamedQuery[];
  datasets: Dataset[];
}

export function parsePipelineSettings(file: ConfigFile): PipelineSettings {
  const { athena, namedQueries, datasets } = file.sections;
  const named = parseNamedQueries(namedQueries);
  return {
    athena: parseAthenaSettings(athena),
    namedQueries: named,
    datasets: parseDatasets(datasets, new Set(named.map((q) => q.name))),
  };
}
