/**
 * `GET /results/<queryExecutionId>`: a whole result, streamed. Services that want every row should not page
 * GraphQL a thousand rows a request: this sends the typed rows as NDJSON (one JSON object a line, keyed as
 * GraphQL's `values` are), or with `Accept: text/csv` the rows' text in Athena's own CSV (a header line of
 * column labels; every value quoted, NULL an empty field), read from the result's file in S3 where it can be
 * (result-pages.ts `stream`).
 *
 * With backpressure: a page is read only when the client has taken the one before (the socket drained), so
 * a slow client holds the service to a page and a socket's buffer, never the result. The same API keys and
 * rate limit as GraphQL apply (one request counts as one operation). Answers before the first row are JSON
 * errors in GraphQL's shape with a status: 404 NOT_FOUND, 409 QUERY_NOT_READY / QUERY_FAILED /
 * QUERY_CANCELLED, 400 BAD_USER_INPUT, 429 LIMIT_EXCEEDED. A failure after rows were sent ends the response
 * without its last chunk, so no client takes a cut-off stream for a whole result.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { badInput, CodedError, ErrorCode } from '../errors';
import type { AthenaService } from '../services/athena/athena.service';
import { csvLine } from '../services/athena/csv';
import { setKey } from '../services/athena/decoders/keys';
import type { TypedValue } from '../services/athena/decode';
import type { QueriesService } from '../services/athena/queries.service';
import type { Principal } from './access';
import type { OperationGate } from './limits';

export const RESULTS_PREFIX = '/results/';

/** What an id may look like: Athena's are UUIDs; anything else is refused before Athena is asked. */
const EXECUTION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Bytes gathered before a write: one write per page or so, not per row. */
const CHUNK = 64 * 1024;

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.QUERY_NOT_READY]: 409,
  [ErrorCode.QUERY_FAILED]: 409,
  [ErrorCode.QUERY_CANCELLED]: 409,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.LIMIT_EXCEEDED]: 429,
};

/** The status a coded error before the first row is answered with. */
export function resultsStatus(err: CodedError): number {
  return STATUS[err.code] ?? 502;
}

export interface ResultsDeps {
  athena: AthenaService;
  queries: QueriesService;
  gate: OperationGate;
  logger: Logger;
}

/** Streams the result named by the path (`/results/<id>`) to `res`; throws a CodedError before the first byte. */
export async function serveResults(req: IncomingMessage, res: ServerResponse, pathname: string, principal: Principal, deps: ResultsDeps): Promise<{ rows: number; format: string }> {
  if (req.method !== 'GET') throw new CodedError(ErrorCode.BAD_REQUEST, `${req.method} ${RESULTS_PREFIX}<id> is not served; use GET`);
  deps.gate.admit(principal);
  let id: string;
  try {
    id = decodeURIComponent(pathname.slice(RESULTS_PREFIX.length));
  } catch {
    id = '';
  }
  if (!EXECUTION_ID.test(id)) throw badInput('queryExecutionId', `'${id.slice(0, 100)}' is not a query execution id`);
  const execution = await deps.athena.get(id);
  const pages = await deps.queries.stream(execution);
  const csv = /\btext\/csv\b/i.test(String(req.headers.accept ?? ''));
  let rows = 0;
  let started = false;
  try {
    for await (const page of pages) {
      if (!started) {
        res.writeHead(200, {
          'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
          'cache-control': 'no-store',
          'x-query-execution-id': id,
        });
        started = true;
        if (csv && !(await send(res, csvLine(page.columnInfo.map((c) => c.Label ?? c.Name ?? ''))))) return { rows, format: 'csv' };
      }
      const keys = page.columns.map((c) => c.key);
      let chunk = '';
      for (let r = 0; r < page.values.length; r++) {
        if (csv) chunk += csvLine(page.raw[r]!);
        else {
          const obj: Record<string, TypedValue> = {};
          const values = page.values[r]!;
          for (let c = 0; c < keys.length; c++) setKey(obj, keys[c]!, values[c] ?? null);
          chunk += JSON.stringify(obj) + '\n';
        }
        rows++;
        if (chunk.length >= CHUNK) {
          if (!(await send(res, chunk))) return { rows, format: csv ? 'csv' : 'ndjson' };
          chunk = '';
        }
      }
      if (chunk !== '' && !(await send(res, chunk))) return { rows, format: csv ? 'csv' : 'ndjson' };
    }
  } catch (err) {
    if (!started) throw err;
    // Rows went out already: the only honest end is no end (the chunked body never completes).
    deps.logger.warn({ err, queryExecutionId: id, rows }, 'results stream failed after rows were sent');
    res.destroy();
    return { rows, format: csv ? 'csv' : 'ndjson' };
  } finally {
    await pages.return(undefined);
  }
  res.end();
  return { rows, format: csv ? 'csv' : 'ndjson' };
}

/** Writes and, when the socket's buffer is full, waits for it to drain; false when the client went away. */
async function send(res: ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(text)) return true;
  const drained = once(res, 'drain').then(() => true);
  const closed = once(res, 'close').then(() => false);
  return Promise.race([drained, closed]);
}
