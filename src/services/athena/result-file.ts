/**
 * Reading a result from the file Athena wrote to S3 (`<OutputLocation>/<id>.csv`) instead of through
 * GetQueryResults, 1,000 rows a call: the fast path PyAthena's S3 cursors and AWS SDK for pandas take.
 *
 * A result is read in the same pages as GetQueryResults makes (page 0 holds the rows after the header row,
 * 999 of them when Athena counts the header against MaxResults; every later page 1,000), so a page, and a
 * cursor naming one, is the same whichever way it was read, and either way can take over from the other.
 * Page 0 always comes from GetQueryResults: it carries the column types the cells are decoded with.
 *
 * The file is read with ranged, streamed GETs through a scanner built for Athena's CSV (csv.ts). Where each
 * page starts in the file is learnt as pages are scanned and kept (a number per 1,000 rows, shared by every
 * reader of the result), so a page anywhere costs one ranged GET from the nearest known start, not a scan
 * from the top. A GET is left open after its page, paused, for the reader that most likely comes next
 * (paging goes forward; prefetch asks for the next pages at once): it then costs no new request at all.
 * Later GETs carry `If-Match` with the first one's ETag, so the pages of one result all come from one file.
 *
 * A result cannot always be read this way: no permission (AccessDenied), no object (NoSuchKey, NoSuchBucket),
 * another region's bucket (PermanentRedirect), encrypted with a key the service does not hold (SSE-C:
 * InvalidRequest; KMS), client-side encrypted (CSE_KMS: the object's envelope metadata), a file that is not
 * Athena's CSV or changed since (PreconditionFailed). Then it is read with GetQueryResults instead, and the
 * reason logged once per execution (`ResultFiles.fallback`).
 */
import { GetObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { CsvFormatError, scanCsvRows } from './csv';
import type { Cells } from './decoders/values';

/** Athena's largest page (result-pages.ts keeps the same size for the same pages). */
const PAGE_SIZE = 1000;
/** Pages a paused GET may skip forward to serve a page, rather than a new GET at that page's start. */
const SKIP_PAGES = 8;
/** Paused GETs kept open, over all results; the least recently used is closed past it. */
const MAX_OPEN_READERS = 16;
/** A paused GET nobody has asked anything of for this long is closed. */
const READER_IDLE_MS = 15_000;
/** Results whose file state (where it is, its pages' starts, why it is not read) is kept. */
const MAX_FILES = 512;
/** Executions whose fallback reason was logged, so each is logged once. */
const MAX_LOGGED = 4096;

/** Why a result is read with GetQueryResults; `permanent` ones are not tried again for that execution. */
export class ResultFileUnreadable extends Error {
  override name = 'ResultFileUnreadable';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

/** S3's refusals that mean the file cannot be read by this service, as opposed to a passing failure. */
const CANNOT_READ = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchKey',
  'NoSuchBucket',
  'NotFound',
  'PermanentRedirect',
  'InvalidRequest',
  'InvalidObjectState',
  'PreconditionFailed',
]);

