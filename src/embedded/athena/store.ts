/**
 * Execution records and their results on disk, so an execution id handed out before a restart still
 * answers GetQueryExecution and GetQueryResults afterwards (users keep and reuse ids, as with Athena).
 *
 * Layout under `<dataDir>/athena/`:
 * - `executions/<id>.json`  one record per execution (small; written on submit and on every state change)
 * - `results/<id>.csv`      the result as Athena writes it to S3 (csv.ts): a header line of column labels
 *                           when GetQueryResults has a header row, then a line per row, every value quoted,
 *                           NULL an empty field. It is both what GetQueryResults reads its rows from and the
 *                           object S3 serves, byte for byte, so the two cannot differ (result-objects.ts).
 * - `results/<id>.idx`      byte offset of every row's line start plus the end, as little-endian float64
 *                           (the first entry is after the header line)
 * - `results/<id>.crc`      CRC-32 of every row's line, little-endian uint32, so a changed byte is detected
 * The index lets a page of any size be read with two small reads, so paging a 100,000-row result never
 * re-runs the query nor reads the whole file. Results written by an older gapwatch (`<id>.rows`, a JSON
 * array per line) are rewritten in this layout when the store opens (`upgrade`).
 *
 * Bound: the newest `maxExecutions` executions are kept, and the oldest finished results are dropped while
 * result files exceed `maxResultBytes`; a dropped execution is forgotten as a whole, like an Athena
 * execution past its 45-day history. One result may not exceed `maxResultBytesPerQuery`: the writer fails
 * that query as soon as it passes the bound, so one huge result can never push every other one out.
 * A result being read (GetQueryResults, or its object over S3) is never evicted (see `hold`).
 *
 * Damage (a record that is not a record, a result file shorter or longer than its record says, an index
 * that does not describe its rows file, a row that is not Athena's CSV) is detected, logged with the file's
 * name, and answered with `DamagedStore`, never with a crash, a wrong page or an empty one.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CsvFormatError, csvLine, scanCsvRows } from '../../services/athena/csv';
import type { AthenaColumnInfo, Cell } from './render';
import type { StatementType } from './sql';

export type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface AthenaErrorInfo {
  ErrorCategory: number;
  ErrorType: number;
  Retryable: boolean;
  ErrorMessage: string;
}

export interface StoredResult {
  columns: AthenaColumnInfo[];
  /** Data rows, the header row not counted. */
  rowCount: number;
  /** Whether GetQueryResults starts with a header row (SELECT-like statements only, as in Athena). */
  header: boolean;
  updateCount: number;
  /** All of the result's files together (what the storage bound counts). */
  bytes: number;
  /** `crc32`: `<id>.crc` holds each line's CRC-32; absent for results written before it existed. */
  checksums?: 'crc32';
  /**
   * `csv`: the rows are `<id>.csv` in Athena's format. Absent: an older gapwatch's `<id>.rows` (a JSON
   * array per line), rewritten as `csv` when the store opens.
   */
  format?: 'csv';
  /** MD5 of `<id>.csv` in hex: the object's S3 ETag (absent when the result has no file). */
  md5?: string;
  /**
   * A result without a header row (DDL and UTILITY statements) is served over S3 as Athena's `.txt`: each
   * row's cells joined by tabs, a line each (textLine). Its size and MD5, kept so a listing needs no read.
   */
  text?: { bytes: number; md5: string };
}

/** A row as a line of the `.txt` object Athena writes for DDL and UTILITY statements (NULL as nothing). */
export function textLine(cells: readonly Cell[]): string {
  return cells.map((c) => c ?? '').join('\t') + '\n';
}

