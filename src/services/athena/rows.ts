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

export interface RowNode {
  values: readonly TypedValue[];
  raw: readonly (string | null)[];
  columns: readonly DecodedColumn[];
}

export interface RowsPage {
  columns: readonly DecodedColumn[];
  /** Cursors are made on demand: encoding one per row costs more than most clients need. */
  edges: { cursor: () => string; node: RowNode }[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export const MAX_FIRST = 1000;

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
  const edges: RowsPage['edges'] = [];
  for (;;) {
    while (index < page.values.length && edges.length < first) {
      const at: RowCursor = { token, index };
      edges.push({
        cursor: () => encodeCursor(at),
        node: { values: page.values[index]!, raw: page.raw[index]!, columns: page.columns },
      });
      index++;
    }
    if (edges.length === first || !page.nextToken) break;
    token = page.nextToken;
    index = 0;
    page = await athena.page(id, token, hints);
  }
  if (page.nextToken && page.values.length - index < first) {
    // The client will most likely ask for as many rows again, which this page cannot fill: have the next
    // page on its way meanwhile. (Page 1 holds 999 rows, Athena counting the header in MaxResults, so
    // pages of `first: 1000` never end on a page boundary.)
    athena.prefetch(id, page.nextToken, hints);
  }
  return {
    columns: page.columns,
    edges,
    // Athena's NextToken means more rows may follow; rarely the page it leads to is empty, and Relay
    // allows a last request that returns no edges.
    hasNextPage: index < page.values.length || page.nextToken !== null,
    hasPreviousPage: start !== undefined,
  };
}
