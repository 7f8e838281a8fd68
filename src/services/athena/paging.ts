import { badInput } from '../../errors';
import type { AthenaService } from './athena.service';
import { FIRST_PAGE, nextRef, PAGE_SIZE, PageTokenRejected, type PageRef, type ResultPage } from './result-pages';
import type { DecodedColumn, TypedValue } from './decode';

/**
 * Relay-style paging over Athena results. A cursor names a row by its execution, the page it sits on (its
 * number, and the GetQueryResults token that reaches it when the page came from GetQueryResults) and its
 * index there, so asking for 100 rows after any cursor fetches at most the pages those rows sit on, never
 * the whole result: from the result's file in S3 by page number, or from GetQueryResults by token
 * (result-pages.ts). The pages are the same either way, so a cursor works on both.
 *
 * A cursor is the client's to send back, so nothing in it is trusted: it must name the execution it is
 * used on, its token is only ever passed to Athena (which refuses one it did not issue for that
 * execution), its page must be a page number and its index a row of that page. Page 0 is the page fetched
 * without a token, and whether a page starts with the header row depends on that alone, never on a token's
 * text. A cursor of an older gapwatch (no page number) is taken when its token is one this service was
 * issued.
 */
export interface RowCursor {
  execution: string;
  token: string | null;
  index: number;
  /** Undefined for an older gapwatch's cursor. */
  page: number | undefined;
}

/** The most pages a cursor may name: a billion rows. */
const MAX_PAGE = 1_000_000;

/** Athena's longest NextToken. */
const MAX_TOKEN = 1024;
/** A cursor's longest text: the base64url of its JSON, with room for the id and the longest token. */
const MAX_CURSOR = 2048;

export function encodeCursor(c: RowCursor): string {
  return Buffer.from(JSON.stringify([c.execution, c.token, c.index, c.page])).toString('base64url');
}

/** The cursor `text` names, checked against the execution it is used on; BAD_USER_INPUT on `after` otherwise. */
export function decodeCursor(text: string, execution: string): RowCursor {
  const refuse = (why: string) => badInput('after', `${why}; pass an endCursor or an edge's cursor from this execution's rows`);
  let parts: unknown;
  try {
    parts = text.length <= MAX_CURSOR ? JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) : undefined;
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || (parts.length !== 3 && parts.length !== 4)) throw refuse(`'${text.slice(0, 100)}' is not a cursor from this API`);
  const [id, token, index, page] = parts as unknown[];
  if (id !== execution) throw refuse(`the cursor belongs to another query execution`);
  if (token !== null && (typeof token !== 'string' || token.length < 1 || token.length > MAX_TOKEN)) {
    throw refuse(`the cursor's page token is not one Athena issued`);
  }
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= PAGE_SIZE) {
    throw refuse(`the cursor's row index ${JSON.stringify(index)} is outside a page (0 to ${PAGE_SIZE - 1})`);
  }
  if (parts.length === 4 && (!Number.isInteger(page) || (page as number) < 0 || (page as number) > MAX_PAGE)) {
    throw refuse(`the cursor's page ${JSON.stringify(page)} is not a page number (0 to ${MAX_PAGE})`);
  }
  if (page === 0 && token !== null) throw refuse(`the cursor's page 0 has a token`);
  return { execution, token, index: index as number, page: parts.length === 4 ? (page as number) : undefined };
}

/**
 * One row of a page, by reference: a page is a thousand rows, so a row costs one small object, and its
 * cursor is encoded only when asked for (most clients ask for few or none).
 */
export class RowRef {
  constructor(
    private readonly execution: string,
    private readonly page: ResultPage,
    private readonly index: number,
  ) {}

  get columns(): readonly DecodedColumn[] {
    return this.page.columns;
  }

  /** Positional typed values, one per column. */
  get values(): readonly TypedValue[] {
    return this.page.values[this.index]!;
  }

  /** The text Athena sent per column, null for NULL. */
  get raw(): readonly (string | null)[] {
    return this.page.raw[this.index]!;
  }

  cursor(): string {
    return encodeCursor({ execution: this.execution, token: this.page.token, index: this.index, page: this.page.page });
  }
}

export interface RowsPage {
  columns: readonly DecodedColumn[];
  rows: RowRef[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export const MAX_FIRST = 1000;

/** Pages fetched ahead of a reader that is paging through a result. */
const PREFETCH_PAGES = 2;

export async function rowsPage(
  athena: AthenaService,
  id: string,
  first: number,
  after: string | null | undefined,
  hints?: Readonly<Record<string, string>>,
): Promise<RowsPage> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_FIRST) throw badInput('first', `expected 0 to ${MAX_FIRST}, got ${first}`);
  const start = after ? decodeCursor(after, id) : undefined;
  let index = start ? start.index + 1 : 0;
  let page: ResultPage;
  try {
    page = await athena.page(id, start ? ({ page: start.page, token: start.token } satisfies PageRef) : FIRST_PAGE, hints);
  } catch (err) {
    if (err instanceof PageTokenRejected) throw badInput('after', `Athena refused the cursor's page token (${err.message}); pass a cursor from this execution's rows`);
    throw err;
  }
  if (start !== undefined && start.index >= page.values.length) {
    throw badInput('after', `the cursor points at row ${start.index} of a page of ${page.values.length} rows; pass a cursor from this execution's rows`);
  }
  const rows: RowRef[] = [];
  for (;;) {
    while (index < page.values.length && rows.length < first) rows.push(new RowRef(id, page, index++));
    if (rows.length === first || page.last) break;
    index = 0;
    page = await athena.page(id, nextRef(page), hints);
  }
  if (!page.last && page.values.length - index < first) {
    // The client will most likely ask for as many rows again, which this page cannot fill: have the next
    // pages on their way meanwhile. (Page 0 holds 999 rows, Athena counting the header in MaxResults, so
    // pages of `first: 1000` never end on a page boundary.) Two pages, because the page asked for next is
    // already the one after this: with one, the reader's next request waits for a fetch it only just began.
    athena.prefetch(id, nextRef(page), hints, PREFETCH_PAGES);
  }
  return {
    columns: page.columns,
    rows,
    // More pages may follow a page that is not the last; rarely the page it leads to is empty, and Relay
    // allows a last request that returns no edges.
    hasNextPage: index < page.values.length || !page.last,
    hasPreviousPage: start !== undefined,
  };
}
