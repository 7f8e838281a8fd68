/**
 * Both ways of reading a result give the same typed values (issue 23): generated rows of every Athena type,
 * run on the embedded endpoint, read past page 0 from the result file in S3 by one AthenaService and with
 * GetQueryResults by another (results from S3 switched off), through the real SDK clients, compared value by
 * value, NULL kept apart from ''.
 */
import { S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { AthenaService } from '../../../src/services/athena/athena.service';
import { FIRST_PAGE, nextRef, type PageRef } from '../../../src/services/athena/result-pages';
import { ATHENA_DEFAULTS } from '../../../src/services/athena/settings';
import { realClock } from '../../../src/services/clock/clock';
import { athenaClient, startHarness, type Harness } from '../../embedded/helpers';

let h: Harness;
let fromFile: AthenaService;
let fromApi: AthenaService;
let s3: S3Client;
const clients: { destroy(): void }[] = [];
beforeAll(async () => {
  h = await startHarness();
  s3 = new S3Client({ endpoint: h.endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, forcePathStyle: true });
  const [a, b] = [athenaClient(h.endpoint.url), athenaClient(h.endpoint.url)];
  clients.push(a, b, s3);
  fromFile = new AthenaService(a, { ...ATHENA_DEFAULTS, waitTimeoutMs: 60_000 }, realClock, Math.random, { client: s3 });
  fromApi = new AthenaService(b, { ...ATHENA_DEFAULTS, resultsFromS3: false, waitTimeoutMs: 60_000 }, realClock, Math.random);
});
afterAll(async () => {
  fromFile.close();
  fromApi.close();
  for (const c of clients) c.destroy();
  await h.stop();
});

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const nullable = <T>(arb: fc.Arbitrary<T>, type: string, lit: (v: T) => string): fc.Arbitrary<string> =>
  fc.option(arb, { freq: 6 }).map((v) => (v === null ? `CAST(NULL AS ${type})` : `CAST(${lit(v)} AS ${type})`));

const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '"', "'", ',', '\n', '\t', 'é', '東', '😀', '\\', '[', '=', '{'), maxLength: 12 });
const day = fc.integer({ min: -200_000, max: 200_000 }).map((d) => new Date(Date.UTC(1970, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
const instant = fc.integer({ min: -5e12, max: 5e12 }).map((ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ''));

/** A column: its SQL type and a generator of SQL expressions of that type (NULL among them). */
const COLUMNS: [string, fc.Arbitrary<string>][] = [
  ['b', nullable(fc.boolean(), 'BOOLEAN', (v) => String(v))],
  ['t', nullable(fc.integer({ min: -128, max: 127 }), 'TINYINT', String)],
  ['sm', nullable(fc.integer({ min: -32768, max: 32767 }), 'SMALLINT', String)],
  ['i', nullable(fc.integer(), 'INTEGER', String)],
  ['bi', nullable(fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }), 'BIGINT', String)],
  ['r', nullable(fc.float({ noDefaultInfinity: true, noNaN: true }), 'REAL', (v) => q(String(v)))],
  ['d', nullable(fc.oneof(fc.double({ noDefaultInfinity: true, noNaN: true }), fc.constantFrom(Infinity, -Infinity, NaN, -0)), 'DOUBLE', (v) => q(String(v)))],
  ['dc', nullable(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), 'DECIMAL(30,8)', (v) => `${v / 10n ** 8n}.${String((v < 0n ? -v : v) % 10n ** 8n).padStart(8, '0')}`.replace(/^0\./, '0.').replace(/^-?0?(\d)/, (m) => m))],
  ['v', fc.option(text, { freq: 4 }).map((v) => (v === null ? 'CAST(NULL AS VARCHAR)' : q(v)))],
  ['da', nullable(day, 'DATE', q)],
  ['ts', nullable(instant, 'TIMESTAMP', q)],
  ['vb', fc.option(fc.uint8Array({ maxLength: 40 }), { freq: 6 }).map((v) => (v === null ? 'CAST(NULL AS VARBINARY)' : `from_hex(${q(Buffer.from(v).toString('hex'))})`))],
  // Trino's syntax only (no DuckDB array type names): a NULL of a nested type is a CASE with no match.
  ['a', fc.option(fc.array(fc.option(text, { freq: 4 }), { minLength: 1, maxLength: 4 }), { freq: 6 }).map((v) => {
    const items = `ARRAY[${(v ?? ['x']).map((x) => (x === null ? 'CAST(NULL AS VARCHAR)' : q(x))).join(', ')}]`;
    return v === null ? `CASE WHEN 1 = 0 THEN ${items} END` : items;
  })],
  ['m', fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { minKeys: 1, maxKeys: 3 }), { freq: 6 }).map((v) => {
    const map = `MAP(ARRAY[${Object.keys(v ?? { k: 1 }).map(q).join(', ')}], ARRAY[${Object.values(v ?? { k: 1 }).join(', ')}])`;
    return v === null ? `CASE WHEN 1 = 0 THEN ${map} END` : map;
  })],
  ['ro', fc.option(fc.tuple(fc.integer(), fc.option(text)), { freq: 6 }).map((v) => (v === null ? 'CAST(NULL AS ROW(x INTEGER, y VARCHAR))' : `CAST(ROW(${v[0]}, ${v[1] === null ? 'NULL' : q(v[1])}) AS ROW(x INTEGER, y VARCHAR))`))],
];

/** Every row of a result, page by page: values and raw cells. */
async function read(athena: AthenaService, id: string): Promise<{ values: unknown[][]; raw: unknown[][]; columns: unknown }> {
  const values: unknown[][] = [];
  const raw: unknown[][] = [];
  let ref: PageRef = FIRST_PAGE;
  let columns: unknown;
  for (;;) {
    const page = await athena.page(id, ref);
    columns ??= page.columns;
    values.push(...page.values);
    raw.push(...page.raw);
    if (page.last) return { values, raw, columns };
    ref = nextRef(page);
  }
}

describe('typed values from the result file and from GetQueryResults', () => {
  it('are identical, value by value, for generated rows of every type', async () => {
    let fileGets = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(...COLUMNS.map(([, arb]) => arb)), { minLength: 1, maxLength: 12 }), async (rows) => {
        const values = rows.map((r, i) => `(${i}, ${r.join(', ')})`).join(',\n');
        // Repeated past page 0, so most rows come from the file.
        const sql = `SELECT k, rep, ${COLUMNS.map(([c]) => c).join(', ')} FROM (VALUES ${values}) AS v(k, ${COLUMNS.map(([c]) => c).join(', ')}) CROSS JOIN UNNEST(sequence(0, ${Math.ceil(2300 / rows.length) - 1})) AS r(rep) ORDER BY rep, k`;
        const done = await fromFile.run({ sql });
        const before = (await h.endpoint.calls()).GetObject ?? 0;
        const viaFile = await read(fromFile, done.id);
        fileGets += ((await h.endpoint.calls()).GetObject ?? 0) - before;
        const viaApi = await read(fromApi, done.id);
        expect(viaFile.values.length).toBeGreaterThan(2000);
        expect(viaFile.columns).toStrictEqual(viaApi.columns);
        expect(viaFile.raw).toStrictEqual(viaApi.raw);
        expect(viaFile.values).toStrictEqual(viaApi.values);
      }),
      { numRuns: 12, seed: 23 },
    );
    // The file was what was read.
    expect(fileGets).toBeGreaterThanOrEqual(12);
  });
});
