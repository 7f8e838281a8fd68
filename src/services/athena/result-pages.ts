/**
 * Reading a SUCCEEDED execution's results a page at a time, decoded, shared by every request through a
 * byte-bounded cache (results of SUCCEEDED queries never change), and fetched ahead of a reader (prefetch)
 * so the wait for the next pages overlaps the reader's work. Page 0 comes from GetQueryResults (it carries
 * the column types); a result past it is read from the file Athena wrote to S3 where it can be
 * (result-file.ts), else with GetQueryResults too. The pages are the same either way, so a cursor is too.
 */
import { GetQueryResultsCommand, type AthenaClient, type ColumnInfo } from '@aws-sdk/client-athena';
import { CodedError, ErrorCode } from '../../errors';
import type { Execution } from './athena.service';
import type { DecodedColumn, TypedValue } from './decode';
import type { Cells } from './decoders/values';
import { DecoderCache } from './decoder-cache';
import { columnsOf, dataRows } from './pages';
import { ByteBoundedLru } from './result-cache';
import { ResultFileUnreadable, unreadable, type ResultFile, type ResultFiles } from './result-file';
import { parseS3Uri } from './s3-location';
import { backendError, isRefused } from './sdk-errors';

/** One page of a result, decoded. Positional values and the raw text side by side. */
export interface ResultPage {
  columns: readonly DecodedColumn[];
  /** The ColumnInfo as Athena sent it with page 0, which every page of the result is decoded by. */
  columnInfo: readonly ColumnInfo[];
  values: TypedValue[][];
  raw: (string | null)[][];
  /** Which page: 0 is the first (GetQueryResults' page without a token). */
  page: number;
  /** The GetQueryResults token this page was fetched with; null for page 0 and for a page read from S3. */
  token: string | null;
  /** Athena's token for the following page when this page came from GetQueryResults; else null. */
  nextToken: string | null;
  /** No page follows. */
  last: boolean;
  /** The rows an INSERT INTO or CTAS wrote (Athena's UpdateCount); 0 for a query, null when Athena gave none. */
  updateCount: number | null;
}

/**
 * A page to read: its number, and the GetQueryResults token that reaches it if one is known (page 0 needs
 * none). `page` is undefined for a cursor of an older gapwatch, which named its page by token alone.
 */
export interface PageRef {
  page: number | undefined;
  token: string | null;
}

export const FIRST_PAGE: PageRef = { page: 0, token: null };

/** The page after this one. */
export function nextRef(page: ResultPage): PageRef {
  return { page: page.page + 1, token: page.nextToken };
}

interface PendingPage {
  page: Promise<ResultPage>;
  /** The page after it (its token if GetQueryResults gave one), null when none follows; known early. */
  next: Promise<PageRef | null>;
}

/** Athena's largest page; pages are always fetched at this size so their tokens are stable cache keys. */
export const PAGE_SIZE = 1000;

/**
 * Athena refused a page token (InvalidRequestException on a GetQueryResults that carried one): the token
 * came from a client's cursor and is not one Athena issued for this execution. The paging layer turns it
 * into BAD_USER_INPUT on the cursor's argument.
 */
export class PageTokenRejected extends Error {
  override name = 'PageTokenRejected';
}

export class ResultPages {
  private readonly pages: ByteBoundedLru<ResultPage>;
  private readonly inflight = new Map<string, PendingPage>();
  private readonly decoders = new DecoderCache();
  /**
   * NextTokens Athena has issued, by execution, with the page each reaches: the pages the cache may keep
   * (see `pending`), and the tokens a page read from S3 lacks when a result falls back to GetQueryResults.
   */
  private readonly issued = new ByteBoundedLru<number>(4 * 1024 * 1024);
  private readonly tokens = new ByteBoundedLru<string>(4 * 1024 * 1024);

