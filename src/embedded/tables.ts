/**
 * Local tables over files (`embedded.tables` in gapwatch.config.yaml), exposed to SQL as DuckDB views
 * `database.name`, so data a user already has on disk can be queried like an Athena table.
 */
import { readdirSync, statSync, accessSync, constants } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors';

export type EmbeddedTableFormat = 'csv' | 'parquet' | 'json';

export interface EmbeddedTable {
  database: string;
  name: string;
  /** Absolute path to one file, or to a folder meaning every `*.<format>` file under it. */
  location: string;
  format: EmbeddedTableFormat;
}

const FORMATS: readonly EmbeddedTableFormat[] = ['csv', 'parquet', 'json'];
const KEYS = ['database', 'name', 'location', 'format'] as const;
/** Athena database and table names: letters, digits and underscore (we also refuse a leading digit). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

/**
 * Validates the `embedded.tables` section. `raw` may be undefined/null (no tables). Locations are
 * resolved against `baseDir` (the config file's folder). Does not touch the file system: see
 * {@link checkTableLocations}.
 */
export function parseEmbeddedTables(raw: unknown, baseDir: string): EmbeddedTable[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError(`embedded.tables: expected a list of tables, got ${show(raw)}`);
  const seen = new Map<string, number>();
  return raw.map((entry, i) => {
    const at = `embedded.tables[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(`${at}: expected a mapping with ${KEYS.join(', ')}, got ${show(entry)}`);
    }
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!(KEYS as readonly string[]).includes(k)) throw new ConfigError(`${at}.${k}: unknown key (expected one of ${KEYS.join(', ')})`);
    }
    for (const k of ['database', 'name'] as const) {
      if (typeof e[k] !== 'string' || !NAME.test(e[k] as string)) {
        throw new ConfigError(`${at}.${k}: expected a name of letters, digits and _ (not starting with a digit), got ${show(e[k])}`);
      }
    }
    if (typeof e.location !== 'string' || e.location.trim() === '') {
      throw new ConfigError(`${at}.location: expected a file or folder path, got ${show(e.location)}`);
    }
    if (typeof e.format !== 'string' || !(FORMATS as readonly string[]).includes(e.format)) {
      throw new ConfigError(`${at}.format: expected ${FORMATS.join(' | ')}, got ${show(e.format)}`);
    }
    const database = (e.database as string).toLowerCase();
    const name = (e.name as string).toLowerCase();
    const key = `${database}.${name}`;
    if (seen.has(key)) throw new ConfigError(`${at}.name: table ${key} is already defined by embedded.tables[${seen.get(key)}]`);
    seen.set(key, i);
    const location = isAbsolute(e.location) ? e.location : resolve(baseDir, e.location);
    return { database, name, location, format: e.format as EmbeddedTableFormat };
  });
}

/** Files under `dir` (recursively) that end in `.<format>`. */
function filesOf(dir: string, format: EmbeddedTableFormat): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.toLowerCase().endsWith(`.${format}`))
    .map((d) => join(d.parentPath, d.name));
}

/**
 * Start-up check: every location exists and is readable, and a folder holds at least one file of its
 * format. Throws ConfigError naming the table and path, so a typo never surfaces as a failed query later.
 */
export function checkTableLocations(tables: readonly EmbeddedTable[]): void {
  tables.forEach((t, i) => {
    const at = `embedded.tables[${i}].location`;
    let isDir: boolean;
    try {
      isDir = statSync(t.location).isDirectory();
      accessSync(t.location, constants.R_OK);
    } catch (err) {
      throw new ConfigError(`${at}: ${t.location} for table ${t.database}.${t.name} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (isDir && filesOf(t.location, t.format).length === 0) {
      throw new ConfigError(`${at}: folder ${t.location} for table ${t.database}.${t.name} holds no .${t.format} files`);
    }
  });
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** The DuckDB statements that (re)create a table's schema and view. */
export function tableViewSql(t: EmbeddedTable, isFolder: boolean): string[] {
  const path = isFolder ? join(t.location, '**', `*.${t.format}`) : t.location;
  const reader = { csv: 'read_csv_auto', parquet: 'read_parquet', json: 'read_json_auto' }[t.format];
  return [
    `CREATE SCHEMA IF NOT EXISTS ${ident(t.database)}`,
    `CREATE OR REPLACE VIEW ${ident(t.database)}.${ident(t.name)} AS SELECT * FROM ${reader}(${sqlString(path)})`,
  ];
}