/** What an S3 failure means for reading the file: its reason, and whether it is worth trying again. */
export function unreadable(err: unknown, what: string): ResultFileUnreadable {
  if (err instanceof ResultFileUnreadable) return err;
  if (err instanceof CsvFormatError) return new ResultFileUnreadable(`${what} is not Athena's CSV: ${err.message}`, true);
  if (err instanceof S3ServiceException) {
    const status = err.$metadata?.httpStatusCode;
    const permanent = CANNOT_READ.has(err.name) || err.name.startsWith('KMS.') || status === 301 || status === 403 || status === 404 || status === 412;
    return new ResultFileUnreadable(`S3 refused ${what}: ${err.name}${status ? ` (HTTP ${status})` : ''}: ${err.message}`, permanent);
  }
  const e = err as Error;
  return new ResultFileUnreadable(`reading ${what} from S3 failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, false);
}

/** Where a result's file is, and what its page 0 (read with GetQueryResults) told about it. */
export interface ResultFileSpec {
  id: string;
  bucket: string;
  key: string;
  /** Column labels: the file's header line must be exactly these. */
  labels: readonly string[];
  /** Data rows of page 0. */
  firstPageRows: number;
}

/** One page's cells as the file holds them; `last` when the file ends with it. */
export interface FilePage {
  cells: Cells[];
  last: boolean;
}

class Reader {
  /** The page whose first row is next in the stream (-1: the header line). */
  page: number;
  /** The page it will be at once the work queued on it is done. */
  next: number;
  offset: number;
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  ended = false;
  /** Closed (dropped, or its GET failed): nothing more may be read from it. */
  closed = false;
  busy: Promise<unknown> = Promise.resolve();
  lastUsed = Date.now();
  /** The GET's body, once S3 has answered. */
  it: AsyncIterator<Uint8Array> | undefined;
  readonly abort = new AbortController();
  constructor(
    page: number,
    offset: number,
    readonly file: ResultFile,
    /** A stream's own GET (GET /results), never parked for others. */
    readonly own = false,
  ) {
    this.page = page;
    this.next = page;
    this.offset = offset;
  }

  /** Reads (or, with `out` null, only counts) up to `n` rows; fewer when the file ends. */
  async rows(n: number, out: Cells[] | null): Promise<number> {
    const width = this.file.spec.labels.length;
    let got = 0;
    for (;;) {
      if (this.closed) throw new Error('the GET was closed');
      if (this.pos < this.buf.length) {
        const stop = scanCsvRows(this.buf, this.pos, this.buf.length, width, out, n - got, this.ended);
        got += stop.rows;
        this.offset += stop.end - this.pos;
        this.pos = stop.end;
        if (got === n) return got;
      }
      if (this.ended) return got;
      const chunk = await this.it!.next();
      if (chunk.done) {
        this.ended = true;
        if (this.pos >= this.buf.length) return got;
        continue;
      }
      const rest = this.buf.length - this.pos;
      this.buf = rest === 0 ? Buffer.from(chunk.value.buffer, chunk.value.byteOffset, chunk.value.byteLength) : Buffer.concat([this.buf.subarray(this.pos), chunk.value]);
      this.pos = 0;
    }
  }

  get atEnd(): boolean {
    return this.ended && this.pos >= this.buf.length;
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    // The body's socket is released by the abort; a pending read of it ends with an AbortError.
    this.ended = true;
    this.buf = Buffer.alloc(0);
    this.pos = 0;
  }
}

/** One result's file: where its pages start (as far as known) and the GETs open on it. */
export class ResultFile {
  /** starts[p + 1]: the byte offset of page p's first row (starts[0]: the header line, at 0). */
  private readonly starts: number[] = [0];
  readonly readers = new Set<Reader>();
  size: number | undefined;
  etag: string | undefined;

  constructor(
    readonly spec: ResultFileSpec,
    private readonly files: ResultFiles,
  ) {}

  private rowsOf(page: number): number {
    return page < 0 ? 1 : page === 0 ? this.spec.firstPageRows : PAGE_SIZE;
  }

  /** The known page start at or before `page` (as [page, offset]), -1 being the header line at 0. */
  private nearestStart(page: number): [number, number] {
    const p = Math.min(page, this.starts.length - 2);
    return [p, this.starts[p + 1]!];
  }

  private learn(page: number, offset: number): void {
    if (page + 1 === this.starts.length) this.starts.push(offset);
  }

  /**
   * Page `page` (≥ 1) of the result, from a paused GET near it or a new one from its nearest known start.
   * Work on one GET is queued in page order, and a new GET is known (and queued on) from the moment it is
   * asked for, so the pages prefetch asks for next share it instead of each making their own.
   */
  cells(page: number): Promise<FilePage> {
    let reader: Reader | undefined;
    for (const r of this.readers) {
      if (r.next <= page && page - r.next <= SKIP_PAGES && (!reader || r.next > reader.next)) reader = r;
    }
    if (!reader) {
      const [at, offset] = this.nearestStart(page);
      reader = new Reader(at, offset, this);
      this.readers.add(reader);
      const opening = this.start(reader);
      reader.busy = opening.catch(() => undefined);
      // A failed GET fails the page that opened it; pages queued behind it each try anew.
      const r = reader;
      reader.next = page + 1;
      const done = opening.then(() => this.read(r, page));
      r.busy = done.catch(() => undefined);
      return done;
    }
    const r = reader;
    r.next = page + 1;
    const work = (): Promise<FilePage> => (r.it && !r.closed ? this.read(r, page) : this.cells(page));
    const done = r.busy.then(work, work);
    r.busy = done.catch(() => undefined);
    return done;
  }

  private async read(r: Reader, page: number): Promise<FilePage> {
    r.lastUsed = Date.now();
    try {
      while (r.page < page) {
        if (r.page < 0) {
          // The header line: it must name exactly the result's columns, or this is some other file.
          const header: Cells[] = [];
          await r.rows(1, header);
          const labels = header[0];
          if (!labels || labels.length !== this.spec.labels.length || labels.some((l, i) => l !== this.spec.labels[i])) {
            throw new ResultFileUnreadable(`the header of s3://${this.spec.bucket}/${this.spec.key} is not the result's columns`, true);
          }
        } else {
          const want = this.rowsOf(r.page);
          if ((await r.rows(want, null)) !== want) return { cells: [], last: true };
        }
        r.page++;
        this.learn(r.page, r.offset);
      }
      const cells: Cells[] = [];
      await r.rows(this.rowsOf(page), cells);
      r.page = page + 1;
      r.next = Math.max(r.next, r.page);
      this.learn(r.page, r.offset);
      const last = r.atEnd || (this.size !== undefined && r.offset >= this.size);
      if (r.own) return { cells, last };
      if (last) this.drop(r);
      else this.files.parked(r);
      return { cells, last };
    } catch (err) {
      if (!r.own) this.drop(r);
      throw unreadable(err, `s3://${this.spec.bucket}/${this.spec.key}`);
    }
  }

  /** Starts the reader's GET at its offset. */
  private async start(reader: Reader): Promise<void> {
    // Nothing to read at the end of the file (a page asked for past the last): S3 would refuse the range.
    if (this.size !== undefined && reader.offset >= this.size) {
      reader.it = (async function* () {})();
      return;
    }
    let out;
    try {
      out = await this.files.get(this.spec.bucket, this.spec.key, reader.offset, this.etag, reader.abort.signal);
    } catch (err) {
      if (err instanceof S3ServiceException && err.$metadata?.httpStatusCode === 416 && reader.offset > 0) {
        // The range starts at the end of the file: the file ends where the last page read ended.
        this.size ??= reader.offset;
        reader.it = (async function* () {})();
        return;
      }
      this.drop(reader);
      throw unreadable(err, `s3://${this.spec.bucket}/${this.spec.key}`);
    }
    const metadata = out.Metadata ?? {};
    const body = out.Body as Readable | undefined;
    if ('x-amz-key-v2' in metadata || 'x-amz-key' in metadata || 'x-amz-cek-alg' in metadata) {
      this.drop(reader);
      throw new ResultFileUnreadable(`s3://${this.spec.bucket}/${this.spec.key} is client-side encrypted (CSE-KMS); the service does not decrypt it`, true);
    }
    if (!body) {
      this.drop(reader);
      throw new ResultFileUnreadable(`S3 sent no body for s3://${this.spec.bucket}/${this.spec.key}`, false);
    }
    this.etag ??= out.ETag;
    const total = /\/(\d+)$/.exec(out.ContentRange ?? '')?.[1];
    this.size ??= total !== undefined ? Number(total) : reader.offset + (out.ContentLength ?? 0);
    reader.it = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  }

  drop(r: Reader): void {
    r.close();
    this.readers.delete(r);
    this.files.unparked(r);
  }

  /** Every row from page `from` on, a page at a time, through one GET of its own (GET /results). */
  async *pages(from: number): AsyncGenerator<FilePage> {
    const [at, offset] = this.nearestStart(from);
    const r = new Reader(at, offset, this, true);
    try {
      await this.start(r);
      for (let page = from; ; page++) {
        const got = await this.read(r, page);
        yield got;
        if (got.last) return;
      }
    } finally {
      r.close();
    }
  }
}

