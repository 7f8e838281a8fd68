/**
 * Everything that knows it is DuckDB underneath: opening the catalog file, connections that evaluate like
 * Athena, DuckDB error classes → Trino error names, and the estimates DuckDB does not report. The query
 * lifecycle (engine.ts) sees only these functions.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, sep } from 'node:path';
import {
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBTypeId,
  StatementType,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  type DuckDBType,
} from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { EmbeddedTable } from '../tables';
import { createTableViews, ensureSampleTable, resetSampleTable } from './catalog';
import { columnInfo, intervalKindOf, renderCell, type AthenaColumnInfo, type Cell, type IntervalKind } from './render';
import { macroStatements, type TypeHint } from './sql';
import type { ResultWriter } from './store';

/** DuckDB's catalog is named after the file, so `awsdatacatalog.market.ticks` resolves as in Athena. */
export const CATALOG_FILE = 'awsdatacatalog.duckdb';

/**
 * Opens (or creates) the catalog file with the sample table and the configured table views, then locks the
 * instance down before any query can run:
 * - file access only to read the configured table locations (DuckDB's allowed paths/directories; its own
 *   database file is not "external"), so `read_csv('/etc/passwd')`, `glob('/*')` or `ATTACH` fail;
 * - no extension is installed or autoloaded (INSTALL reached for the network);
 * - the configuration is locked, so a query's `SET memory_limit = '1MB'` cannot break every later query.
 * Statements that write files or change the instance are also refused by type (see `prepareStatement`),
 * because an allowed directory would otherwise be writable by `COPY … TO`.
 */
export async function openDuckDB(dataDir: string, tables: readonly EmbeddedTable[], logger?: Logger): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(join(dataDir, CATALOG_FILE), {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    // Trino's integer `/` truncates; DuckDB's default divides as float. Set here because SET is refused later.
    integer_division: 'true',
    // DuckDB's allocator (jemalloc) keeps what a query freed for reuse unless the query's peak passed the
    // flush threshold (default 128 MiB), and memory freed off DuckDB's own threads (a result read from
    // Node) waited for later allocations there. A 1M-row sort's ~80 MB stayed resident after the query,
    // beneath everything the service did next (see also `chunk.reset()` in writeResultRows). With a flush
    // above 8 MiB and jemalloc's background purging, the service is back near idle within the next second.
    allocator_flush_threshold: '8MB',
    allocator_background_threads: 'true',
    // The engine shares its process with the service: on all cores (DuckDB's default) a large query took
    // both of a 2-core machine's from the service thread, and what waited was GraphQL (run events fanned out
    // while Validate's check ran: p99 at 1,000 subscribers 85-120 ms, against 69-95 ms on one thread).
    threads: String(Math.max(1, availableParallelism() - 1)),
  });
  try {
    const conn = await instance.connect();
    try {
      const created = await ensureSampleTable(conn);
      if (created) logger?.info('created the sample table market.ticks');
      await createTableViews(conn, tables);
      for (const sql of macroStatements()) await conn.run(sql);
      await lockDown(conn, tables);
    } finally {
      conn.closeSync();
    }
  } catch (err) {
    instance.closeSync();
    throw err;
  }
  return instance;
}

