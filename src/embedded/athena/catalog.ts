/**
 * What exists in the embedded catalog at start-up: the `default` and `market` databases, the built-in
 * sample `market.ticks`, and views over the configured local files.
 */
import { statSync } from 'node:fs';
import { timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { tableViewSql, type EmbeddedTable } from '../tables';
import { generateSampleTicks } from './sample';

/**
 * Creates `market.ticks` once. It is built under a temporary name and renamed at the end, so a process
 * killed half-way never leaves a partial sample that would then be "already there".
 */
export async function ensureSampleTable(conn: DuckDBConnection): Promise<boolean> {
  await conn.run('CREATE SCHEMA IF NOT EXISTS "default"');
  await conn.run('CREATE SCHEMA IF NOT EXISTS market');
  const exists = await conn.runAndReadAll(
    "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'market' AND table_name = 'ticks'",
  );
  if (Number(exists.getRows()[0][0]) > 0) return false;
  await conn.run('DROP TABLE IF EXISTS market.ticks_loading');
  await conn.run(
    'CREATE TABLE market.ticks_loading (symbol VARCHAR, capture_datetime TIMESTAMP, price DOUBLE, volume BIGINT)',
  );
  const appender = await conn.createAppender('ticks_loading', 'market');
  for (const t of generateSampleTicks()) {
    appender.appendVarchar(t.symbol);
    appender.appendTimestamp(timestampValue(BigInt(t.captureMillis) * 1000n));
    appender.appendDouble(t.price);
    appender.appendBigInt(BigInt(t.volume));
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
  await conn.run('ALTER TABLE market.ticks_loading RENAME TO ticks');
  return true;
}

/**
 * Puts `market.ticks` back as first generated, planted defects and all: a repair run writes the missing
 * ticks into the table for good, and the sample walk-through (README) wants its defects back.
 */
export async function resetSampleTable(conn: DuckDBConnection): Promise<void> {
  await conn.run('DROP TABLE IF EXISTS market.ticks');
  await ensureSampleTable(conn);
}

/** (Re)creates a view per configured table; locations were checked by checkTableLocations. */
export async function createTableViews(conn: DuckDBConnection, tables: readonly EmbeddedTable[]): Promise<void> {
  for (const t of tables) {
    for (const sql of tableViewSql(t, statSync(t.location).isDirectory())) await conn.run(sql);
  }
}
