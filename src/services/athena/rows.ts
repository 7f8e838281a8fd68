import { badInput } from '../../errors';
import type { AthenaService, ResultPage } from './athena.service';
import type { DecodedColumn, TypedValue } from './decode';

/**
 * Relay-style paging over Athena results. A cursor names a row by the Athena page it sits on (that page's
 * NextToken-chain token, null for the first) and its index there, so asking for 100 rows after any cursor
 * fetches at most the pages those rows sit on, never the whole result.
 */
export interface RowCursor {
  token: string | null;
  index: number;
}

export function encodeCursor(c: RowCursor): string {
  return Buffer.from(JSON.stringify([c.token, c.index])).toString('base64url');
}

export function decodeCursor(text: string): RowCursor {
  try {
    const [token, index] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if ((token === null || typeof token === 'string') && Number.isInteger(index) && (index as number) >= 0) {
      return { token, index: index as number };
    }
  } catch {
    // fall through to the coded error
  }
  throw badInput('after', `'${text}' is not a cursor from this API; pass an endCursor or an edge's cursor`);
}

/**
 * One row of a page, by reference: a page is a thousand rows, so a row costs one small object, and its
 * cursor is encoded only when asked for (most clients ask for few or none).
 */
export class RowRef {
  constructor(
    private readonly page: ResultPage,
    private readonly token: string | null,
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
    return encodeCursor({ token: this.token, index: this.index });
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
  const start = after ? decodeCursor(after) : undefined;
  let token = start?.token ?? null;
  let index = start ? start.index + 1 : 0;
  let page: ResultPage = await athena.page(id, token, hints);
  const rows: RowRef[] = [];
  for (;;) {
    while (index < page.values.length && rows.length < first) rows.push(new RowRef(page, token, index++));
    if (rows.length === first || !page.nextToken) break;
    token = page.nextToken;
    index = 0;
    page = await athena.page(id, token, hints);
  }
  if (page.nextToken && page.values.length - index < first) {
    // The client will most likely ask for as many rows again, which this page cannot fill: have the next
    // pages on their way meanwhile. (Page 1 holds 999 rows, Athena counting the header in MaxResults, so
    // pages of `first: 1000` never end on a page boundary.) Two pages, because the page asked for next is
    // already the one after this: with one, the reader's next request waits for a fetch it only just began.
    athena.prefetch(id, page.nextToken, hints, PREFETCH_PAGES);
  }
  return {
    columns: page.columns,
    rows,
    // Athena's NextToken means more rows may follow; rarely the page it leads to is empty, and Relay
    // allows a last request that returns no edges.
    hasNextPage: index < page.values.length || page.nextToken !== null,
    hasPreviousPage: start !== undefined,
  };
}
