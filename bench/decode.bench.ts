/**
 * Decoder throughput: Athena GetQueryResults page *bytes* (what arrives on the wire) → typed rows, on the
 * same generated pages, measured in one run. The headline is each library as deployed: the same response
 * bytes through the SDK's JSON codec (JSON.parse, then a copy of every Row and Datum) and athena-express's
 * own conversion (cleanUpPaginatedDML → addDataType, loaded unmodified and called as the library calls it),
 * against gapwatch's protocol codec (protocol.ts: rows scanned from the bytes into cells, read on first use)
 * and the decoder. athena-express takes a v2 SDK; the v3 SDK's codec stands in for it here. The HTTP call
 * and the SDK's middleware are left out on both sides.
 * The detail gives the other readings, for judging fairness both ways:
 *  - from the bytes with a bare JSON.parse in front of athena-express (cheaper than any SDK gives it):
 *    gapwatch scanResultRows + JSON.parse of the rest + decodeRows with the result's one decoder;
 *  - the same with every gapwatch row made a keyed object (athena-express's output shape);
 *  - the conversions alone: gapwatch on cells scanned beforehand, athena-express on pages parsed
 *    beforehand (measured in a phase of their own);
 *  - reading the bytes alone: the scanner against text + JSON.parse.
 * The floor is JSON.parse plus reading every VarCharValue, the least any decoder built on JSON.parse does;
 * gapwatch (from the bytes, no SDK) does not JSON.parse the rows, so it can beat the floor.
 */