/** Rebuilds the sample table in the data dir's catalog file (created if there is none yet). */
export async function resetSample(dataDir: string): Promise<void> {
  const instance = await DuckDBInstance.create(join(dataDir, CATALOG_FILE), { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  try {
    const conn = await instance.connect();
    try {
      await resetSampleTable(conn);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const sqlList = (items: readonly string[]): string => `[${items.map(sqlString).join(', ')}]`;

async function lockDown(conn: DuckDBConnection, tables: readonly EmbeddedTable[]): Promise<void> {
  try {
    // Timestamps with time zone print in UTC, as Athena's do. Needs ICU; without it DuckDB is in UTC already.
    await conn.run("SET GLOBAL TimeZone = 'UTC'");
  } catch {
    // no ICU
  }
  const dirs = tables.filter((t) => statSync(t.location).isDirectory()).map((t) => (t.location.endsWith(sep) ? t.location : t.location + sep));
  const files = tables.filter((t) => !statSync(t.location).isDirectory()).map((t) => t.location);
  await conn.run(`SET GLOBAL allowed_directories = ${sqlList(dirs)}`);
  await conn.run(`SET GLOBAL allowed_paths = ${sqlList(files)}`);
  await conn.run('SET GLOBAL enable_external_access = false');
  await conn.run('SET GLOBAL lock_configuration = true');
}

/**
 * Statement kinds a query may not run, with the name its refusal gives. They write files (COPY, EXPORT),
 * reach other databases (ATTACH), load code (INSTALL, LOAD) or change the instance or session (SET,
 * PRAGMA, CALL, transactions, PREPARE): none is Athena SQL, and each could escape the lock-down above.
 */
const REFUSED: ReadonlyMap<StatementType, string> = new Map([
  [StatementType.COPY, 'COPY'],
  [StatementType.COPY_DATABASE, 'COPY'],
  [StatementType.EXPORT, 'EXPORT'],
  [StatementType.ATTACH, 'ATTACH'],
  [StatementType.DETACH, 'DETACH'],
  [StatementType.LOAD, 'INSTALL and LOAD'],
  [StatementType.EXTENSION, 'INSTALL and LOAD'],
  [StatementType.UPDATE_EXTENSIONS, 'INSTALL and LOAD'],
  [StatementType.SET, 'SET, RESET and USE'],
  [StatementType.VARIABLE_SET, 'SET, RESET and USE'],
  [StatementType.PRAGMA, 'PRAGMA'],
  [StatementType.CALL, 'CALL'],
  [StatementType.TRANSACTION, 'Transaction'],
  [StatementType.PREPARE, 'PREPARE'],
  [StatementType.EXECUTE, 'EXECUTE'],
  [StatementType.MULTI, 'Multi-statement'],
]);

/**
 * The query's one statement, prepared with its parameter values bound, or the reason it is refused
 * (`NOT_SUPPORTED`, as Athena words statements it does not run).
 */
export async function prepareStatement(conn: DuckDBConnection, sql: string): Promise<{ prepared: DuckDBPreparedStatement } | { refused: string }> {
  const prepared = await conn.prepare(sql);
  const refused = REFUSED.get(prepared.statementType);
  if (refused !== undefined) {
    prepared.destroySync();
    return { refused: `${refused} statements are not supported by the embedded Athena endpoint` };
  }
  return { prepared };
}

/** Rows in a table (a CREATE TABLE … AS just wrote; the name is the translator's quoted one). */
export async function countRows(conn: DuckDBConnection, quotedName: string): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*) FROM ${quotedName}`);
  return Number(r.getRows()[0][0]);
}

/** Trino error names for the DuckDB error classes a user can cause, so StateChangeReason reads like Athena's. */
export function classifyDuckError(message: string): { code: string; category: number; type: number } {
  const user = (code: string, type = 1000) => ({ code, category: 2, type });
  // Raised by the Trino macros (sql/macros.ts) with Trino's error name in front.
  const named = /^Invalid Input Error: ([A-Z_]+): /.exec(message);
  if (named) return user(named[1], named[1] === 'NOT_SUPPORTED' ? 1000 : 1001);
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
  // A file outside the configured table locations (see openDuckDB).
  if (/^Permission Error/.test(message)) return user('PERMISSION_DENIED');
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
  hints: readonly (TypeHint | undefined)[],
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
    // Let go of the chunk's vectors now (the rows above are plain JS values). A chunk's native memory is
    // freed only when V8 finalizes its wrapper, and V8 does not know what it holds: chunks promoted to the
    // old generation kept ~80 MB of DuckDB memory (the sorted data they point into) from being released after
    // a 1M-row query until the endpoint's next full GC.
    chunk.reset();
    decideIntervalKinds(types, rows, kinds);
    const cells: Cell[][] = rows.map((row) => row.map((v, c) => renderCell(v, types[c], kinds[c], hints[c])));
    await writer.append(cells);
  }
  return names.map((n, c) => columnInfo(n, types[c], kinds[c], hints[c]));
}
