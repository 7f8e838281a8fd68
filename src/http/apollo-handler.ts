import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import { getOperationAST, parse } from 'graphql';
import type { Context } from '../context';
import { ErrorCode } from '../errors';

/** Largest request body accepted; GraphQL documents are small, and this caps what one request can buffer. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Apollo Server 5 ships no HTTP framework integration of its own; this is the small one for node:http,
 * following the documented `executeHTTPGraphQLRequest` contract. Body parsing is left to Apollo where it can
 * be: a JSON body it cannot parse gets Apollo's own 400, not a 500.
 */
export async function handleGraphQL(
  server: ApolloServer<Context>,
  req: IncomingMessage,
  res: ServerResponse,
  context: () => Promise<Context>,
  /** Checks the query text before Apollo parses it (the token limit); throws a CodedError to refuse it. */
  screen: (query: unknown) => void = () => {},
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const raw = req.method === 'POST' ? await readBody(req) : '';
  let body: unknown = raw;
  if (raw && (headers.get('content-type') ?? '').startsWith('application/json')) {
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, {
        errors: [{ message: 'the request body is not valid JSON', extensions: { code: ErrorCode.BAD_REQUEST } }],
      });
    }
  }
  const params = req.method === 'POST' ? ((body ?? {}) as { query?: unknown; operationName?: unknown }) : { query: url.searchParams.get('query'), operationName: url.searchParams.get('operationName') };
  screen(params.query);
  if (asksSubscription(params.query, params.operationName)) {
    return sendJson(res, 400, {
      errors: [
        {
          message: `subscriptions need a WebSocket: connect with the graphql-ws protocol (graphql-transport-ws) to ${webSocketUrl(req, url.pathname)}; HTTP runs queries and mutations`,
          extensions: { code: ErrorCode.BAD_REQUEST },
        },
      ],
    });
  }
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context,
  });
  await writeResponse(res, response);
}

/**
 * Whether the operation a request would run is a subscription, which streams and so runs over graphql-ws
 * only (Apollo would answer it 200 with INTERNAL_SERVER_ERROR, or 405 over GET). Only a document that says
 * `subscription` at all is parsed again here; one that does not parse is Apollo's to answer.
 */
function asksSubscription(query: unknown, operationName: unknown): boolean {
  if (typeof query !== 'string' || !/\bsubscription\b/.test(query)) return false;
  try {
    return getOperationAST(parse(query), typeof operationName === 'string' ? operationName : undefined)?.operation === 'subscription';
  } catch {
    return false;
  }
}

/** Where this server takes graphql-ws, as the client reached it (behind a TLS proxy, wss). */
function webSocketUrl(req: IncomingMessage, pathname: string): string {
  const host = /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(req.headers.host ?? '') ? req.headers.host : 'localhost';
  const scheme = req.headers['x-forwarded-proto'] === 'https' ? 'wss' : 'ws';
  return `${scheme}://${host}${pathname}`;
}

async function writeResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  // A shutdown that outlasted this request has already answered it (503).
  if (res.headersSent || res.destroyed) return;
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
