/**
 * Everything that knows it is DuckDB underneath: opening the catalog file, connections that evaluate like
 * Athena, DuckDB error classes → Trino error names, and the estimates DuckDB does not report. The query
 * lifecycle (engine.ts) sees only these functions.
 */
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTypeId, DuckDBIntervalValue, type DuckDBConnection, type DuckDBResult, type DuckDBType } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { EmbeddedTable } from '../tables';
import { createTableViews, ensureSampleTable } from './catalog';
import { columnInfo, intervalKindOf, renderCell, type AthenaColumnInfo, type Cell, type IntervalKind } from './render';
import type { ResultWriter } from './store';

/** DuckDB's catalog is named after the file, so `awsdatacatalog.market.ticks` resolves as in Athena. */
export const CATALOG_FILE = 'awsdatacatalog.duckdb';

/** Opens (or creates) the catalog file with the sample table and the configured table views. */
export async function openDuckDB(dataDir: string, tables: readonly EmbeddedTable[], logger?: Logger): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(join(dataDir, CATALOG_FILE));
  try {
    const conn = await connectAthenaLike(instance);
    try {
      const created = await ensureSampleTable(conn);
      if (created) logger?.info('created the sample table market.ticks');
      await createTableViews(conn, tables);
    } finally {
      conn.closeSync();
    }
  } catch (err) {
    instance.closeSync();
    throw err;
  }
  return instance;
}

/** Trino error names for the DuckDB error classes a user can cause, so StateChangeReason reads like Athena's. */
export function classifyDuckError(message: string): { code: string; category: number; type: number } {
  const user = (code: string, type = 1000) => ({ code, category: 2, type });
  if (/^Parser Error/.test(message)) return user('SYNTAX_ERROR');
  if (/Table with name .* does not exist/.test(message)) return user('TABLE_NOT_FOUND');
  if (/Schema with name .* does not exist/.test(message)) return user('SCHEMA_NOT_FOUND');
  if (/Referenced column .* not found/.test(message)) return user('COLUMN_NOT_FOUND');
  if (/Function with name .* does not exist/.test(message)) return user('FUNCTION_NOT_FOUND');
  if (/^Conversion Error/.test(message)) return user('INVALID_CAST_ARGUMENT', 1001);
  if (/Division by zero|division by zero/.test(message)) return user('DIVISION_BY_ZERO', 1001);
  if (/^Out of Range Error/.test(message)) return user('NUMERIC_VALUE_OUT_OF_RANGE', 1001);
  if (/^(Binder|Catalog|Constraint|Invalid Input|Not implemented|Dependency) Error/.test(message)) return user('GENERIC_USER_ERROR');
  if (/^IO Error/.test(message)) return user('HIVE_CANNOT_OPEN_SPLIT', 1001);
  return { code: 'GENERIC_INTERNAL_ERROR', category: 1, type: 200 };
}

/**
 * Athena bills bytes scanned; DuckDB does not report them. We estimate from the base tables the
 * query names (estimated rows × columns × 8 bytes) so Statistics are plausible and grow with the data.
 */
export async function estimateScan(conn: DuckDBConnection, sql: string): Promise<number> {
  let names: readonly string[];
  try {
    names = conn.getTableNames(sql, false);
  } catch {
    return 0;
  }
  if (names.length === 0) return 0;
  const list = names.map((n) => `'${n.split('.').pop()!.replace(/"/g, '').replace(/'/g, "''")}'`).join(', ');
  const r = await conn.runAndReadAll(
    `SELECT coalesce(sum(estimated_size * column_count * 8), 0) FROM duckdb_tables() WHERE table_name IN (${list})`,
  );
  return Number(r.getRows()[0][0]);
}


/**
 * A connection that evaluates like Athena where a setting can make it so: integer `/` truncates (DuckDB
 * divides as float by default) and timestamps with time zone are shown in UTC. TimeZone needs the ICU
 * extension; without it DuckDB already works in UTC, so a failure there is not an error.
 */
export async function connectAthenaLike(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const conn = await instance.connect();
  await conn.run('SET integer_division = true');
  try {
    await conn.run("SET TimeZone = 'UTC'");
  } catch {
    // no ICU: TIMESTAMPTZ arithmetic is UTC already
  }
  return conn;
}

/** DuckDB's own parse tree of the statement (json_serialize_sql takes a constant), or null if unavailable. */
export async function serializeSql(conn: DuckDBConnection, sql: string): Promise<string | null> {
  try {
    const r = await conn.runAndReadAll(`SELECT json_serialize_sql('${sql.replace(/'/g, "''")}')`);
    const v = r.getRows()[0][0];
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** Fixes each INTERVAL column's Athena kind from its first non-null value (see render.ts). */
function decideIntervalKinds(types: readonly DuckDBType[], rows: readonly unknown[][], kinds: (IntervalKind | undefined)[]): void {
  types.forEach((t, c) => {
    if (t.typeId !== DuckDBTypeId.INTERVAL || kinds[c] !== undefined) return;
    const first = rows.find((r) => r[c] instanceof DuckDBIntervalValue)?.[c];
    if (first instanceof DuckDBIntervalValue) kinds[c] = intervalKindOf(first);
  });
}

/**
 * Streams a query result chunk by chunk into `writer`, rendering each cell as Athena prints it, and
 * returns the ColumnInfo (known only at the end: an INTERVAL column's kind comes from its first value).
 * `checkpoint` runs before every chunk so a stop costs at most one chunk.
 */
export async function writeResultRows(
  result: DuckDBResult,
  names: readonly string[],
  writer: ResultWriter,
  checkpoint: () => void,
): Promise<AthenaColumnInfo[]> {
  const types = result.columnTypes();
  const kinds: (IntervalKind | undefined)[] = types.map(() => undefined);
  for (;;) {
    checkpoint();
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const rows = chunk.getRows();
    decideIntervalKinds(types, rows, kinds);
    const cells: Cell[][] = rows.map((row) => row.map((v, c) => renderCell(v, types[c], kinds[c])));
    await writer.append(cells);
  }
  return names.map((n, c) => columnInfo(n, types[c], kinds[c]));
}
