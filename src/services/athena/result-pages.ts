/**
 * Reading a SUCCEEDED execution's results: one GetQueryResults page at a time, decoded, shared by every
 * request through a byte-bounded cache (results of SUCCEEDED queries never change), and fetched ahead of a
 * reader (prefetch) so Athena's latency overlaps the reader's work.
 */
import { GetQueryResultsCommand, type AthenaClient } from '@aws-sdk/client-athena';
import { CodedError, ErrorCode } from '../../errors';
import type { Execution } from './athena.service';
import type { DecodedColumn, TypedValue } from './decode';
import { DecoderCache } from './decoder-cache';
import { columnsOf, dataRows } from './pages';
import { ByteBoundedLru } from './result-cache';
import { backendError, isRefused } from './sdk-errors';

/** One GetQueryResults page, decoded. Positional values and the raw text side by side. */
export interface ResultPage {
  columns: readonly DecodedColumn[];
  values: TypedValue[][];
  raw: (string | null)[][];
  /** Athena's token for the following page; null on the last page. */
  nextToken: string | null;
  /** The rows an INSERT INTO or CTAS wrote (Athena's UpdateCount); 0 for a query, null when Athena gave none. */
  updateCount: number | null;
}

interface PendingPage {
  page: Promise<ResultPage>;
  /** The page's NextToken (null on the last page), known as soon as Athena has answered. */
  next: Promise<string | null>;
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
  /** NextTokens Athena has issued, by execution: the pages the cache may keep (see `pending`). */
  private readonly issued = new ByteBoundedLru<true>(4 * 1024 * 1024);

  /** `get`: the execution as Athena reports it, to tell why GetQueryResults refused (see `fetchPage`). */
  constructor(
    private readonly client: AthenaClient,
    cacheBytes: number,
    private readonly get: (id: string) => Promise<Execution>,
    /** The owning service's call options: its abort signal ends a fetch when the app stops. */
    private readonly call: { abortSignal?: AbortSignal } = {},
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
   * One page of a SUCCEEDED query's results, decoded; `token` null is the first page. Cached by execution,
   * token and hints, since such results never change.
   */
  page(id: string, token: string | null, hints?: Readonly<Record<string, string>>): Promise<ResultPage> {
    return this.pending(id, token, hints).page;
  }

  /**
   * Starts fetching pages likely to be asked for next, without waiting for them, so Athena's latency
   * overlaps the client's handling of the rows it already has: the page at `token` and, as soon as Athena
   * has answered for each (before it is read), the one after it, `depth` pages in all. Pages come one
   * after another (each NextToken is in the page before), so only a chain running ahead of the reader keeps
   * it from waiting. Pages already cached or on their way cost nothing. A failure is left for the real
   * request.
   */
  prefetch(id: string, token: string, hints?: Readonly<Record<string, string>>, depth = 1): void {
    const pending = this.pending(id, token, hints);
    pending.page.catch(() => {});
    if (depth > 1) {
      void pending.next.then((next) => {
        if (next) this.prefetch(id, next, hints, depth - 1);
      });
    }
  }

  /**
   * The page, and its NextToken as soon as Athena has answered. A page on its way is never fetched twice.
   *
   * The cache is shared by every client, and a token may come from a client's cursor, so what it holds
   * must not depend on anything a client chose: the key is the exact token (null, page 1, apart from
   * every string, '' included), and a page is kept only when it is page 1 or was reached by a token
   * Athena itself issued (a page's NextToken). A page at any other token is served to its asker, once.
   */
  private pending(id: string, token: string | null, hints?: Readonly<Record<string, string>>): PendingPage {
    const key = JSON.stringify([id, token, hints ?? null]);
    const cached = this.pages.get(key);
    if (cached) return { page: Promise.resolve(cached), next: Promise.resolve(cached.nextToken) };
    let pending = this.inflight.get(key);
    if (!pending) {
      let announce!: (next: string | null) => void;
      const next = new Promise<string | null>((resolve) => (announce = resolve));
      const page = this.fetchPage(id, token, hints, announce).then(
        (page) => {
          this.inflight.delete(key);
          if (token === null || this.issued.get(issuedKey(id, token))) this.pages.set(key, page, pageBytes(page.raw, page.values));
          return page;
        },
        (err: unknown) => {
          this.inflight.delete(key);
          announce(null);
          throw err;
        },
      );
      pending = { page, next };
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchPage(
    id: string,
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
    if (out.NextToken) this.issued.set(issuedKey(id, out.NextToken), true, 128 + out.NextToken.length * 2);
    announce(out.NextToken ?? null);
    await new Promise((resolve) => setImmediate(resolve));
    let columns;
    let rows;
    try {
      columns = columnsOf(out);
      // Only the page asked for without a token can hold the header row.
      rows = dataRows(out, token === null);
    } catch (err) {
      throw backendError(err, 'GetQueryResults'); // a body whose inside is not JSON (protocol.ts)
    }
    const decoder = this.decoders.for(id, columns, hints);
    return { columns: decoder.columns, values: decoder.decodeRows(rows), raw: rows, nextToken: out.NextToken ?? null, updateCount: out.UpdateCount ?? null };
  }

  /**
   * Every page in order. Fetching page N+1 starts before page N is handed over, so the network wait
   * overlaps the consumer's work on page N.
   */
  async *allPages(id: string, hints?: Readonly<Record<string, string>>): AsyncGenerator<ResultPage> {
    let page = await this.page(id, null, hints);
    for (;;) {
      if (page.nextToken) this.prefetch(id, page.nextToken, hints);
      yield page;
      if (!page.nextToken) return;
      page = await this.page(id, page.nextToken, hints);
    }
  }
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
