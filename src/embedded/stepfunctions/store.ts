/**
 * State machines, executions and their histories on disk, so runs started before a restart are still
 * described, listed and paged afterwards.
 *
 * Layout under `<dataDir>/stepfunctions/`:
 * - `machines/<seq>.json`      one state machine (written atomically: temp file + rename)
 * - `executions/<seq>.json`    one execution record (written atomically on start and on its end)
 * - `executions/<seq>.events`  its history, one event per line, appended as it happens
 * Files are named by sequence number, never by a user's name, so no name can reach outside the directory.
 * A crash can tear at most the last history line (appends are single writes); a torn or otherwise damaged
 * file is skipped with a log line naming it, never a failed start.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export interface MachineRecord {
  seq: number;
  name: string;
  arn: string;
  definition: string;
  roleArn: string;
  /** Epoch milliseconds. */
  creationDate: number;
}

export interface ExecutionRecord {
  seq: number;
  arn: string;
  name: string;
  machineArn: string;
  status: ExecutionStatus;
  input: string;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
}

/** One history event in AWS's shape, `timestamp` in epoch milliseconds; `<type>EventDetails` members as AWS names them. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/**
 * A history file larger than the store reads: one the byte bound did not exist for (a flood wrote 4 GB,
 * past what one string can hold), or one changed by hand. It is never read whole.
 */
export class HistoryTooLarge extends Error {
  override name = 'HistoryTooLarge';
  constructor(
    readonly file: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`history is ${bytes} bytes, over the embedded endpoint's limit of ${limit} bytes`);
  }
}

/** One history line as an event, or undefined when it is not one (torn, edited). */
function parseEvent(line: string): HistoryEvent | undefined {
  try {
    const ev = JSON.parse(line) as HistoryEvent;
    if (ev !== null && typeof ev === 'object' && typeof ev.id === 'number' && typeof ev.type === 'string') return ev;
  } catch {
    // not an event
  }
  return undefined;
}