import { GetQueryResultsOutput$, type GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { JsonCodec2 } from '@aws-sdk/core/protocols';
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { runInThisContext } from 'node:vm';
import { createDecoder, type ResultDecoder } from '../src/services/athena/decode';
import { columnsOf, dataRows } from '../src/services/athena/pages';
import { JSON_SETTINGS, ResultsCodec } from '../src/services/athena/protocol';
import { scanResultRows, setCells } from '../src/services/athena/result-json';
import { csvLine, scanCsvRows } from '../src/services/athena/csv';
import { parse as parseCsv } from 'csv-parse/sync';
import { mulberry32 } from '../src/services/random';
import { athenaPages } from './pages';
import { type BenchResult, runStandalone } from './result';

type AthenaExpressConvert = (page: GetQueryResultsOutput, paginationFactor: number) => Promise<unknown[]>;

/**
 * athena-express keeps its conversion private in lib/helpers.js and reads the column types from a
 * module-level promise (`s3Metadata`, set from a MaxResults=1 GetQueryResults when the query succeeds).
 * The file is loaded unmodified, with one line appended that hands out the function and sets that promise
 * the way checkIfExecutionCompleted does.
 */
function loadAthenaExpress(firstPage: GetQueryResultsOutput): AthenaExpressConvert {
  const file = require.resolve('athena-express/lib/helpers.js');
  const source =
    readFileSync(file, 'utf8') +
    '\nmodule.exports.__bench = { cleanUpPaginatedDML, setMetadata(p) { s3Metadata = p; } };';
  const wrapped = runInThisContext(Module.wrap(source), { filename: file }) as (
    ...args: unknown[]
  ) => void;
  const mod = { exports: {} as Record<string, unknown> };
  wrapped.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  const hooks = mod.exports['__bench'] as {
    cleanUpPaginatedDML: AthenaExpressConvert;
    setMetadata(p: Promise<GetQueryResultsOutput>): void;
  };
  hooks.setMetadata(Promise.resolve(firstPage));
  return hooks.cleanUpPaginatedDML;
}

/**
 * A page as gapwatch's protocol hands it on: the rest parsed, the rows kept as the scanner's cells.
 * Throws if the scanner does not take a page, since the benchmark would then time the fallback path.
 */
function scannedPage(body: Buffer): GetQueryResultsOutput {
  const scanned = scanResultRows(body);
  if (scanned === null) throw new Error('scanResultRows did not take a generated page');
  const page = JSON.parse(scanned.rest) as GetQueryResultsOutput;
  setCells(page.ResultSet!, scanned.rows);
  return page;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs the contenders interleaved, so drift (load, CPU frequency) hits every one alike, in a new seeded
 * order each repetition: a contender that fills the old generation leaves incremental marking and its
 * write barriers to whichever runs next, so a fixed order would charge one neighbour for another's
 * garbage. Times after the warm-up go to `times`.
 */
async function measure(
  times: Map<string, number[]>,
  warmup: number,
  repetitions: number,
  contenders: readonly (readonly [string, () => void | Promise<void>])[],
): Promise<void> {
  const random = mulberry32(11);
  const order = contenders.map((_, i) => i);
  for (const [name] of contenders) times.set(name, []);
  for (let rep = 0; rep < warmup + repetitions; rep++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const k of order) {
      const [name, fn] = contenders[k]!;
      const start = process.hrtime.bigint();
      await fn();
      const ns = Number(process.hrtime.bigint() - start);
      if (rep >= warmup) times.get(name)!.push(ns);
    }
  }
}

/** Keeps results observable so the JIT cannot drop the work being timed. */
let sink = 0;

export interface DecodeBenchOptions {
  pages?: number;
  rowsPerPage?: number;
  warmup?: number;
  repetitions?: number;
}

export async function run(options: DecodeBenchOptions = {}): Promise<BenchResult[]> {
  const pageCount = options.pages ?? 20;
  const warmup = options.warmup ?? 5;
  const repetitions = options.repetitions ?? 15;
  const generated = athenaPages({ pages: pageCount, rowsPerPage: options.rowsPerPage ?? 1000, seed: 7 });
  // What arrives on the wire: each page's bytes. Both sides start here; JSON.parse needs them as text.
  const bodies = generated.pages.map((t) => Buffer.from(t));
  const text = (body: Buffer): string => body.toString('utf8');
  const rowCount = generated.rowCount;
  const aeConvert = loadAthenaExpress(JSON.parse(text(bodies[0]!)) as GetQueryResultsOutput);

  // Each library must hand out every data row (header dropped), or the rates compare different work.
  let decoded = 0;
  let converted = 0;
  for (let p = 0; p < bodies.length; p++) {
    const page = scannedPage(bodies[p]!);
    decoded += createDecoder(columnsOf(page)).decodeRows(dataRows(page, p === 0)).length;
    converted += (await aeConvert(JSON.parse(text(bodies[p]!)) as GetQueryResultsOutput, p === 0 ? 1 : 0)).length;
  }
  if (decoded !== rowCount || converted !== rowCount) {
    throw new Error(`expected ${rowCount} rows; gapwatch gave ${decoded}, athena-express ${converted}`);
  }

  const gapwatch = (): void => {
    let decoder: ResultDecoder | undefined;
    for (let p = 0; p < bodies.length; p++) {
      const page = scannedPage(bodies[p]!);
      decoder ??= createDecoder(columnsOf(page));
      sink += decoder.decodeRows(dataRows(page, p === 0)).length;
    }
  };

  // athena-express hands out one object per row keyed by column name; gapwatch's rows are positional and
  // become objects only when a client selects them. This is the cost when every row is made an object.
  const gapwatchObjects = (): void => {
    let decoder: ResultDecoder | undefined;
    for (let p = 0; p < bodies.length; p++) {
      const page = scannedPage(bodies[p]!);
      decoder ??= createDecoder(columnsOf(page));
      const rows = decoder.decodeRows(dataRows(page, p === 0));
      for (let r = 0; r < rows.length; r++) if (decoder.toObject(rows[r]!) !== null) sink++;
    }
  };

  // As getQueryResultsFromS3 does: paginationFactor 1 (skip the header) on the first page, 0 after.
  const athenaExpress = async (): Promise<void> => {
    for (let p = 0; p < bodies.length; p++) {
      const page = JSON.parse(text(bodies[p]!)) as GetQueryResultsOutput;
      sink += (await aeConvert(page, p === 0 ? 1 : 0)).length;
    }
  };

  const floor = (): void => {
    for (let p = 0; p < bodies.length; p++) {
      const page = JSON.parse(text(bodies[p]!)) as GetQueryResultsOutput;
      const rows = page.ResultSet!.Rows!;
      for (let r = p === 0 ? 1 : 0; r < rows.length; r++) {
        const data = rows[r]!.Data!;
        for (let c = 0; c < data.length; c++) {
          const v = data[c]!.VarCharValue;
          if (v !== undefined) sink += v.length;
        }
      }
    }
  };

  // What reading the bytes costs each side before any conversion.
  const scanner = (): void => {
    for (let p = 0; p < bodies.length; p++) sink += scanResultRows(bodies[p]!)!.rows.length;
  };

  const jsonParse = (): void => {
    for (let p = 0; p < bodies.length; p++) {
      sink += (JSON.parse(text(bodies[p]!)) as GetQueryResultsOutput).ResultSet!.Rows!.length;
    }
  };

  const times = new Map<string, number[]>();
  await measure(times, warmup, repetitions, [
    ['gapwatch', gapwatch],
    ['athenaExpress', athenaExpress],
    ['floor', floor],
    ['gapwatchObjects', gapwatchObjects],
    ['scanner', scanner],
    ['jsonParse', jsonParse],
  ]);

  // As deployed: the same response bytes through each side's SDK deserializer, the SDK's own (JSON.parse
  // and a copy of every Row and Datum) in front of athena-express, gapwatch's protocol in front of the
  // decoder. Its own phase, before the one below, whose kept pages would slow every GC.
  const sdkReader = new JsonCodec2(JSON_SETTINGS).createDeserializer();
  const ourReader = new ResultsCodec(JSON_SETTINGS).createDeserializer();
  await measure(times, warmup, repetitions, [
    [
      'gapwatchDeployed',
      async () => {
        let decoder: ResultDecoder | undefined;
        for (let p = 0; p < bodies.length; p++) {
          const page = (await ourReader.read(GetQueryResultsOutput$, bodies[p]! as never)) as GetQueryResultsOutput;
          decoder ??= createDecoder(columnsOf(page));
          sink += decoder.decodeRows(dataRows(page, p === 0)).length;
        }
      },
    ],
    [
      'athenaExpressDeployed',
      async () => {
        for (let p = 0; p < bodies.length; p++) {
          const page = (await sdkReader.read(GetQueryResultsOutput$, bodies[p]! as never)) as GetQueryResultsOutput;
          sink += (await aeConvert(page, p === 0 ? 1 : 0)).length;
        }
      },
    ],
  ]);

  // The conversions alone, gapwatch on cells scanned beforehand and athena-express on pages parsed
  // beforehand, measured after the rest: the pages they keep (about 300,000 objects) would otherwise make
  // every major GC in the contenders above slower than it is in production.
  const parsedPages = bodies.map((t) => JSON.parse(text(t)) as GetQueryResultsOutput);
  const scannedPages = bodies.map(scannedPage);
  await measure(times, warmup, repetitions, [
    [
      'gapwatchConversion',
      () => {
        let decoder: ResultDecoder | undefined;
        for (let p = 0; p < scannedPages.length; p++) {
          const page = scannedPages[p]!;
          decoder ??= createDecoder(columnsOf(page));
          sink += decoder.decodeRows(dataRows(page, p === 0)).length;
        }
      },
    ],
    [
      'athenaExpressConversion',
      async () => {
        for (let p = 0; p < parsedPages.length; p++) {
          sink += (await aeConvert(parsedPages[p]!, p === 0 ? 1 : 0)).length;
        }
      },
    ],
  ]);

  // The result file (csv.ts): the same rows as Athena writes them to S3, read in pages as result-file.ts
  // reads them, against a plain CSV parse (csv-parse, told NULL is an unquoted empty field) handing the same
  // cells to the same decoder. Last, for the reason above: the file and the parsed pages are large.
  const labels = columnsOf(scannedPages[0]!).map((c) => c.Label ?? c.Name ?? '');
  const csv = Buffer.from(csvLine(labels) + scannedPages.flatMap((page, p) => dataRows(page, p === 0)).map(csvLine).join(''));
  const width = labels.length;
  const csvDecoder = createDecoder(columnsOf(scannedPages[0]!));
  let csvRows = 0;
  for (const page of scannedPages) csvRows += dataRows(page, page === scannedPages[0]).length;
  await measure(times, warmup, repetitions, [
    [
      'csvDecoder',
      () => {
        const header: (string | null)[][] = [];
        let at = scanCsvRows(csv, 0, csv.length, width, header, 1).end;
        let rows = 0;
        while (at < csv.length) {
          const cells: (string | null)[][] = [];
          at = scanCsvRows(csv, at, csv.length, width, cells, 1000, true).end;
          rows += csvDecoder.decodeRows(cells).length;
        }
        if (rows !== csvRows) throw new Error(`the CSV scanner read ${rows} rows, expected ${csvRows}`);
        sink += rows;
      },
    ],
    [
      'plainCsv',
      () => {
        const rows = parseCsv(csv, { from_line: 2, cast: (value, context) => (context.quoting || value !== '' ? value : null) }) as (string | null)[][];
        let decoded = 0;
        for (let i = 0; i < rows.length; i += 1000) decoded += csvDecoder.decodeRows(rows.slice(i, i + 1000)).length;
        if (decoded !== csvRows) throw new Error(`csv-parse read ${decoded} rows, expected ${csvRows}`);
        sink += decoded;
      },
    ],
    [
      // The same parse without `cast`, as fast as csv-parse goes: it then reads NULL as '' (wrong answers), so
      // it is reported beside the figure, not as its peer.
      'plainCsvLossy',
      () => {
        const rows = parseCsv(csv, { from_line: 2 }) as (string | null)[][];
        let decoded = 0;
        for (let i = 0; i < rows.length; i += 1000) decoded += csvDecoder.decodeRows(rows.slice(i, i + 1000)).length;
        sink += decoded;
      },
    ],
  ]);

  const rate = (name: string): number => rowCount / (median(times.get(name)!) / 1e9);
  const ours = rate('gapwatch');
  const ae = rate('athenaExpress');
  const floorRate = rate('floor');
  const oursObjects = rate('gapwatchObjects');
  const oursConversion = rate('gapwatchConversion');
  const aeConversion = rate('athenaExpressConversion');
  const scan = rate('scanner');
  const oursDeployed = rate('gapwatchDeployed');
  const aeDeployed = rate('athenaExpressDeployed');
  const parse = rate('jsonParse');
  const nsPerRow = (r: number): string => `${Math.round(1e9 / r)} ns/row`;
  const fmt = (r: number): string => `${Math.round(r).toLocaleString('en-US')} rows/s (${nsPerRow(r)})`;
  const x = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  const setup = `${pageCount} pages × ${generated.rowsPerPage} rows, 7 mixed columns, median of ${repetitions} after ${warmup} warm-up`;
  const vsAe = oursDeployed / aeDeployed;
  const vsFloor = ours / floorRate;
  const csvOurs = csvRows / (median(times.get('csvDecoder')!) / 1e9);
  const csvPlain = csvRows / (median(times.get('plainCsv')!) / 1e9);
  const csvLossy = csvRows / (median(times.get('plainCsvLossy')!) / 1e9);
  return [
    {
      name: 'decode vs athena-express (the same response bytes → typed rows, each side as deployed behind the SDK)',
      ratio: vsAe,
      target: '≥ 4×',
      pass: vsAe >= 4,
      detail:
        `gapwatch's protocol codec + decodeRows ${fmt(oursDeployed)} vs the SDK's own JSON codec + athena-express ` +
        `cleanUpPaginatedDML ${fmt(aeDeployed)} (the v3 SDK's codec stands in for the v2 SDK athena-express ` +
        `takes); other readings: from the bytes with a bare JSON.parse for athena-express (no SDK copy), ` +
        `gapwatch scanResultRows+JSON.parse(rest)+decodeRows ${fmt(ours)} vs toString+JSON.parse+` +
        `cleanUpPaginatedDML ${fmt(ae)}, ${x(ours, ae)}; the same with every gapwatch row made an object ` +
        `(toObject) ${fmt(oursObjects)}, ${x(oursObjects, ae)}; the conversions alone, gapwatch on pre-scanned ` +
        `cells ${fmt(oursConversion)} vs athena-express on pre-parsed pages ${fmt(aeConversion)}, ` +
        `${x(oursConversion, aeConversion)}; reading the bytes alone, scanResultRows ${fmt(scan)} vs text + ` +
        `JSON.parse ${fmt(parse)}, ${x(scan, parse)}; ${setup}`,
    },
    {
      name: "CSV decoder vs a plain CSV parse + the same conversions (Athena's result file → typed rows)",
      ratio: csvOurs / csvPlain,
      target: '≥ 1×',
      pass: csvOurs >= csvPlain,
      detail:
        `csv.ts scanCsvRows + decodeRows, a page of 1,000 rows at a time, ${fmt(csvOurs)} vs csv-parse (sync, NULL = an ` +
        `unquoted empty field, through its cast option) + the same decodeRows ${fmt(csvPlain)}; csv-parse without cast ` +
        `(NULL read as '', so not a peer) ${fmt(csvLossy)}, ${x(csvOurs, csvLossy)}; ${(csv.length / 2 ** 20).toFixed(1)} MB of CSV; ${setup}`,
    },
    {
      name: 'decode vs floor (JSON.parse + read every cell)',
      ratio: vsFloor,
      target: '≥ 0.5×',
      pass: vsFloor >= 0.5,
      detail: `gapwatch from bytes ${fmt(ours)} vs floor JSON.parse+read every VarCharValue ${fmt(floorRate)}; ${setup}`,
    },
  ];
}

if (require.main === module) {
  runStandalone(run, {
    // Read the sink so the JIT cannot drop the decoding it keeps alive.
    after: () => {
      if (sink === -1) console.log(sink);
    },
  });
}
