import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ConfigError } from '../../src/errors';
import { startEmbedded } from '../../src/embedded/server';
import { parseEmbeddedTables } from '../../src/embedded/tables';
import { athenaClient, resultRows, runQuery, tempDir } from './helpers';

describe('parseEmbeddedTables', () => {
  const parseError = (raw: unknown): string => {
    try {
      parseEmbeddedTables(raw, '/base');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it('resolves locations against the base folder and lower-cases names like Athena', () => {
    expect(
      parseEmbeddedTables(
        [
          { database: 'Lake', name: 'Trades', location: 'data/trades', format: 'csv' },
          { database: 'lake', name: 'quotes', location: '/abs/quotes.parquet', format: 'parquet' },
        ],
        '/base',
      ),
    ).toStrictEqual([
      { database: 'lake', name: 'trades', location: '/base/data/trades', format: 'csv' },
      { database: 'lake', name: 'quotes', location: '/abs/quotes.parquet', format: 'parquet' },
    ]);
    expect(parseEmbeddedTables(undefined, '/base')).toStrictEqual([]);
    expect(parseEmbeddedTables(null, '/base')).toStrictEqual([]);
  });

  it('names the entry index and key in every error', () => {
    const ok = { database: 'lake', name: 't', location: 'x', format: 'csv' };
    expect(parseError([ok, { ...ok, name: 'u', format: 'xml' }])).toBe("embedded.tables[1].format: expected csv | parquet | json, got 'xml'");
    expect(parseError([{ ...ok, database: 'has-dash' }])).toBe(
      "embedded.tables[0].database: expected a name of letters, digits and _ (not starting with a digit), got 'has-dash'",
    );
    expect(parseError([{ ...ok, name: 3 }])).toBe('embedded.tables[0].name: expected a name of letters, digits and _ (not starting with a digit), got 3');
    expect(parseError([{ ...ok, location: '' }])).toBe("embedded.tables[0].location: expected a file or folder path, got ''");
    expect(parseError([{ ...ok, extra: 1 }])).toBe('embedded.tables[0].extra: unknown key (expected one of database, name, location, format)');
    expect(parseError([ok, ok])).toBe('embedded.tables[1].name: table lake.t is already defined by embedded.tables[0]');
    expect(parseError(['x'])).toBe("embedded.tables[0]: expected a mapping with database, name, location, format, got 'x'");
    expect(parseError({ database: 'x' })).toBe('embedded.tables: expected a list of tables, got {"database":"x"}');
  });
});

describe('local tables over files', () => {
  it('queries a csv folder and a parquet file as database.name', async () => {
    const dir = tempDir();
    const files = join(dir.path, 'files');
    mkdirSync(join(files, 'trades'), { recursive: true });
    writeFileSync(join(files, 'trades', 'a.csv'), 'symbol,qty,ts\nAMZN,5,2024-03-04 10:00:00\nGOOG,7,2024-03-04 11:00:00\n');
    writeFileSync(join(files, 'trades', 'b.csv'), 'symbol,qty,ts\nWORK,1,2024-03-05 09:30:00\n');
    writeFileSync(join(files, 'trades', 'notes.txt'), 'not a table file');
    const parquet = join(files, 'quotes.parquet');
    const maker = await DuckDBInstance.create(':memory:');
    const conn = await maker.connect();
    await conn.run(`COPY (SELECT 'AMZN' AS symbol, 175.5::DOUBLE AS bid UNION ALL SELECT 'GOOG', 138.25) TO '${parquet}' (FORMAT parquet)`);
    conn.closeSync();
    maker.closeSync();

    const tables = parseEmbeddedTables(
      [
        { database: 'lake', name: 'trades', location: 'trades', format: 'csv' },
        { database: 'lake', name: 'quotes', location: 'quotes.parquet', format: 'parquet' },
      ],
      files,
    );
    const ep = await startEmbedded({ port: 0, dataDir: join(dir.path, 'data'), tables });
    const client = athenaClient(ep.url);
    try {
      const trades = await runQuery(client, 'SELECT symbol, qty, ts FROM trades ORDER BY ts', { QueryExecutionContext: { Database: 'lake' } });
      expect(await resultRows(client, trades.id)).toStrictEqual([
        ['symbol', 'qty', 'ts'],
        ['AMZN', '5', '2024-03-04 10:00:00.000'],
        ['GOOG', '7', '2024-03-04 11:00:00.000'],
        ['WORK', '1', '2024-03-05 09:30:00.000'],
      ]);
      const quotes = await runQuery(client, 'SELECT q.symbol, q.bid FROM lake.quotes q ORDER BY 1');
      expect(await resultRows(client, quotes.id)).toStrictEqual([
        ['symbol', 'bid'],
        ['AMZN', '175.5'],
        ['GOOG', '138.25'],
      ]);
    } finally {
      client.destroy();
      await ep.close();
      dir.remove();
    }
  });

  it('refuses to start when a table location is missing or an empty folder, naming it', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'empty'));
      const missing = parseEmbeddedTables([{ database: 'lake', name: 'gone', location: 'nope.csv', format: 'csv' }], dir.path);
      await expect(startEmbedded({ port: 0, dataDir: join(dir.path, 'data'), tables: missing })).rejects.toThrow(
        new ConfigError(`embedded.tables[0].location: ${join(dir.path, 'nope.csv')} for table lake.gone cannot be read (ENOENT)`),
      );
      const empty = parseEmbeddedTables([{ database: 'lake', name: 'e', location: 'empty', format: 'json' }], dir.path);
      await expect(startEmbedded({ port: 0, dataDir: join(dir.path, 'data'), tables: empty })).rejects.toThrow(
        `embedded.tables[0].location: folder ${join(dir.path, 'empty')} for table lake.e holds no .json files`,
      );
    } finally {
      dir.remove();
    }
  });
});