  /** `get`: the execution as Athena reports it, to tell why GetQueryResults refused (see `fetchPage`). */
  constructor(
    private readonly client: AthenaClient,
    cacheBytes: number,
    private readonly get: (id: string) => Promise<Execution>,
    /** The owning service's call options: its abort signal ends a fetch when the app stops. */
    private readonly call: { abortSignal?: AbortSignal } = {},
    /** The result files in S3, read where they can be; absent: GetQueryResults only. */
    private readonly files?: ResultFiles,
  ) {
    // A quarter of the bound for pages read once: a client paging through a large result holds at most
    // that, and pages that clients come back to (page 1 of a popular result) stay in the rest.
    this.pages = new ByteBoundedLru(cacheBytes, { probationShare: 0.25 });
  }

  /** How the shared page cache is doing: lookups answered from it, lookups not, and bytes held. */
  cacheStats(): { hits: number; misses: number; bytes: number } {
    return { hits: this.pages.hits, misses: this.pages.misses, bytes: this.pages.bytes };
  }

  /**
   * One page of a SUCCEEDED query's results, decoded; null is page 0. Cached by execution, page and hints,
   * since such results never change.
   */
  async page(id: string, ref: PageRef | null, hints?: Readonly<Record<string, string>>): Promise<ResultPage> {
    return this.pending(id, this.known(id, ref ?? FIRST_PAGE), hints).page;
  }

  /** A reference with its page number: an older cursor's token is known only if Athena issued it here. */
  private known(id: string, ref: PageRef): { page: number; token: string | null } {
    if (ref.page !== undefined) return { page: ref.page, token: ref.token };
    if (ref.token === null) return { page: 0, token: null };
    const page = this.issued.get(issuedKey(id, ref.token));
    if (page === undefined) throw new PageTokenRejected('the cursor is from an older gapwatch; page again from the start');
    return { page, token: ref.token };
  }

  /**
   * Starts fetching pages likely to be asked for next, without waiting for them, so the wait for them
   * overlaps the client's handling of the rows it already has: the page at `ref` and, as soon as each is
   * known to be there, the one after it, `depth` pages in all. Pages already cached or on their way cost
   * nothing. A failure is left for the real request.
   */
  prefetch(id: string, ref: PageRef, hints?: Readonly<Record<string, string>>, depth = 1): void {
    let pending: PendingPage;
    try {
      pending = this.pending(id, this.known(id, ref), hints);
    } catch {
      return;
    }
    pending.page.catch(() => {});
    if (depth > 1) {
      void pending.next.then((next) => {
        if (next) this.prefetch(id, next, hints, depth - 1);
      });
    }
  }

  /**
   * The page, and its NextToken as soon as it is known. A page on its way is never fetched twice.
   *
   * The cache is shared by every client, and a reference comes from a client's cursor, so what it holds
   * must not depend on anything a client chose: the key is the page's number, and a page is kept only when
   * its content follows from that number alone — page 0, a page read from the result's file, or one
   * reached by a token Athena itself issued for that page (a page's NextToken). A page at any other token
   * is served to its asker, once.
   */
  private pending(id: string, ref: { page: number; token: string | null }, hints?: Readonly<Record<string, string>>): PendingPage {
    const key = JSON.stringify([id, ref.page, hints ?? null]);
    const cached = this.pages.get(key);
    if (cached) return { page: Promise.resolve(cached), next: Promise.resolve(cached.last ? null : nextRef(cached)) };
    // A token Athena did not issue for this page here may reach another one: its fetch is its own.
    const trusted = ref.token === null || this.issued.get(issuedKey(id, ref.token)) === ref.page;
    const flight = trusted ? key : JSON.stringify([id, ref.page, hints ?? null, ref.token]);
    let pending = this.inflight.get(flight);
    if (!pending) {
      let announce!: (next: PageRef | null) => void;
      const next = new Promise<PageRef | null>((resolve) => (announce = resolve));
      const page = this.fetch(id, ref, hints, announce).then(
        ({ page, keep }) => {
          this.inflight.delete(flight);
          if (keep) this.pages.set(key, page, pageBytes(page.raw, page.values));
          return page;
        },
        (err: unknown) => {
          this.inflight.delete(flight);
          announce(null);
          throw err;
        },
      );
      pending = { page, next };
      this.inflight.set(flight, pending);
    }
    return pending;
  }