export interface ResultFilesOptions {
  /** False: every result is read with GetQueryResults (`athena.resultsFromS3: false`). */
  enabled: boolean;
  logger?: Logger;
  /** The owning service's call options: its abort signal ends every GET when the app stops. */
  call?: { abortSignal?: AbortSignal };
}

/** The result files of every result being read, shared by every request (AthenaService owns one). */
export class ResultFiles {
  private readonly files = new Map<string, ResultFile | null>();
  private readonly logged = new Set<string>();
  /** GETs paused between pages, least recently used first. */
  private readonly open = new Set<Reader>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly s3: S3Client | undefined,
    private readonly options: ResultFilesOptions,
  ) {}

  get enabled(): boolean {
    return this.options.enabled && this.s3 !== undefined;
  }

  /** The file of a result (`spec` made on first use), or null when the result is read with GetQueryResults. */
  file(id: string, spec: () => ResultFileSpec | null): ResultFile | null {
    if (!this.enabled) return null;
    let file = this.files.get(id);
    if (file === undefined) {
      const s = spec();
      file = s === null ? null : new ResultFile(s, this);
      if (this.files.size >= MAX_FILES) {
        const [oldest, f] = this.files.entries().next().value!;
        for (const r of f?.readers ?? []) f!.drop(r);
        this.files.delete(oldest);
      }
      this.files.set(id, file);
    }
    return file;
  }

  /**
   * The result is read with GetQueryResults from now on (a permanent reason) or for this request: the
   * reason is logged once per execution.
   */
  fallback(id: string, reason: ResultFileUnreadable): void {
    if (reason.permanent) {
      const file = this.files.get(id);
      for (const r of file?.readers ?? []) file!.drop(r);
      this.files.set(id, null);
    }
    if (this.logged.has(id)) return;
    if (this.logged.size >= MAX_LOGGED) this.logged.delete(this.logged.values().next().value!);
    this.logged.add(id);
    this.options.logger?.warn({ queryExecutionId: id, reason: reason.message, permanent: reason.permanent }, 'reading the result with GetQueryResults: its file in S3 cannot be read');
  }

  /** One ranged GET from `offset` to the end, on the ETag of the first GET once there is one. */
  get(bucket: string, key: string, offset: number, etag: string | undefined, signal: AbortSignal) {
    const signals = [signal, ...(this.options.call?.abortSignal ? [this.options.call.abortSignal] : [])];
    return this.s3!.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-`, ...(etag ? { IfMatch: etag } : {}) }), {
      abortSignal: signals.length === 1 ? signal : AbortSignal.any(signals),
    });
  }

  /** A GET paused between pages: kept for the reader likely to come next, within the bounds above. */
  parked(r: Reader): void {
    this.open.delete(r);
    this.open.add(r);
    while (this.open.size > MAX_OPEN_READERS) {
      const oldest = this.open.values().next().value!;
      oldest.file.drop(oldest);
    }
    this.sweeper ??= setInterval(() => this.sweep(), READER_IDLE_MS).unref();
  }

  unparked(r: Reader): void {
    this.open.delete(r);
  }

  private sweep(): void {
    const now = Date.now();
    for (const r of this.open) if (now - r.lastUsed >= READER_IDLE_MS) r.file.drop(r);
    if (this.open.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  close(): void {
    for (const r of this.open) r.file.drop(r);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
