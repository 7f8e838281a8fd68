import { ConfigError } from '../../errors';
import { parseDuration } from '../time/duration';
import { parseType } from './types';

/** The config file's `athena:` section: where queries run, and how long gapwatch waits for them. */
export interface AthenaSettings {
  /** Default database (QueryExecutionContext.Database). */
  database: string;
  /** Athena workgroup; the workgroup's own result location applies unless outputLocation is set. */
  workgroup: string;
  /** s3://bucket/prefix/ for results; omitted = the workgroup's setting. */
  outputLocation?: string;
  /** Longest gapwatch waits for one query before answering QUERY_TIMEOUT (the query keeps running). */
  waitTimeoutMs: number;
  /** Bytes of decoded result pages kept in memory across requests (results of SUCCEEDED queries never change). */
  resultCacheBytes: number;
  /**
   * Read a result past its first page from the file Athena wrote to S3 (result-file.ts) rather than with
   * GetQueryResults. False: GetQueryResults only (a service that may not read the results bucket).
   */
  resultsFromS3: boolean;
}

export const ATHENA_DEFAULTS: AthenaSettings = {
  database: 'default',
  workgroup: 'primary',
  waitTimeoutMs: 5 * 60_000,
  resultCacheBytes: 64 * 1024 * 1024,
  resultsFromS3: true,
};

export interface NamedQuery {
  name: string;
  sql: string;
  description?: string;
  /** Element-type hints for nested columns, e.g. `{ tags: 'array(varchar)' }` (see docs/typed-rows.md). */
  types?: Record<string, string>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(section: Record<string, unknown>, where: string, key: string): string | undefined {
  const v = section[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${where}.${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

export function parseAthenaSettings(raw: unknown): AthenaSettings {
  if (raw === undefined || raw === null) return { ...ATHENA_DEFAULTS };
  if (!isRecord(raw)) throw new ConfigError(`athena: expected a mapping, got ${JSON.stringify(raw)}`);
  const known = new Set(['database', 'workgroup', 'outputLocation', 'waitTimeout', 'resultCacheMiB', 'resultsFromS3']);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new ConfigError(`athena.${key}: unknown key; expected one of ${[...known].join(', ')}`);
  }
  const outputLocation = optionalString(raw, 'athena', 'outputLocation');
  if (outputLocation !== undefined && !/^s3:\/\/[^/]+/.test(outputLocation)) {
    throw new ConfigError(`athena.outputLocation: expected s3://bucket/prefix/, got '${outputLocation}'`);
  }
  let waitTimeoutMs = ATHENA_DEFAULTS.waitTimeoutMs;
  const wait = optionalString(raw, 'athena', 'waitTimeout');
  if (wait !== undefined) {
    const ms = parseDuration(wait);
    if (ms === undefined || ms <= 0) throw new ConfigError(`athena.waitTimeout: expected a duration such as 90s, 5m or 1h, got '${wait}'`);
    waitTimeoutMs = ms;
  }
  let resultCacheBytes = ATHENA_DEFAULTS.resultCacheBytes;
  if (raw.resultCacheMiB !== undefined) {
    const mib = raw.resultCacheMiB;
    if (typeof mib !== 'number' || !Number.isInteger(mib) || mib < 0) {
      throw new ConfigError(`athena.resultCacheMiB: expected a whole number of MiB (0 turns the cache off), got ${JSON.stringify(mib)}`);
    }
    resultCacheBytes = mib * 1024 * 1024;
  }
  const resultsFromS3 = raw.resultsFromS3 ?? ATHENA_DEFAULTS.resultsFromS3;
  if (typeof resultsFromS3 !== 'boolean') throw new ConfigError(`athena.resultsFromS3: expected true or false, got ${JSON.stringify(resultsFromS3)}`);
  return {
    database: optionalString(raw, 'athena', 'database') ?? ATHENA_DEFAULTS.database,
    workgroup: optionalString(raw, 'athena', 'workgroup') ?? ATHENA_DEFAULTS.workgroup,
    ...(outputLocation ? { outputLocation } : {}),
    waitTimeoutMs,
    resultCacheBytes,
    resultsFromS3,
  };
}

export function parseNamedQueries(raw: unknown): NamedQuery[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError(`namedQueries: expected a list, got ${JSON.stringify(raw)}`);
  const seen = new Set<string>();
  const typedBySql = new Map<string, { name: string; types?: Record<string, string> }>();
  return raw.map((entry, i) => {
    const where = `namedQueries[${i}]`;
    if (!isRecord(entry)) throw new ConfigError(`${where}: expected a mapping with name and sql`);
    const name = optionalString(entry, where, 'name');
    if (!name || !/^[A-Za-z][\w-]*$/.test(name)) {
      throw new ConfigError(`${where}.name: expected a name of letters, digits, _ and -, got ${JSON.stringify(entry.name)}`);
    }
    const named = `namedQueries[${i}] (${name})`;
    if (seen.has(name)) throw new ConfigError(`${named}.name: '${name}' is used twice`);
    seen.add(name);
    const sql = optionalString(entry, named, 'sql');
    if (!sql) throw new ConfigError(`${named}.sql: expected the query's SQL`);
    const description = optionalString(entry, named, 'description');
    let types: Record<string, string> | undefined;
    if (entry.types !== undefined) {
      if (!isRecord(entry.types) || Object.values(entry.types).some((t) => typeof t !== 'string')) {
        throw new ConfigError(`${named}.types: expected a mapping of column name to Athena type, e.g. { tags: 'array(varchar)' }`);
      }
      types = entry.types as Record<string, string>;
      for (const [column, text] of Object.entries(types)) {
        // Whether each names a column is known only once the query has run; whether it is a type, now.
        try {
          parseType(text);
        } catch (e) {
          throw new ConfigError(`${named}.types.${column}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    // An execution's named query is found by its SQL (queries.service.ts), so two with the same SQL must
    // decode alike.
    const twin = typedBySql.get(sql);
    if (twin !== undefined && JSON.stringify(twin.types ?? {}) !== JSON.stringify(types ?? {})) {
      throw new ConfigError(`${named}.types: '${twin.name}' has the same sql with other types; give them the same types or one query`);
    }
    if (twin === undefined) typedBySql.set(sql, { name, ...(types ? { types } : {}) });
    return { name, sql, ...(description ? { description } : {}), ...(types ? { types } : {}) };
  });
}