export interface ExecutionRecord {
  id: string;
  /** Submission order, to list newest first and evict oldest first. */
  seq: number;
  query: string;
  database?: string;
  catalog?: string;
  workGroup: string;
  outputLocation: string;
  executionParameters?: string[];
  clientRequestToken?: string;
  /** The request's idempotent fields, compared when a ClientRequestToken is reused. */
  fingerprint: string;
  statementType: StatementType;
  state: QueryState;
  stateChangeReason?: string;
  athenaError?: AthenaErrorInfo;
  submittedAt: number;
  startedAt?: number;
  completedAt?: number;
  dataScannedInBytes: number;
  result?: StoredResult;
}

export interface StoreLimits {
  maxExecutions: number;
  /** All result files together. */
  maxResultBytes: number;
  /** One result; a query whose result grows past it fails (capped at maxResultBytes). */
  maxResultBytesPerQuery: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = {
  maxExecutions: 10_000,
  maxResultBytes: 1024 * 1024 * 1024,
  maxResultBytesPerQuery: 256 * 1024 * 1024,
};

/** A result grew past its bound while being written; the query fails with this message. */
export class ResultTooLarge extends Error {
  override name = 'ResultTooLarge';
}

/** A stored record or result file is not what was written; the message names the file and what is wrong. */
export class DamagedStore extends Error {
  override name = 'DamagedStore';
}

const STATES: readonly QueryState[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Why a parsed record file cannot be used, or undefined when it has every field the endpoint reads. */
function recordDamage(v: unknown, id: string): string | undefined {
  if (!isObject(v)) return `expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`;
  if (v.id !== id) return `its id ${JSON.stringify(v.id)} does not match the file name`;
  for (const k of ['query', 'workGroup', 'outputLocation', 'fingerprint', 'statementType'] as const) {
    if (typeof v[k] !== 'string') return `${k} is not a string`;
  }
  for (const k of ['seq', 'submittedAt', 'dataScannedInBytes'] as const) if (!isCount(v[k])) return `${k} is not a count`;
  if (!STATES.includes(v.state as QueryState)) return `state ${JSON.stringify(v.state)} is not a query state`;
  const p = v.executionParameters;
  if (p !== undefined && !(Array.isArray(p) && p.every((x) => typeof x === 'string'))) return 'executionParameters is not a list of strings';
  const r = v.result;
  // Every SUCCEEDED execution stores a result (INSERT and DDL an empty one); without it a page would be
  // an empty success.
  if (v.state === 'SUCCEEDED' && r === undefined) return 'a SUCCEEDED execution without its result';
  if (r !== undefined) {
    if (!isObject(r) || !Array.isArray(r.columns) || !isCount(r.rowCount) || !isCount(r.bytes) || !isCount(r.updateCount) || typeof r.header !== 'boolean') {
      return 'result is not a stored result';
    }
    if (r.checksums !== undefined && r.checksums !== 'crc32') return `result checksums ${JSON.stringify(r.checksums)} are unknown`;
    if (r.rowCount > 0 && r.bytes < indexBytes(r as unknown as StoredResult)) return 'result bytes are fewer than its index alone';
  }
  return undefined;
}

/** Bytes of a result's `.idx` and `.crc` files; the rest of `bytes` is its `.rows` file. */
const indexBytes = (r: StoredResult): number => (r.rowCount + 1) * 8 + (r.checksums === 'crc32' ? r.rowCount * 4 : 0);

export type ResultPaths = { csv: string; idx: string; crc: string };

export function removeResultFiles(paths: ResultPaths): void {
  rmSync(paths.csv, { force: true });
  rmSync(paths.idx, { force: true });
  rmSync(paths.crc, { force: true });
  // An older gapwatch's rows file, if the result was never rewritten.
  rmSync(paths.csv.replace(/\.csv$/, '.rows'), { force: true });
}

/**
 * Streams rendered rows of one result into its `.csv`/`.idx`/`.crc` files: each batch of rows is written
 * to all three as it comes, so writing a result holds one batch, not an index of every row. (It held the
 * offsets and checksums of all rows in two growing arrays until the end — ~36 MB of the renderer's heap for
 * 1M rows, and two synchronous writes of 12 and 24 MB on the endpoint's thread as the query finished,
 * during which it answered nothing.)
 */
export class ResultWriter {
  private rowsWritten = 0;
  private bytes: number;
  private constructor(
    private readonly files: { csv: FileHandle; idx: FileHandle; crc: FileHandle },
    private readonly paths: ResultPaths,
    private readonly maxBytes: number,
    private readonly md5: Hash,
    headerBytes: number,
    /** For a result served as text (no header): that text's MD5 and size so far. */
    private readonly text: { md5: Hash; bytes: number } | null,
  ) {
    this.bytes = headerBytes;
  }

  /**
   * `header`: the column labels that start the file (Athena writes them when GetQueryResults has a header
   * row), or null. `maxBytes` bounds the file and its index together, checked row by row before anything
   * is written.
   */
  static async create(paths: ResultPaths, header: readonly string[] | null, maxBytes = Infinity): Promise<ResultWriter> {
    const opened = await Promise.allSettled([open(paths.csv, 'w'), open(paths.idx, 'w'), open(paths.crc, 'w')]);
    const handles = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
      throw failed.reason;
    }
    const [csv, idx, crc] = handles as [FileHandle, FileHandle, FileHandle];
    const md5 = createHash('md5');
    const head = header === null ? '' : csvLine(header);
    const headBytes = Buffer.byteLength(head);
    try {
      if (headBytes + 8 > maxBytes) throw tooLarge(maxBytes, 0);
      if (headBytes > 0) {
        md5.update(head);
        await csv.write(head);
      }
      // The index starts with the first row's offset: after the header line.
      const first = new Float64Array([headBytes]);
      await idx.write(new Uint8Array(first.buffer));
    } catch (err) {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
      removeResultFiles(paths);
      throw err;
    }
    return new ResultWriter({ csv, idx, crc }, paths, maxBytes, md5, headBytes, header === null ? { md5: createHash('md5'), bytes: 0 } : null);
  }

  async append(rows: readonly Cell[][]): Promise<void> {
    if (rows.length === 0) return;
    const offsets = new Float64Array(rows.length);
    const sums = new Uint32Array(rows.length);
    let text = '';
    for (let i = 0; i < rows.length; i++) {
      const line = csvLine(rows[i]!);
      text += line;
      this.bytes += Buffer.byteLength(line);
      offsets[i] = this.bytes;
      sums[i] = crc32(line);
      const n = this.rowsWritten + i + 1;
      if (this.bytes + (n + 1) * 8 + n * 4 > this.maxBytes) throw tooLarge(this.maxBytes, n);
    }
    this.rowsWritten += rows.length;
    this.md5.update(text);
    if (this.text) {
      let lines = '';
      for (const row of rows) lines += textLine(row);
      this.text.md5.update(lines);
      this.text.bytes += Buffer.byteLength(lines);
    }
    await Promise.all([this.files.csv.write(text), this.files.idx.write(new Uint8Array(offsets.buffer)), this.files.crc.write(new Uint8Array(sums.buffer))]);
  }

  get rowCount(): number {
    return this.rowsWritten;
  }

  async finish(): Promise<Pick<StoredResult, 'bytes' | 'checksums' | 'format' | 'md5' | 'text'>> {
    await this.close();
    return {
      bytes: this.bytes + (this.rowsWritten + 1) * 8 + this.rowsWritten * 4,
      checksums: 'crc32',
      format: 'csv',
      md5: this.md5.digest('hex'),
      ...(this.text ? { text: { bytes: this.text.bytes, md5: this.text.md5.digest('hex') } } : {}),
    };
  }

  async abort(): Promise<void> {
    await this.close().catch(() => undefined);
    removeResultFiles(this.paths);
  }

  private async close(): Promise<void> {
    const closed = await Promise.allSettled([this.files.csv.close(), this.files.idx.close(), this.files.crc.close()]);
    const failed = closed.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

function tooLarge(maxBytes: number, rows: number): ResultTooLarge {
  return new ResultTooLarge(
    `Query result exceeds the embedded endpoint's bound of ${maxBytes} bytes per result (limits.maxResultBytesPerQuery) after ${rows} rows; select fewer rows or columns, or aggregate`,
  );
}

export class ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly byToken = new Map<string, string>();
  /** Execution ids by OutputLocation (`s3://bucket/…/<id>.csv`): what the S3 API looks objects up by. */
  private readonly byLocation = new Map<string, string>();
  /** Ids whose record file could not be used, with why; they answer DamagedStore instead of "not found". */
  private readonly damagedRecords = new Map<string, string>();
  /** Results of an older gapwatch that `upgrade` could not rewrite, with why. */
  private readonly notUpgraded = new Map<string, string>();
  /** Readers per execution id; eviction stops at these and runs again when the last one lets go. */
  private readonly readers = new Map<string, number>();
  private readonly execDir: string;
  private readonly resultDir: string;
  private nextSeq = 1;

  constructor(
    dataDir: string,
    private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
    private readonly logger?: Logger,
  ) {
    this.execDir = join(dataDir, 'athena', 'executions');
    this.resultDir = join(dataDir, 'athena', 'results');
    mkdirSync(this.execDir, { recursive: true });
    mkdirSync(this.resultDir, { recursive: true });
  }

  /**
   * Loads every record. An execution that was queued or running when the process stopped cannot finish
   * any more: it is marked FAILED (retryable), so pollers stop waiting instead of hanging forever.
   */
  load(now: number): ExecutionRecord[] {
    const interrupted: ExecutionRecord[] = [];
    for (const f of readdirSync(this.execDir)) {
      if (!f.endsWith('.json')) continue;
      const id = f.slice(0, -'.json'.length);
      let parsed: unknown;
      let damage: string | undefined;
      try {
        parsed = JSON.parse(readFileSync(join(this.execDir, f), 'utf8'));
        damage = recordDamage(parsed, id);
      } catch (err) {
        // A record torn by a crash mid-write (the temp+rename in save() makes this rare) or edited by hand.
        damage = `not JSON (${(err as Error).message})`;
      }
      if (damage !== undefined) {
        this.damagedRecords.set(id, damage);
        this.logger?.error({ file: join(this.execDir, f), executionId: id }, `damaged execution record skipped: ${damage}`);
        continue;
      }
      const rec = parsed as ExecutionRecord;
      if (rec.state === 'QUEUED' || rec.state === 'RUNNING') {
        const reason = 'Query was interrupted because the embedded Athena endpoint stopped';
        rec.state = 'FAILED';
        rec.stateChangeReason = reason;
        rec.athenaError = { ErrorCategory: 1, ErrorType: 100, Retryable: true, ErrorMessage: reason };
        rec.completedAt = now;
        interrupted.push(rec);
      }
      this.records.set(rec.id, rec);
      if (rec.clientRequestToken) this.byToken.set(rec.clientRequestToken, rec.id);
      this.byLocation.set(rec.outputLocation, rec.id);
      this.nextSeq = Math.max(this.nextSeq, rec.seq + 1);
    }
    for (const rec of interrupted) {
      // Whatever it had written of its result is a fragment no record counts or will read: gone.
      removeResultFiles(this.resultPaths(rec.id));
      try {
        this.save(rec);
      } catch (err) {
        // A full disk at start: FAILED in memory all the same, and again at the next start.
        this.logger?.error({ err, executionId: rec.id }, 'could not record an interrupted execution as FAILED');
      }
    }
    return [...this.records.values()];
  }

  /**
   * Rewrites results an older gapwatch stored as JSON lines (`<id>.rows`) in Athena's CSV, so every result
   * has one layout and its S3 object. Each row is checked as a read would (index, checksum, shape) and the
   * new files replace the old ones only when complete; a result that cannot be rewritten keeps its files
   * and its reads answer DamagedStore saying why.
   */
  async upgrade(): Promise<void> {
    for (const rec of this.records.values()) {
      const result = rec.result;
      if (!result || result.format === 'csv') continue;
      try {
        if (result.columns.length === 0) {
          // INSERT, CTAS and DDL results without rows never had files.
          result.format = 'csv';
          this.save(rec);
          continue;
        }
        await this.rewriteLegacy(rec, result);
        this.logger?.info({ executionId: rec.id }, 'rewrote an older result as CSV');
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        this.notUpgraded.set(rec.id, why);
        this.logger?.error({ executionId: rec.id, err }, `could not rewrite an older result as CSV: ${why}`);
      }
    }
  }

  private async rewriteLegacy(rec: ExecutionRecord, result: StoredResult): Promise<void> {
    const paths = this.resultPaths(rec.id);
    const legacy = { rows: paths.csv.replace(/\.csv$/, '.rows'), idx: paths.idx, crc: paths.crc };
    const temp: ResultPaths = { csv: `${paths.csv}.tmp`, idx: `${paths.idx}.tmp`, crc: `${paths.crc}.tmp` };
    // A copy: a small file's Buffer is a view into a shared pool.
    const whole = (file: string): ArrayBuffer => {
      const b = readFileSync(file);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
    };
    const offsets = new Float64Array(whole(legacy.idx));
    const sums = result.checksums === 'crc32' ? new Uint32Array(whole(legacy.crc)) : undefined;
    if (offsets.length !== result.rowCount + 1) throw new Error(`${legacy.idx} has ${offsets.length} entries, expected ${result.rowCount + 1}`);
    if (sums && sums.length !== result.rowCount) throw new Error(`${legacy.crc} has ${sums.length} entries, expected ${result.rowCount}`);
    const writer = await ResultWriter.create(temp, result.header ? result.columns.map((c) => c.Label) : null);
    const rows = await open(legacy.rows, 'r');
    try {
      const BATCH = 1000;
      for (let from = 0; from < result.rowCount; from += BATCH) {
        const to = Math.min(result.rowCount, from + BATCH);
        const start = offsets[from]!;
        const buf = Buffer.alloc(offsets[to]! - start);
        const { bytesRead } = await rows.read(buf, 0, buf.length, start);
        if (bytesRead !== buf.length) throw new Error(`${legacy.rows} ends before row ${to}`);
        const batch: Cell[][] = [];
        for (let i = from; i < to; i++) {
          const line = buf.subarray(offsets[i]! - start, offsets[i + 1]! - start);
          if (sums && crc32(line) !== sums[i]) throw new Error(`${legacy.rows} row ${i} does not match its checksum`);
          const row: unknown = JSON.parse(line.toString('utf8'));
          if (!Array.isArray(row) || row.length !== result.columns.length || !row.every((c) => c === null || typeof c === 'string')) {
            throw new Error(`${legacy.rows} row ${i} is not a row of ${result.columns.length} cells`);
          }
          batch.push(row as Cell[]);
        }
        await writer.append(batch);
      }
    } catch (err) {
      await writer.abort();
      throw err;
    } finally {
      await rows.close();
    }
    Object.assign(result, await writer.finish());
    renameSync(temp.idx, paths.idx);
    renameSync(temp.crc, paths.crc);
    renameSync(temp.csv, paths.csv);
    rmSync(legacy.rows, { force: true });
    this.save(rec);
  }

  newSeq(): number {
    return this.nextSeq++;
  }

  get(id: string): ExecutionRecord | undefined {
    return this.records.get(id);
  }

  /** Why the record of `id` could not be loaded, if it is one of those. */
  damage(id: string): string | undefined {
    return this.damagedRecords.get(id);
  }

  byClientToken(token: string): ExecutionRecord | undefined {
    const id = this.byToken.get(token);
    return id === undefined ? undefined : this.records.get(id);
  }

  /** The execution whose OutputLocation this is. */
  byOutputLocation(location: string): ExecutionRecord | undefined {
    const id = this.byLocation.get(location);
    return id === undefined ? undefined : this.records.get(id);
  }

  /** Executions whose OutputLocation starts with `prefix`, in no particular order. */
  withOutputLocationIn(prefix: string): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    for (const [location, id] of this.byLocation) {
      const rec = location.startsWith(prefix) ? this.records.get(id) : undefined;
      if (rec) out.push(rec);
    }
    return out;
  }

  /** All records, newest first. */
  list(): ExecutionRecord[] {
    return [...this.records.values()].sort((a, b) => b.seq - a.seq);
  }

  /**
   * Writes the record, then registers it: a record the disk refused (full, read-only) throws and is not
   * registered, so nothing in memory claims what the disk does not hold.
   */
  save(rec: ExecutionRecord): void {
    const file = join(this.execDir, `${rec.id}.json`);
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(rec));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      rmSync(`${file}.tmp`, { force: true });
      throw err;
    }
    this.records.set(rec.id, rec);
    if (rec.clientRequestToken) this.byToken.set(rec.clientRequestToken, rec.id);
    this.byLocation.set(rec.outputLocation, rec.id);
  }

  resultPaths(id: string): ResultPaths {
    return { csv: join(this.resultDir, `${id}.csv`), idx: join(this.resultDir, `${id}.idx`), crc: join(this.resultDir, `${id}.crc`) };
  }

  /**
   * Rows [from, to) of a stored result (data rows, header excluded). The files are checked against the
   * record first (sizes) and every index entry and row as it is read, so a damaged file is an error
   * naming it, never a short or wrong page. The execution is held while reading: eviction waits.
   */
  async readRows(id: string, from: number, to: number): Promise<Cell[][]> {
    if (to <= from) return [];
    const rec = this.records.get(id);
    const result = rec?.result;
    if (!result) throw new DamagedStore(`execution ${id} has no stored result`);
    const release = this.hold(id);
    try {
      return await this.readHeld(id, result, from, to);
    } finally {
      release();
    }
  }

  private damagedFile(id: string, file: string, why: string): DamagedStore {
    this.logger?.error({ file, executionId: id }, `damaged result file: ${why}`);
    return new DamagedStore(`The result of query execution ${id} is damaged: ${file.slice(this.resultDir.length + 1)} ${why}`);
  }

  private async readHeld(id: string, result: StoredResult, from: number, to: number): Promise<Cell[][]> {
    const paths = this.resultPaths(id);
    if (result.format !== 'csv') {
      throw new DamagedStore(`The result of query execution ${id} was stored by an older gapwatch and could not be rewritten: ${this.notUpgraded.get(id) ?? 'see the log'}`);
    }
    const damaged = (file: string, why: string): DamagedStore => this.damagedFile(id, file, why);
    const idxBytes = (result.rowCount + 1) * 8;
    const crcBytes = result.checksums === 'crc32' ? result.rowCount * 4 : 0;
    const csvBytes = result.bytes - indexBytes(result);
    const [idx, csv, crc] = await Promise.all([
      open(paths.idx, 'r').catch(() => undefined),
      open(paths.csv, 'r').catch(() => undefined),
      result.checksums === 'crc32' ? open(paths.crc, 'r').catch(() => undefined) : undefined,
    ]);
    try {
      if (!idx) throw damaged(paths.idx, 'is missing');
      if (!csv) throw damaged(paths.csv, 'is missing');
      if (result.checksums === 'crc32' && !crc) throw damaged(paths.crc, 'is missing');
      const [idxSize, csvSize] = [(await idx.stat()).size, (await csv.stat()).size];
      if (idxSize !== idxBytes) throw damaged(paths.idx, `is ${idxSize} bytes, expected ${idxBytes}`);
      if (csvSize !== csvBytes) throw damaged(paths.csv, `is ${csvSize} bytes, expected ${csvBytes}`);
      const crcSize = crc ? (await crc.stat()).size : 0;
      if (crcSize !== crcBytes) throw damaged(paths.crc, `is ${crcSize} bytes, expected ${crcBytes}`);
      const offsets = new Float64Array(to - from + 1);
      await idx.read(new Uint8Array(offsets.buffer), 0, offsets.byteLength, from * 8);
      const sums = crc ? new Uint32Array(to - from) : undefined;
      if (crc && sums) await crc.read(new Uint8Array(sums.buffer), 0, sums.byteLength, from * 4);
      for (let i = 0; i < offsets.length; i++) {
        const o = offsets[i];
        if (!Number.isSafeInteger(o) || o < 0 || o > csvBytes || (i > 0 && o <= offsets[i - 1])) {
          throw damaged(paths.idx, `entry ${from + i} (${o}) is not an offset into the rows file`);
        }
      }
      const start = offsets[0];
      const buf = Buffer.alloc(offsets[to - from] - start);
      await csv.read(buf, 0, buf.length, start);
      const width = result.columns.length;
      const out: Cell[][] = [];
      for (let i = 0; i < to - from; i++) {
        const [s, e] = [offsets[i] - start, offsets[i + 1] - start];
        if (sums && crc32(buf.subarray(s, e)) !== sums[i]) throw damaged(paths.csv, `row ${from + i} does not match its checksum`);
        let stop;
        try {
          stop = scanCsvRows(buf, s, e, width, out, 1, true);
        } catch (err) {
          if (!(err instanceof CsvFormatError)) throw err;
          throw damaged(paths.csv, `row ${from + i} is not a CSV row of ${width} cells (${err.message})`);
        }
        if (stop.rows !== 1 || stop.end !== e) throw damaged(paths.csv, `row ${from + i} is not a CSV row of ${width} cells`);
      }
      return out;
    } finally {
      await idx?.close();
      await csv?.close();
      await crc?.close();
    }
  }

  /** Marks `id` as being read until the returned function is called; eviction leaves it alone meanwhile. */
  hold(id: string): () => void {
    this.readers.set(id, (this.readers.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.readers.get(id) ?? 1) - 1;
      if (n > 0) {
        this.readers.set(id, n);
        return;
      }
      this.readers.delete(id);
      // Whatever was kept for this reader may be over the bound now.
      this.evict();
    };
  }

  /** Applies the storage bound; never evicts an unfinished execution nor one being read. Returns the evicted ids. */
  evict(): string[] {
    const finished = (r: ExecutionRecord): boolean => r.state !== 'QUEUED' && r.state !== 'RUNNING';
    const oldestFirst = [...this.records.values()].filter(finished).sort((a, b) => a.seq - b.seq);
    const held = (r: ExecutionRecord): boolean => this.readers.has(r.id);
    let count = this.records.size;
    let bytes = oldestFirst.reduce((s, r) => s + (r.result?.bytes ?? 0), 0);
    const evicted: string[] = [];
    for (const r of oldestFirst) {
      if (count <= this.limits.maxExecutions && bytes <= this.limits.maxResultBytes) break;
      // Oldest first stops at one being read rather than skipping it: the rest waits for its release
      // instead of newer executions going in its place.
      if (held(r)) break;
      this.forget(r);
      count--;
      bytes -= r.result?.bytes ?? 0;
      evicted.push(r.id);
      this.logger?.debug({ executionId: r.id }, 'evicted old execution');
    }
    return evicted;
  }

  private forget(r: ExecutionRecord): void {
    this.records.delete(r.id);
    if (r.clientRequestToken && this.byToken.get(r.clientRequestToken) === r.id) this.byToken.delete(r.clientRequestToken);
    if (this.byLocation.get(r.outputLocation) === r.id) this.byLocation.delete(r.outputLocation);
    rmSync(join(this.execDir, `${r.id}.json`), { force: true });
    removeResultFiles(this.resultPaths(r.id));
  }
}
