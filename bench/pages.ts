/**
 * Generates Athena GetQueryResults pages as JSON *text* (what arrives on the wire), for benchmarks.
 * Deterministic: a seeded PRNG, no clock, so every run decodes the same bytes.
 *
 * Pages follow Athena's rules: the header row is the first row of page 1 only, ResultSetMetadata is on
 * every page, and each page but the last has a NextToken naming the next.
 */
import type { ColumnInfo } from '@aws-sdk/client-athena';
import { mulberry32 } from '../src/services/random';

/** One generated column: its ColumnInfo and a cell generator (null = NULL, i.e. a Datum with no VarCharValue). */
export interface ColumnSpec {
  name: string;
  type: string;
  precision?: number;
  scale?: number;
  cell(random: () => number, row: number): string | null;
}

export interface GeneratedPages {
  columns: ColumnInfo[];
  /** JSON text of each page, in order. */
  pages: string[];
  rowsPerPage: number;
  /** Data rows over all pages (the header not counted). */
  rowCount: number;
}

export interface PageOptions {
  pages: number;
  /** Data rows per page (page 1 additionally carries the header row). Default 1000. */
  rowsPerPage?: number;
  seed?: number;
  columns?: readonly ColumnSpec[];
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Wraps a generator so about `rate` of its cells are NULL. */
export function withNulls(rate: number, cell: ColumnSpec['cell']): ColumnSpec['cell'] {
  return (random, row) => (random() < rate ? null : cell(random, row));
}

const SYMBOLS = ['AMZN', 'GOOG', 'WORK', 'MSFT', 'AAPL', 'NFLX', 'BRK.B', 'O\'REILLY "X"', ''];
const BASE_MS = Date.UTC(2020, 5, 18, 0, 0, 0);

/** Timestamp, varchar (incl. ''), bigint (incl. unsafe), double, decimal(38,10), boolean, date; ~5% NULLs each. */
export const MIXED_COLUMNS: readonly ColumnSpec[] = [
  {
    name: 'capture_datetime',
    type: 'timestamp',
    precision: 3,
    cell: withNulls(0.05, (r, row) => {
      const d = new Date(BASE_MS + row * 60_000 + Math.floor(r() * 1000));
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
    }),
  },
  { name: 'symbol', type: 'varchar', cell: withNulls(0.05, (r) => SYMBOLS[Math.floor(r() * SYMBOLS.length)]!) },
  {
    name: 'volume',
    type: 'bigint',
    precision: 19,
    cell: withNulls(0.05, (r) =>
      r() < 0.02 ? `92233720368547758${pad(Math.floor(r() * 8))}` : String(Math.floor(r() * 10_000_000)),
    ),
  },
  { name: 'price', type: 'double', precision: 17, cell: withNulls(0.05, (r) => String(Math.round(r() * 1e6) / 100)) },
  {
    name: 'notional',
    type: 'decimal',
    precision: 38,
    scale: 10,
    cell: withNulls(0.05, (r) => `${Math.floor(r() * 1e9)}.${String(Math.floor(r() * 1e10)).padStart(10, '0')}`),
  },
  { name: 'is_open', type: 'boolean', cell: withNulls(0.05, (r) => (r() < 0.5 ? 'true' : 'false')) },
  {
    name: 'trade_date',
    type: 'date',
    cell: withNulls(0.05, (r, row) => {
      const d = new Date(BASE_MS + Math.floor(row / 1440) * 86_400_000);
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    }),
  },
];

export function columnInfo(spec: ColumnSpec): ColumnInfo {
  return {
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: spec.name,
    Label: spec.name,
    Type: spec.type,
    Precision: spec.precision ?? 0,
    Scale: spec.scale ?? 0,
    Nullable: 'UNKNOWN',
    CaseSensitive: spec.type === 'varchar',
  };
}

export function athenaPages(options: PageOptions): GeneratedPages {
  const specs = options.columns ?? MIXED_COLUMNS;
  const rowsPerPage = options.rowsPerPage ?? 1000;
  const random = mulberry32(options.seed ?? 1);
  const columns = specs.map(columnInfo);
  const datum = (v: string | null): string => (v === null ? '{}' : `{"VarCharValue":${JSON.stringify(v)}}`);
  const metadata = JSON.stringify({ ColumnInfo: columns });
  const pages: string[] = [];
  let row = 0;
  for (let p = 0; p < options.pages; p++) {
    const rows: string[] = [];
    if (p === 0) rows.push(`{"Data":[${specs.map((s) => datum(s.name)).join(',')}]}`);
    for (let i = 0; i < rowsPerPage; i++, row++) {
      rows.push(`{"Data":[${specs.map((s) => datum(s.cell(random, row))).join(',')}]}`);
    }
    const next = p + 1 < options.pages ? `,"NextToken":"page-${p + 1}"` : '';
    pages.push(`{"UpdateCount":0,"ResultSet":{"Rows":[${rows.join(',')}],"ResultSetMetadata":${metadata}}${next}}`);
  }
  return { columns, pages, rowsPerPage, rowCount: row };
}
