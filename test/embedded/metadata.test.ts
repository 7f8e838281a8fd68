import { engineQueryId, resultMetadata } from '../../src/embedded/athena/metadata';
import { columnInfo } from '../../src/embedded/athena/render';
import { DuckDBListType, INTEGER } from '@duckdb/node-api';

describe('the .metadata file beside a result', () => {
  test('encodes a column as the published dump of an Athena .csv.metadata file has it, byte for byte', () => {
    // The file of `SELECT … AS ary` (one array column), from Stack Overflow question 55991018.
    const published = Buffer.from(
      [
        '0a 1b 32 30 31 39 30 34 32 33 5f 31 32 35 31 32',
        '38 5f 30 30 30 30 31 5f 65 68 74 75 72 22 19 0a',
        '04 68 69 76 65 22 03 61 72 79 2a 03 61 72 79 32',
        '05 61 72 72 61 79 48 03',
      ].join(' ').replace(/ /g, ''),
      'hex',
    );
    const bytes = resultMetadata('20190423_125128_00001_ehtur', [columnInfo('ary', new DuckDBListType(INTEGER))]);
    expect(bytes.toString('hex')).toBe(published.toString('hex'));
  });

  test('names the query in Trino’s form: submission time (UTC), a counter and five characters of the id', () => {
    expect(engineQueryId(Date.UTC(2024, 2, 5, 13, 4, 5), 42, '3f2a9c1e-0000-4000-8000-000000000000')).toBe('20240305_130405_00042_3f2a9');
  });
});