function withFile<T>(file: string, use: (fd: number) => T): T {
  const fd = openSync(file, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.alloc(end - start);
  readSync(fd, buf, 0, buf.length, start);
  return buf;
}

/** Where the line holding byte `end - 1` starts: just after the last newline before `end`, found chunk by chunk from the end. */
function lineStart(fd: number, end: number): number {
  const CHUNK = 1024 * 1024;
  for (let pos = end; pos > 0; ) {
    const from = Math.max(0, pos - CHUNK);
    const i = readRange(fd, from, pos).lastIndexOf(0x0a);
    if (i >= 0) return from + i + 1;
    pos = from;
  }
  return 0;
}

export class SfnStore {
  private readonly machineDir: string;
  private readonly execDir: string;

  /** `maxReadBytes`: the largest history file read (the execution byte bound plus its closing events). */
  constructor(
    dataDir: string,
    private readonly logger?: Logger,
    private readonly maxReadBytes = Infinity,
  ) {
    this.machineDir = join(dataDir, 'stepfunctions', 'machines');
    this.execDir = join(dataDir, 'stepfunctions', 'executions');
    mkdirSync(this.machineDir, { recursive: true });
    mkdirSync(this.execDir, { recursive: true });
  }

  loadMachines(): MachineRecord[] {
    return this.loadDir<MachineRecord>(this.machineDir, (r) => typeof r.arn === 'string' && typeof r.definition === 'string' && Number.isInteger(r.seq));
  }

  loadExecutions(): ExecutionRecord[] {
    return this.loadDir<ExecutionRecord>(
      this.execDir,
      (r) => typeof r.arn === 'string' && typeof r.machineArn === 'string' && Number.isInteger(r.seq) && typeof r.status === 'string',
    );
  }

  saveMachine(rec: MachineRecord): void {
    this.writeAtomic(join(this.machineDir, `${rec.seq}.json`), JSON.stringify(rec));
  }

  saveExecution(rec: ExecutionRecord): void {
    this.writeAtomic(join(this.execDir, `${rec.seq}.json`), JSON.stringify(rec));
  }

  /**
   * One event as one line (`JSON.stringify(event) + '\n'`, serialized by the caller, which counts its bytes):
   * a single append, so a kill -9 leaves whole lines plus at most one torn last line.
   */
  appendEvent(seq: number, line: Buffer): void {
    appendFileSync(join(this.execDir, `${seq}.events`), line);
  }

  /** Throws HistoryTooLarge, logged, when the history of `seq` is larger than the store reads. */
  checkHistorySize(seq: number): void {
    const file = join(this.execDir, `${seq}.events`);
    const bytes = existsSync(file) ? statSync(file).size : 0;
    if (bytes <= this.maxReadBytes) return;
    this.logger?.warn({ file, bytes, limit: this.maxReadBytes }, 'embedded Step Functions: skipping a history over the bound');
    throw new HistoryTooLarge(file, bytes, this.maxReadBytes);
  }

  /**
   * A history whose last line has no newline was torn by a crash mid-append. The file is cut back to its
   * last complete line, so the next event appended (the closing one a restart records) is a line of its
   * own rather than glued to the fragment, where it could never be read.
   */
  cutTornTail(seq: number): void {
    this.checkHistorySize(seq);
    const file = join(this.execDir, `${seq}.events`);
    if (!existsSync(file)) return;
    // Only the end of the file is read: a restart closes every execution the previous process left
    // running, and reading each whole history to find its end cost memory a restarted endpoint may not have.
    const size = statSync(file).size;
    const keep = withFile(file, (fd) => (size === 0 || readRange(fd, size - 1, size)[0] === 0x0a ? size : lineStart(fd, size)));
    if (keep === size) return;
    truncateSync(file, keep);
    this.logger?.warn({ file, bytes: size - keep }, 'embedded Step Functions: cut a torn last history line');
  }

  /** The last event of a history whose last line is whole (see cutTornTail), read from the file's end; damaged lines are skipped. */
  lastEvent(seq: number): HistoryEvent | undefined {
    const file = join(this.execDir, `${seq}.events`);
    if (!existsSync(file)) return undefined;
    return withFile(file, (fd) => {
      for (let end = statSync(file).size; end > 0; ) {
        const start = lineStart(fd, end - 1);
        const ev = parseEvent(readRange(fd, start, end - 1).toString('utf8'));
        if (ev) return ev;
        this.logger?.warn({ file, offset: start }, 'embedded Step Functions: skipping a damaged history line');
        end = start;
      }
      return undefined;
    });
  }

  /** The stored history; damaged lines (a torn last line after a crash) are skipped and logged. HistoryTooLarge past the bound. */
  readEvents(seq: number): HistoryEvent[] {
    const file = join(this.execDir, `${seq}.events`);
    if (!existsSync(file)) return [];
    this.checkHistorySize(seq);
    const out: HistoryEvent[] = [];
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      const ev = parseEvent(line);
      if (ev) out.push(ev);
      else this.logger?.warn({ file, line: i + 1 }, 'embedded Step Functions: skipping a damaged history line');
    });
    return out;
  }

  /** Bytes of the history file of `seq` (0 when it has none). */
  historyBytes(seq: number): number {
    const file = join(this.execDir, `${seq}.events`);
    return existsSync(file) ? statSync(file).size : 0;
  }

  removeExecution(seq: number): void {
    rmSync(join(this.execDir, `${seq}.json`), { force: true });
    rmSync(join(this.execDir, `${seq}.events`), { force: true });
  }

  private loadDir<T>(dir: string, valid: (r: T) => boolean): T[] {
    const out: T[] = [];
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json')) continue;
      const file = join(dir, f);
      try {
        const rec = JSON.parse(readFileSync(file, 'utf8')) as T;
        if (rec !== null && typeof rec === 'object' && valid(rec)) {
          out.push(rec);
          continue;
        }
      } catch {
        // reported below
      }
      this.logger?.warn({ file }, 'embedded Step Functions: skipping a damaged record');
    }
    return out;
  }

  private writeAtomic(file: string, text: string): void {
    try {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      // A full disk leaves no half-written temp file behind to take what space there is.
      rmSync(`${file}.tmp`, { force: true });
      throw err;
    }
  }
}
