/**
 * Execution records and their results on disk, so an execution id handed out before a restart still
 * answers GetQueryExecution and GetQueryResults afterwards (users keep and reuse ids, as with Athena).
 *
 * Layout under `<dataDir>/athena/`:
 * - `executions/<id>.json`  one record per execution (small; written on submit and on every state change)
 * - `results/<id>.rows`     one JSON array of rendered cells per line (`null` = SQL NULL)
 * - `results/<id>.idx`      byte offset of every line start plus the end, as little-endian float64
 * - `results/<id>.crc`      CRC-32 of every line, little-endian uint32, so a changed byte is detected
 *                           (results written before checksums existed have none: `checksums` absent)
 * The index lets a page of any size be read with two small reads, so paging a 100,000-row result never
 * re-runs the query nor reads the whole file.
 *
 * Bound: the newest `maxExecutions` executions are kept, and the oldest finished results are dropped while
 * result files exceed `maxResultBytes`; a dropped execution is forgotten as a whole, like an Athena
 * execution past its 45-day history. One result may not exceed `maxResultBytesPerQuery`: the writer fails
 * that query as soon as it passes the bound, so one huge result can never push every other one out.
 * A result being read is never evicted (see `hold`).
 *
 * Damage (a record that is not a record, a result file shorter or longer than its record says, an index
 * that does not describe its rows file, a row that is not JSON) is detected, logged with the file's name,
 * and answered with `DamagedStore`, never with a crash, a wrong page or an empty one.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
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

type ResultPaths = { rows: string; idx: string; crc: string };

function removeResultFiles(paths: ResultPaths): void {
  rmSync(paths.rows, { force: true });
  rmSync(paths.idx, { force: true });
  rmSync(paths.crc, { force: true });
}

/**
 * Streams rendered rows of one result into its `.rows`/`.idx`/`.crc` files: each batch of rows is written
 * to all three as it comes, so writing a result holds one batch, not an index of every row. (It held the
 * offsets and checksums of all rows in two growing arrays until the end — ~36 MB of the renderer's heap for
 * 1M rows, and two synchronous writes of 12 and 24 MB on the endpoint's thread as the query finished,
 * during which it answered nothing.)
 */
export class ResultWriter {
  private rowsWritten = 0;
  private bytes = 0;
  private constructor(
    private readonly files: { rows: FileHandle; idx: FileHandle; crc: FileHandle },
    private readonly paths: ResultPaths,
    private readonly maxBytes: number,
  ) {}