  /**
   * A page from the result's file where it can be read, else from GetQueryResults. `announce` gets the
   * next page as soon as it is known to be there (null: none follows), so a prefetch chain can ask for it
   * before this page is decoded. `keep`: the page's content follows from its number (see `pending`).
   */
  private async fetch(
    id: string,
    ref: { page: number; token: string | null },
    hints: Readonly<Record<string, string>> | undefined,
    announce: (next: PageRef | null) => void,
  ): Promise<{ page: ResultPage; keep: boolean }> {
    if (ref.page > 0) {
      const file = await this.fileOf(id, hints);
      if (file) {
        try {
          const got = await file.cells(ref.page);
          announce(got.last ? null : { page: ref.page + 1, token: this.tokens.get(tokenKey(id, ref.page + 1)) ?? null });
          const first = await this.page(id, FIRST_PAGE, hints);
          const decoder = this.decoders.for(id, [...first.columnInfo], hints);
          const page: ResultPage = {
            columns: decoder.columns,
            columnInfo: first.columnInfo,
            values: decoder.decodeRows(got.cells),
            raw: got.cells,
            page: ref.page,
            token: null,
            nextToken: this.tokens.get(tokenKey(id, ref.page + 1)) ?? null,
            last: got.last,
            updateCount: first.updateCount,
          };
          return { page, keep: true };
        } catch (err) {
          this.files!.fallback(id, unreadable(err, 'the result file'));
        }
      }
    }
    const token = ref.page === 0 ? null : (ref.token ?? (await this.tokenFor(id, ref.page, hints)));
    const page = await this.fetchPage(id, ref.page, token, hints, (next) => announce(next === null ? null : { page: ref.page + 1, token: next }));
    const keep = token === null || this.issued.get(issuedKey(id, token)) === ref.page;
    return { page, keep };
  }

  /**
   * The result's file, or null to read it with GetQueryResults: files off, not a DML result in a `.csv`
   * (DDL results are small, and `.txt`), one page only, or a client-side encrypted result.
   */
  private async fileOf(id: string, hints: Readonly<Record<string, string>> | undefined): Promise<ResultFile | null> {
    if (!this.files?.enabled) return null;
    const [execution, first] = await Promise.all([this.get(id), this.page(id, FIRST_PAGE, hints)]);
    return this.files.file(id, () => {
      const location = execution.outputLocation ? parseS3Uri(execution.outputLocation) : undefined;
      if (first.last || !location || !location.key.endsWith('.csv') || execution.statementType !== 'DML') return null;
      if (execution.resultEncryption === 'CSE_KMS') {
        this.files!.fallback(id, new ResultFileUnreadable('the result is client-side encrypted (CSE_KMS); the service does not decrypt it', true));
        return null;
      }
      return { id, bucket: location.bucket, key: location.key, labels: first.columnInfo.map((c) => c.Label ?? c.Name ?? ''), firstPageRows: first.values.length };
    });
  }

  /**
   * The GetQueryResults token of `page`: issued for it earlier, or by reading pages from the nearest one
   * whose token is known. Needed only when a result read from its file falls back part way.
   */
  private async tokenFor(id: string, page: number, hints: Readonly<Record<string, string>> | undefined): Promise<string> {
    let at = page;
    while (at > 0 && this.tokens.get(tokenKey(id, at)) === undefined) at--;
    let token = at === 0 ? null : this.tokens.get(tokenKey(id, at))!;
    for (; at < page; at++) {
      const got = await this.fetchPage(id, at, token, hints, () => undefined);
      if (got.nextToken === null) throw new PageTokenRejected(`page ${page} is past the result's last, page ${at}`);
      token = got.nextToken;
    }
    return token!;
  }

