/**
 * Execution records and their results on disk, so an execution id handed out before a restart still
 * answers GetQueryExecution and GetQueryResults afterwards (users keep and reuse ids, as with Athena).
 *
 * Layout under `<dataDir>/athena/`:
 * - `executions/<id>.json`  one record per execution (small; written on submit and on every state change)
 * - `results/<id>.rows`     one JSON array of rendered cells per line (`null` = SQL NULL)
 * - `results/<id>.idx`      byte offset of every line start plus the end, as little-endian float64
 * The index lets a page of any size be read with two small reads, so paging a 100,000-row result never
 * re-runs the query nor reads the whole file.
 *
 * Bound: the newest `maxExecutions` executions are kept, and the oldest finished results are dropped while
 * result files exceed `maxResultBytes`; a dropped execution is forgotten as a whole, like an Athena
 * execution past its 45-day history.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
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
  bytes: number;
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
  maxResultBytes: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxExecutions: 10_000, maxResultBytes: 1024 * 1024 * 1024 };

/** Streams rendered rows of one result into its `.rows`/`.idx` pair. */
export class ResultWriter {
  private offsets: number[] = [0];
  private bytes = 0;
  private constructor(
    private readonly rows: FileHandle,
    private readonly paths: { rows: string; idx: string },
  ) {}

  static async create(paths: { rows: string; idx: string }): Promise<ResultWriter> {
    return new ResultWriter(await open(paths.rows, 'w'), paths);
  }

  async append(rows: readonly Cell[][]): Promise<void> {
    if (rows.length === 0) return;
    let text = '';
    for (const row of rows) {
      const line = JSON.stringify(row) + '\n';
      text += line;
      this.bytes += Buffer.byteLength(line);
      this.offsets.push(this.bytes);
    }
    await this.rows.write(text);
  }

  get rowCount(): number {
    return this.offsets.length - 1;
  }

  async finish(): Promise<number> {
    await this.rows.close();
    writeFileSync(this.paths.idx, Buffer.from(new Float64Array(this.offsets).buffer));
    return this.bytes + this.offsets.length * 8;
  }

  async abort(): Promise<void> {
    await this.rows.close().catch(() => undefined);
    rmSync(this.paths.rows, { force: true });
    rmSync(this.paths.idx, { force: true });
  }
}

export class ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly byToken = new Map<string, string>();
  private readonly execDir: string;
  private readonly resultDir: string;
  private nextSeq = 1;

  constructor(
    dataDir: string,
    private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
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
      let rec: ExecutionRecord;
      try {
        rec = JSON.parse(readFileSync(join(this.execDir, f), 'utf8')) as ExecutionRecord;
      } catch {
        continue; // a record torn by a crash mid-write: the temp+rename below makes this rare
      }
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
    for (const rec of interrupted) this.save(rec);
    return [...this.records.values()];
  }

  newSeq(): number {
    return this.nextSeq++;
  }

  get(id: string): ExecutionRecord | undefined {
    return this.records.get(id);
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

  resultPaths(id: string): { rows: string; idx: string } {
    return { rows: join(this.resultDir, `${id}.rows`), idx: join(this.resultDir, `${id}.idx`) };
  }

  /** Rows [from, to) of a stored result (data rows, header excluded). */
  async readRows(id: string, from: number, to: number): Promise<Cell[][]> {
    if (to <= from) return [];
    const paths = this.resultPaths(id);
    const idx = await open(paths.idx, 'r');
    const offsets = new Float64Array(to - from + 1);
    try {
      await idx.read(new Uint8Array(offsets.buffer), 0, offsets.byteLength, from * 8);
    } finally {
      await idx.close();
    }
    const start = offsets[0];
    const length = offsets[to - from] - start;
    const buf = Buffer.alloc(length);
    const rows = await open(paths.rows, 'r');
    try {
      await rows.read(buf, 0, length, start);
    } finally {
      await rows.close();
    }
    const text = buf.toString('utf8');
    const out: Cell[][] = [];
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      out.push(JSON.parse(text.slice(pos, nl)) as Cell[]);
      pos = nl + 1;
    }
    return out;
  }

  hasResultFiles(id: string): boolean {
    const p = this.resultPaths(id);
    return existsSync(p.rows) && existsSync(p.idx);
  }

  /** Applies the storage bound; never evicts an unfinished execution. Returns the evicted ids. */
  evict(): string[] {
    const finished = (r: ExecutionRecord): boolean => r.state !== 'QUEUED' && r.state !== 'RUNNING';
    const oldestFirst = [...this.records.values()].filter(finished).sort((a, b) => a.seq - b.seq);
    let count = this.records.size;
    let bytes = oldestFirst.reduce((s, r) => s + (r.result?.bytes ?? 0), 0);
    const evicted: string[] = [];
    for (const r of oldestFirst) {
      if (count <= this.limits.maxExecutions && bytes <= this.limits.maxResultBytes) break;
      this.forget(r);
      count--;
      bytes -= r.result?.bytes ?? 0;
      evicted.push(r.id);
    }
    return evicted;
  }

  private forget(r: ExecutionRecord): void {
    this.records.delete(r.id);
    if (r.clientRequestToken && this.byToken.get(r.clientRequestToken) === r.id) this.byToken.delete(r.clientRequestToken);
    const p = this.resultPaths(r.id);
    rmSync(join(this.execDir, `${r.id}.json`), { force: true });
    rmSync(p.rows, { force: true });
    rmSync(p.idx, { force: true });
  }
}
