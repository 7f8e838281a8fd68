/**
 * The decoder and the result scanner generate code with `new Function` where they may, and must work
 * where they may not: the built service under `node --disallow-code-generation-from-strings`, and each
 * fallback in-process against the generated code on the same pages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ColumnInfo } from '@aws-sdk/client-athena';
import { createDecoder } from '../../../src/services/athena/decode';
import { startBuiltService } from '../../support/built-service';

const column = (Type: string, Name: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({ Name, Label: Name, Type, ...extra });

it('decodes the same rows with the generated row function and with its loop fallback', () => {
  const columns = [
    column('varchar', 'symbol'),
    column('timestamp', 'ts'),
    column('double', 'price'),
    column('bigint', 'volume'),
    column('decimal', 'amount', { Precision: 10, Scale: 2 }),
    column('array', 'tags'),
    column('date', 'day'),
  ];
  const rows: (string | null)[][] = [];
  for (let i = 0; i < 500; i++) {
    rows.push([
      i % 7 === 0 ? null : `S${i}`,
      `2024-03-0${1 + (i % 9)} 1${i % 10}:00:0${i % 10}.${String(i).padStart(3, '0')}`,
      i % 11 === 0 ? 'NaN' : `${i}.5`,
      i % 13 === 0 ? '9223372036854775807' : String(i * 1000),
      i % 17 === 0 ? 'bad' : `${i}.25`,
      `[a${i}, null]`,
      i % 19 === 0 ? '2024-02-30' : '2024-03-05',
    ]);
  }
  rows.push(['short']); // a row shorter than the columns
  const generated = createDecoder(columns, { tags: 'array(varchar)' });
  const loop = createDecoder(columns, { tags: 'array(varchar)' }, { generate: false });
  expect(loop.decodeRows(rows)).toStrictEqual(generated.decodeRows(rows));
  expect(loop.decodeRow(rows[3]!)).toStrictEqual(['S3', '2024-03-04T13:00:03.003Z', 3.5, 3000, '3.25', ['a3', null], '2024-03-05']);
});

/** The built service as an operator might run it, hardened: it starts, and a query's rows come back typed. */
it('serves typed rows under node --disallow-code-generation-from-strings', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-nocodegen-'));
  const { child, url } = await startBuiltService(
    {
      PORT: '0',
      GAPWATCH_EMBEDDED_PORT: '0',
      GAPWATCH_DATA_DIR: dataDir,
      GAPWATCH_CONFIG: path.join(dataDir, 'none.yaml'),
      GAPWATCH_ALLOW_RAW_SQL: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    ['--disallow-code-generation-from-strings'],
  );
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `mutation { runSql(sql: "SELECT 'AMZN' AS symbol, TIMESTAMP '2020-06-18 16:00:00' AS ts, CAST(9007199254740993 AS BIGINT) AS big, 1.5 AS x") { rows { edges { node { values } } } } }`,
      }),
    });
    expect(await res.json()).toStrictEqual({
      data: { runSql: { rows: { edges: [{ node: { values: { symbol: 'AMZN', ts: '2020-06-18T16:00:00.000Z', big: '9007199254740993', x: '1.5' } } }] } } },
    });
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