  private async fetchPage(
    id: string,
    number: number,
    token: string | null,
    hints: Readonly<Record<string, string>> | undefined,
    announce: (next: string | null) => void,
  ): Promise<ResultPage> {
    let out;
    try {
      out = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: PAGE_SIZE, ...(token !== null ? { NextToken: token } : {}) }),
        this.call,
      );
    } catch (err) {
      if (isRefused(err)) {
        // GetQueryResults refuses an unknown id, results that do not exist (yet) and a token it did not
        // issue alike: which one, Athena says only in prose, so ask it about the execution instead
        // (NOT_FOUND when it knows none). A token refused for a SUCCEEDED execution came from a cursor.
        const execution = await this.get(id);
        if (token !== null && execution.state === 'SUCCEEDED') throw new PageTokenRejected(err.message);
        throw new CodedError(ErrorCode.QUERY_NOT_READY, `results of query ${id} are not available: ${err.message}`, { queryExecutionId: id });
      }
      throw backendError(err, 'GetQueryResults');
    }
    // The rows are read below, on first use (protocol.ts); the token is known now. Whoever waits on it
    // (a prefetch chain) starts the next call, and that request goes out before this page is read.
    if (out.NextToken) {
      // A token is trusted with a page number only when it was reached from a page that was itself.
      if (token === null || this.issued.get(issuedKey(id, token)) === number) {
        this.issued.set(issuedKey(id, out.NextToken), number + 1, 128 + out.NextToken.length * 2);
        this.tokens.set(tokenKey(id, number + 1), out.NextToken, 128 + out.NextToken.length * 2);
      }
    }
    announce(out.NextToken ?? null);
    await new Promise((resolve) => setImmediate(resolve));
    let columns;
    let rows: Cells[];
    try {
      columns = columnsOf(out);
      // Only the page asked for without a token can hold the header row.
      rows = dataRows(out, token === null);
    } catch (err) {
      throw backendError(err, 'GetQueryResults'); // a body whose inside is not JSON (protocol.ts)
    }
    const decoder = this.decoders.for(id, columns, hints);
    const page: ResultPage = {
      columns: decoder.columns,
      columnInfo: columns,
      values: decoder.decodeRows(rows),
      raw: rows,
      page: number,
      token,
      nextToken: out.NextToken ?? null,
      last: !out.NextToken,
      updateCount: out.UpdateCount ?? null,
    };
    return page;
  }

  /**
   * Every page of a result in order, for a reader that wants them all (GET /results): decoded as `page`
   * decodes them but not kept in the cache (a whole result would only push out what other clients read).
   * Past page 0 they come through one GET of the result's file where it can be read; else, or from the
   * page where reading the file fails, from GetQueryResults with the next page always on its way. The
   * consumer pulls: nothing is read further ahead than the page after the one it is on.
   */
  async *stream(id: string, hints?: Readonly<Record<string, string>>): AsyncGenerator<ResultPage> {
    const first = await this.page(id, FIRST_PAGE, hints);
    yield first;
    if (first.last) return;
    let from = 1;
    const file = await this.fileOf(id, hints);
    if (file) {
      const decoder = this.decoders.for(id, [...first.columnInfo], hints);
      try {
        for await (const got of file.pages(1)) {
          yield {
            ...first,
            values: decoder.decodeRows(got.cells),
            raw: got.cells,
            page: from,
            token: null,
            nextToken: null,
            last: got.last,
          };
          if (got.last) return;
          from++;
        }
        return;
      } catch (err) {
        this.files!.fallback(id, unreadable(err, 'the result file'));
      }
    }
    const fetch = (page: number, token: string | null) => this.fetchPage(id, page, token, hints, () => undefined);
    let next = fetch(from, await this.tokenFor(id, from, hints));
    for (;;) {
      const page = await next;
      if (!page.last) {
        next = fetch(page.page + 1, page.nextToken);
        next.catch(() => {});
      }
      yield page;
      if (page.last) return;
    }
  }

  /**
   * Every page in order. Fetching page N+1 starts before page N is handed over, so the wait for it
   * overlaps the consumer's work on page N.
   */
  async *allPages(id: string, hints?: Readonly<Record<string, string>>): AsyncGenerator<ResultPage> {
    let page = await this.page(id, FIRST_PAGE, hints);
    for (;;) {
      if (!page.last) this.prefetch(id, nextRef(page), hints);
      yield page;
      if (page.last) return;
      page = await this.page(id, nextRef(page), hints);
    }
  }
}

