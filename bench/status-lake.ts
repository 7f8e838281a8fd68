/**
 * A lake the size the status page is held to: 500 groups × 744 hourly buckets (31 days, the longest window
 * an hourly dataset allows), as one Parquet file served by the embedded backend as a table. Two rows make a
 * healthy bucket; scattered buckets are missing or hold one row (under-filled), and a block of groups has a
 * day-long outage, so the heatmap has something to show everywhere. Written by DuckDB (in memory, apart from
 * the embedded engine) in about a second; used by the status page's browser test and its benchmark.
 */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export const LAKE_GROUPS = 500;
export const LAKE_HOURS = 744;
export const LAKE_FROM = '2024-01-01T00:00:00.000Z';
export const LAKE_TO = '2024-02-01T00:00:00.000Z';

export const lakeGroups = (): string[] => Array.from({ length: LAKE_GROUPS }, (_, g) => `G${String(g).padStart(3, '0')}`);

/** Writes the lake into `dir`; returns the config file text serving it as dataset `many_groups`. */
export async function writeStatusLake(dir: string): Promise<string> {
  const file = path.join(dir, 'many-groups.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`COPY (
      SELECT 'G' || lpad(g::VARCHAR, 3, '0') AS grp,
             TIMESTAMP '2024-01-01 00:00:00' + to_hours(h::BIGINT) + to_minutes((k * 20)::BIGINT) AS ts
      FROM range(${LAKE_GROUPS}) a(g), range(${LAKE_HOURS}) b(h), range(2) c(k)
      WHERE hash(g, h) % 211 <> 0                              -- scattered missing hours
        AND NOT (g % 50 = 7 AND h BETWEEN 300 AND 323)         -- a day-long outage in ten groups
        AND NOT (k = 1 AND hash(h, g) % 157 = 0)               -- scattered under-filled hours
      ORDER BY ts
    ) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return `athena:
  database: lake
embedded:
  tables:
    - { database: lake, name: many_groups, location: ${JSON.stringify(file)}, format: parquet }
datasets:
  - name: many_groups
    database: lake
    table: many_groups
    timestampColumn: ts
    groupColumn: grp
    groups: [${lakeGroups().join(', ')}]
    bucket: 1h
    expectedPerBucket: 2
    minRatio: 0.8
    settle: 0s
`;
}