  /** `maxBytes` bounds the rows file and its index together, checked row by row before anything is written. */
  static async create(paths: ResultPaths, maxBytes = Infinity): Promise<ResultWriter> {
    const opened = await Promise.allSettled([open(paths.rows, 'w'), open(paths.idx, 'w'), open(paths.crc, 'w')]);
    const handles = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) {
      await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
      throw failed.reason;
    }
    const [rows, idx, crc] = handles as [FileHandle, FileHandle, FileHandle];
    // The index starts with the first line's offset, 0.
    await idx.write(new Uint8Array(8));
    return new ResultWriter({ rows, idx, crc }, paths, maxBytes);
  }

  async append(rows: readonly Cell[][]): Promise<void> {
    if (rows.length === 0) return;
    const offsets = new Float64Array(rows.length);
    const sums = new Uint32Array(rows.length);
    let text = '';
    for (let i = 0; i < rows.length; i++) {
      const line = JSON.stringify(rows[i]) + '\n';
      text += line;
      this.bytes += Buffer.byteLength(line);
      offsets[i] = this.bytes;
      sums[i] = crc32(line);
      const n = this.rowsWritten + i + 1;
      if (this.bytes + (n + 1) * 8 + n * 4 > this.maxBytes) {
        throw new ResultTooLarge(
          `Query result exceeds the embedded endpoint's bound of ${this.maxBytes} bytes per result (limits.maxResultBytesPerQuery) after ${n} rows; select fewer rows or columns, or aggregate`,
        );
      }
    }
    this.rowsWritten += rows.length;
    await Promise.all([this.files.rows.write(text), this.files.idx.write(new Uint8Array(offsets.buffer)), this.files.crc.write(new Uint8Array(sums.buffer))]);
  }

  get rowCount(): number {
    return this.rowsWritten;
  }

  async finish(): Promise<Pick<StoredResult, 'bytes' | 'checksums'>> {
    await this.close();
    return { bytes: this.bytes + (this.rowsWritten + 1) * 8 + this.rowsWritten * 4, checksums: 'crc32' };
  }

  async abort(): Promise<void> {
    await this.close().catch(() => undefined);
    removeResultFiles(this.paths);
  }

  private async close(): Promise<void> {
    const closed = await Promise.allSettled([this.files.rows.close(), this.files.idx.close(), this.files.crc.close()]);
    const failed = closed.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

export class ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly byToken = new Map<string, string>();
  /** Ids whose record file could not be used, with why; they answer DamagedStore instead of "not found". */
  private readonly damagedRecords = new Map<string, string>();
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
      this.nextSeq = Math.max(this.nextSeq, rec.seq + 1);
    }
    for (const rec of interrupted) {
      // Whatever it had written of its result is a fragment no record counts or will read: gone.
      removeResultFiles(this.resultPaths(rec.id));
      this.save(rec);
    }
    return [...this.records.values()];
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

  /** All records, newest first. */
  list(): ExecutionRecord[] {
    return [...this.records.values()].sort((a, b) => b.seq - a.seq);
  }

  save(rec: ExecutionRecord): void {
    this.records.set(rec.id, rec);
    if (rec.clientRequestToken) this.byToken.set(rec.clientRequestToken, rec.id);
    const file = join(this.execDir, `${rec.id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(rec));
    renameSync(`${file}.tmp`, file);
  }

  resultPaths(id: string): ResultPaths {
    return { rows: join(this.resultDir, `${id}.rows`), idx: join(this.resultDir, `${id}.idx`), crc: join(this.resultDir, `${id}.crc`) };
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

  private async readHeld(id: string, result: StoredResult, from: number, to: number): Promise<Cell[][]> {
    const paths = this.resultPaths(id);
    const damaged = (file: string, why: string): DamagedStore => {
      this.logger?.error({ file, executionId: id }, `damaged result file: ${why}`);
      return new DamagedStore(`The result of query execution ${id} is damaged: ${file.slice(this.resultDir.length + 1)} ${why}`);
    };
    const idxBytes = (result.rowCount + 1) * 8;
    const crcBytes = result.checksums === 'crc32' ? result.rowCount * 4 : 0;
    const rowsBytes = result.bytes - indexBytes(result);
    const [idx, rows, crc] = await Promise.all([
      open(paths.idx, 'r').catch(() => undefined),
      open(paths.rows, 'r').catch(() => undefined),
      result.checksums === 'crc32' ? open(paths.crc, 'r').catch(() => undefined) : undefined,
    ]);
    try {
      if (!idx) throw damaged(paths.idx, 'is missing');
      if (!rows) throw damaged(paths.rows, 'is missing');
      if (result.checksums === 'crc32' && !crc) throw damaged(paths.crc, 'is missing');
      const [idxSize, rowsSize] = [(await idx.stat()).size, (await rows.stat()).size];
      if (idxSize !== idxBytes) throw damaged(paths.idx, `is ${idxSize} bytes, expected ${idxBytes}`);
      if (rowsSize !== rowsBytes) throw damaged(paths.rows, `is ${rowsSize} bytes, expected ${rowsBytes}`);
      const crcSize = crc ? (await crc.stat()).size : 0;
      if (crcSize !== crcBytes) throw damaged(paths.crc, `is ${crcSize} bytes, expected ${crcBytes}`);
      const offsets = new Float64Array(to - from + 1);
      await idx.read(new Uint8Array(offsets.buffer), 0, offsets.byteLength, from * 8);
      const sums = crc ? new Uint32Array(to - from) : undefined;
      if (crc && sums) await crc.read(new Uint8Array(sums.buffer), 0, sums.byteLength, from * 4);
      for (let i = 0; i < offsets.length; i++) {
        const o = offsets[i];
        if (!Number.isSafeInteger(o) || o < 0 || o > rowsBytes || (i > 0 && o <= offsets[i - 1])) {
          throw damaged(paths.idx, `entry ${from + i} (${o}) is not an offset into the rows file`);
        }
      }
      const start = offsets[0];
      const buf = Buffer.alloc(offsets[to - from] - start);
      await rows.read(buf, 0, buf.length, start);
      const out: Cell[][] = [];
      for (let i = 0; i < to - from; i++) {
        const line = buf.subarray(offsets[i] - start, offsets[i + 1] - start);
        if (sums && crc32(line) !== sums[i]) throw damaged(paths.rows, `row ${from + i} does not match its checksum`);
        let row: unknown;
        try {
          if (line[line.length - 1] !== 0x0a) throw new Error('no line end');
          row = JSON.parse(line.toString('utf8'));
        } catch {
          throw damaged(paths.rows, `row ${from + i} is not a JSON line`);
        }
        if (!Array.isArray(row) || row.length !== result.columns.length || !row.every((c) => c === null || typeof c === 'string')) {
          throw damaged(paths.rows, `row ${from + i} is not a row of ${result.columns.length} cells`);
        }
        out.push(row as Cell[]);
      }
      return out;
    } finally {
      await idx?.close();
      await rows?.close();
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
    rmSync(join(this.execDir, `${r.id}.json`), { force: true });
    removeResultFiles(this.resultPaths(r.id));
  }
}