function tokenKey(id: string, page: number): string {
  return `${id}\u0000#${page}`;
}

function issuedKey(id: string, token: string): string {
  return `${id}\u0000${token}`;
}

/*
 * What a decoded page holds on the heap, so that `athena.resultCacheMiB` bounds what the cache really keeps.
 * The old estimate (raw text ×4 plus 32 bytes a cell) was 2.2-2.5× short for a narrow numeric result and
 * for nested values, where arrays, not text, are most of a page (docs/performance.md). Sizes are V8's on
 * 64-bit Node without pointer compression: an array is a JSArray (32 bytes) and its backing store (16 + 8 a
 * slot); a cell row is built by push (result-json.ts), so its store has the slack push leaves; a string is
 * 16 bytes and its characters, one byte each when all are Latin-1; a number outside the small-integer range
 * is a 16-byte HeapNumber; an object 56 bytes and a slot per key. A decoded value that is the cell's own
 * string is counted once. Measured against the heap a cache of 101 pages held, for five result shapes
 * (numbers, booleans, text, decimals, nested), the heap held 1.00-1.04× what this counts.
 */
const ARRAY = 48;
const SLOT = 8;

/** The backing-store capacity V8 leaves after `n` pushes onto an empty array (grows to old + old/2 + 16). */
function pushedCapacity(n: number): number {
  let capacity = 0;
  while (capacity < n) capacity += (capacity >> 1) + 16;
  return capacity;
}

function stringBytes(s: string): number {
  // eslint-disable-next-line no-control-regex
  const width = /[^\u0000-\u00ff]/.test(s) ? 2 : 1;
  return 16 + ((s.length * width + 7) & ~7);
}

function valueBytes(v: TypedValue): number {
  if (v === null || typeof v === 'boolean') return 0;
  if (typeof v === 'number') return (v | 0) === v && !Object.is(v, -0) ? 0 : 16;
  if (typeof v === 'string') return stringBytes(v);
  if (Array.isArray(v)) {
    // Nested arrays are built by push too (decoders/nested.ts); a literal's exact store is counted as if.
    let bytes = ARRAY + SLOT * pushedCapacity(v.length);
    for (const item of v) bytes += valueBytes(item);
    return bytes;
  }
  let bytes = 56;
  for (const key in v) bytes += SLOT + valueBytes(v[key]!);
  return bytes;
}

/** The heap a decoded page holds: its cell rows and strings, and its value rows and what they add. */
export function pageBytes(raw: readonly (readonly (string | null)[])[], values: readonly (readonly TypedValue[])[]): number {
  let bytes = 256 + 2 * (ARRAY + SLOT * raw.length);
  for (let r = 0; r < raw.length; r++) {
    const cells = raw[r]!;
    const row = values[r] ?? [];
    bytes += ARRAY + SLOT * pushedCapacity(cells.length) + ARRAY + SLOT * row.length;
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c];
      if (typeof cell === 'string') bytes += stringBytes(cell);
      const value = row[c] ?? null;
      if (value !== cell) bytes += valueBytes(value);
    }
  }
  return bytes;
}
