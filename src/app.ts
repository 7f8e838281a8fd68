import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { loadSettings, type EnvConfig } from './config';
import type { EmbeddedEndpoint } from './embedded/server';
import { realClock, type Clock } from './services/clock/clock';
import type { GapScheduler } from './services/gaps/scheduler';
import { createContext, type AppScope, type Context } from './context';
import { CodedError, ErrorCode, limitExceeded, PortInUseError } from './errors';
import { Access, type Principal } from './http/access';
import { boundEventDetails, boundSeries, forApollo, OperationGate, retryAfterSeconds, screenSource, validationRules } from './http/limits';
import { RESULTS_PREFIX, resultsStatus, serveResults } from './http/results';
import { Metrics } from './http/metrics';
import { operationRecorder } from './http/operations';
import { EXPLORER_PREFIX, serveExplorerAsset, serveExplorerPage, wantsExplorer } from './explorer/explorer';
import { serveStatusAsset, serveStatusPage, STATUS_PATH } from './status/status';
import { BodyTooLargeError, handleGraphQL, MAX_BODY_BYTES, sendJson } from './http/apollo-handler';
import { asGraphQLError, maskError } from './http/mask';
import { batchWrites, flushWrites, sendNext } from './http/ws-writes';
import { SharedExecution } from './http/shared-execution';
import { createLogger, type Logger } from './logger';
import { buildGapwatchSchema } from './schema/build';
import { connectBackends } from './backends';

export const GRAPHQL_PATH = '/graphql';

export interface AppOptions {
  env: EnvConfig;
  logger?: Logger;
  clock?: Clock;
  /** The embedded endpoint is down for good (its worker kept dying): main.ts exits non-zero. */
  onFatal?: (err: Error) => void;
}

export interface App {
  readonly services: AppScope['services'];
  readonly httpServer: Server;
  readonly metrics: Metrics;
  /** The embedded AWS endpoint this app started (embedded backend only). */
  readonly embedded?: EmbeddedEndpoint;
  /** Runs the datasets' scheduled checks. */
  readonly scheduler: GapScheduler;
  /** Starts listening; port 0 picks a free one. Resolves with the address actually bound. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /**
   * Answers one `{ health { status } }` inside the process (no socket, no key), so the first caller does not
   * pay for code nobody has run yet: the first request after start took ~40 ms of the service's thread
   * alone, ~95 ms beside another first request, against ~8 ms after. Logged and counted as operation
   * `WarmUp`. Never fails; main.ts calls it once, before it says it is serving.
   */
  warmUp(): Promise<void>;
  /**
   * Stops accepting, lets in-flight requests finish for up to GAPWATCH_DRAIN_MS (answering the rest 503 with
   * Retry-After), closes sockets, then stops the backends it started.
   */
  stop(): Promise<void>;
}

/**
 * The request id of each error an HTTP operation met, for Apollo's formatError, which is not told the
 * request. Apollo reports an operation's errors to the plugins (didEncounterErrors, with the context) just
 * before it formats the same error objects. (An AsyncLocalStorage did this before: once one is in use, Node
 * runs its promise hooks on every promise of the process, subscriptions' deliveries included, for a tenth
 * of the fan-out's time; docs/performance.md.)
 */
const errorRequestIds = new WeakMap<object, string>();

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** How long a new WebSocket may take to send connection_init. */
const WS_INIT_TIMEOUT_MS = 3_000;
/** Server-side ping interval on every WebSocket. */
const WS_KEEPALIVE_MS = 12_000;

/** Seconds a client is told to wait before retrying a request refused during shutdown. */
const RETRY_AFTER_S = 5;

/** A refusal before (or instead of) any GraphQL: the same `{ errors: [...] }` shape GraphQL answers use. */
function refuse(res: ServerResponse, status: number, error: CodedError, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, status, { errors: [{ message: error.message, extensions: error.extensions }] });
}

/** graphql-transport-ws messages only a server sends. */
const SERVER_TYPES: ReadonlySet<unknown> = new Set(['connection_ack', 'next', 'error']);

/** True when the message is JSON of a type only a server sends; malformed JSON is graphql-ws's to refuse. */
function serverOnly(text: string): boolean {
  try {
    return SERVER_TYPES.has((JSON.parse(text) as { type?: unknown } | null)?.type);
  } catch {
    return false;
  }
}

/** Per WebSocket connection: who connected, and the operations running on it. */
interface Connection {
  principal: Principal;
  ops: Map<string, { started: number; requestId: string; name?: string; type?: string; errors?: readonly GraphQLFormattedError[]; streaming: boolean }>;
}

/**
 * Builds the whole service without opening a port: backends, services, schema, HTTP and WebSocket on one
 * server. `main.ts` listens on the configured port; tests listen on port 0.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { env } = options;
  const logger = options.logger ?? createLogger(env.logLevel);
  const clock = options.clock ?? realClock;
  const settings = loadSettings(env);
  const access = new Access(env.access);
  // Refused before anything is built or started: no sample written to the data dir, no endpoint opened.
  access.checkListen(env.host);
  const metrics = new Metrics();
  const backends = await connectBackends(settings, logger, clock, { metrics, ...(options.onFatal ? { onFatal: options.onFatal } : {}) });
  metrics.watchGaps(backends.services.gaps);
  metrics.watchCache(() => backends.services.athena.cacheStats());
  const { watcher } = backends;
  if (watcher) metrics.watchRuns(() => watcher.stats());
  const scope: AppScope = { logger, services: backends.services, now: clock.now };
  const schema = await buildGapwatchSchema(scope.services);
  const { limits } = settings;
  boundSeries(schema, limits);
  boundEventDetails(schema, limits);
  const gate = new OperationGate(schema, limits, (name) => scope.services.gaps.dataset(name), clock.now);
  const rules = validationRules(limits, env.access.introspection);
  const record = operationRecorder(logger, metrics);

  const httpServer = createServer();
  const wsServer = new WebSocketServer({
    // Upgrades are handed over below rather than by attaching ws to the server (`server:`), which would also
    // re-emit the server's own errors (its port in use) on the WebSocket server, where graphql-ws prints them
    // as its internal failure; listen() says in one line which port is taken instead.
    noServer: true,
    path: GRAPHQL_PATH,
    maxPayload: MAX_BODY_BYTES,
    // Apollo's CSRF prevention covers HTTP only: a page on any site may open a WebSocket to a local
    // gapwatch, so the upgrade passes the same Host and Origin checks as an HTTP request.
    verifyClient: ({ req, origin }, done) => {
      const reason = !access.hostAllowed(req.headers.host) ? 'host' : !access.originAllowed(origin || undefined, req.headers.host) ? 'origin' : undefined;
      if (reason) {
        metrics.authFailures.inc({ reason: `FORBIDDEN ${reason}` });
        logger.info({ origin, host: req.headers.host, reason }, 'refused a WebSocket upgrade');
        return done(false, 403, `${reason === 'host' ? 'Host' : 'Origin'} not allowed`);
      }
      done(true);
    },
  });
  httpServer.on('upgrade', (req, socket, head) => wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req)));
  // graphql-ws treats a message only a server may send (next, error, connection_ack) arriving from a client
  // as its own internal failure: it logs a stack to the console and closes with 4500. It is the client's
  // mistake, so it is answered as graphql-ws answers other bad messages (4400) before the library sees it.
  // (Registered before useServer's own listener, so it runs first.)
  wsServer.on('connection', (socket, req) => {
    // A burst of messages to one socket leaves as one write (see batchWrites).
    batchWrites(socket, req.socket);
    const emit = socket.emit.bind(socket) as (event: string, ...args: unknown[]) => boolean;
    socket.emit = ((event: string, ...args: unknown[]) => {
      if (event === 'message' && serverOnly(String(args[0]))) {
        socket.close(4400, 'Invalid message received: a client may not send this message type');
        return true;
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
  });
  const connections = new WeakMap<object, Connection>();
  const finishWs = (ctx: object, id: string) => {
    const op = connections.get(ctx)?.ops.get(id);
    if (!op) return;
    connections.get(ctx)!.ops.delete(id);
    if (op.streaming) metrics.subscriptions.dec();
    record({
      requestId: op.requestId,
      keyId: connections.get(ctx)!.principal.id,
      operation: op.name,
      type: op.type,
      transport: 'ws',
      durationMs: performance.now() - op.started,
      errors: op.errors,
    });
  };
  const shared = new SharedExecution();
  const wsCleanup = useServer(
    {
      schema,
      // One execution per event for all subscribers asking the same of it (see SharedExecution).
      subscribe: shared.subscribe,
      // A socket that never says connection_init is closed (4408) instead of holding a connection open.
      connectionInitWaitTimeout: WS_INIT_TIMEOUT_MS,
      onConnect: (ctx) => {
        try {
          connections.set(ctx, { principal: access.fromConnectionParams(ctx.connectionParams), ops: new Map() });
          return true;
        } catch (err) {
          if (!(err instanceof CodedError)) throw err;
          metrics.authFailures.inc({ reason: err.code });
          logger.info({ outcome: err.code, transport: 'ws' }, 'refused a WebSocket connection');
          // graphql-ws would close with a bare 4403; the reason says why (no key, or an unknown one).
          ctx.extra.socket.close(4401, `${err.code}: ${err.message}`.slice(0, 120));
          return false;
        }
      },
      // Parses, validates and gates each operation the way Apollo does for HTTP; every refusal is a coded
      // error on that operation, never a closed socket.
      onSubscribe: (ctx, id, payload) => {
        const conn = connections.get(ctx)!;
        const requestId = randomUUID();
        const op = { started: performance.now(), requestId, name: payload.operationName ?? undefined, type: undefined as string | undefined, streaming: false };
        conn.ops.set(id, op);
        try {
          const open = Object.keys(ctx.subscriptions).length;
          if (open > limits.maxSubscriptionsPerConnection) {
            throw limitExceeded('maxSubscriptionsPerConnection', limits.maxSubscriptionsPerConnection, `this connection already runs ${open - 1} operations`);
          }
          screenSource(payload.query, limits);
          let document: DocumentNode;
          try {
            document = parse(payload.query);
          } catch (err) {
            return [err as GraphQLError];
          }
          shared.parsed(document, payload.query);
          const errors = validate(schema, document, [...specifiedRules, ...rules]);
          if (errors.length > 0) return errors;
          const operation = getOperationAST(document, payload.operationName);
          if (!operation) return [new GraphQLError('Unable to identify operation')];
          op.type = operation.operation;
          op.name ??= operation.name?.value;
          gate.check(conn.principal, document, operation, payload.variables ?? undefined);
          const contextValue = createContext(scope, requestId, conn.principal);
          // Shared results are sent directly while the socket keeps up; past the buffer limit, onNext ends it.
          const socket = ctx.extra.socket;
          shared.sendsWith(contextValue, {
            next: (json) => socket.bufferedAmount <= limits.maxSocketBufferBytes && sendNext(socket, id, json),
            flush: () => flushWrites(socket),
          });
          return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
        } catch (err) {
          if (err instanceof GraphQLError) return [err];
          if (err instanceof CodedError) return [asGraphQLError(err)];
          throw err;
        }
      },
      onOperation: (ctx, id, _payload, _args, result) => {
        const op = connections.get(ctx)?.ops.get(id);
        if (op && Symbol.asyncIterator in result) {
          op.streaming = true;
          metrics.subscriptions.inc();
        }
      },
      onNext: (ctx, id, _payload, args, result) => {
        // A consumer that does not read its socket would otherwise grow the send buffer without bound: past
        // the limit its subscription ends with a coded error (a run's events can resume with afterEventId).
        if (ctx.extra.socket.bufferedAmount > limits.maxSocketBufferBytes) {
          const sub = ctx.subscriptions[id] as AsyncIterator<unknown> | null | undefined;
          void sub?.return?.();
          const err = new CodedError(ErrorCode.SUBSCRIPTION_OVERFLOW, `the client is not reading: more than ${limits.maxSocketBufferBytes} bytes wait to be sent on this connection`, {
            limit: 'maxSocketBufferBytes',
            value: limits.maxSocketBufferBytes,
          });
          return { errors: [asGraphQLError(err).toJSON()] } as never;
        }
        if (!('errors' in result) || !result.errors) return result;
        const requestId = (args.contextValue as Context | undefined)?.requestId;
        const errors = result.errors.map((e) => maskError(e.toJSON(), e, logger, requestId));
        const op = connections.get(ctx)?.ops.get(id);
        if (op) op.errors ??= errors;
        return { ...result, errors };
      },
      onError: (ctx, id, _payload, errors) => {
        const op = connections.get(ctx)?.ops.get(id);
        const masked = errors.map((e) => maskError(e.toJSON(), e, logger, op?.requestId));
        if (op) {
          op.errors ??= masked;
          // Refused before it ran: graphql-ws calls no onComplete for it (a stream that fails does get one).
          if (!op.streaming) finishWs(ctx, id);
        }
        return masked as never;
      },
      onComplete: (ctx, id) => finishWs(ctx, id),
    },
    wsServer,
    // The server pings every socket this often and drops one that does not answer: dead peers (a laptop
    // closed, a proxy that lost the connection) do not keep their subscriptions and watchers alive.
    WS_KEEPALIVE_MS,
  );

  const operationsPlugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      const started = performance.now();
      return {
        async didResolveOperation({ document, operation, request, contextValue }) {
          // No operation: operationName names none in the document (GraphiQL can send the previous tab's
          // name). Apollo answers that itself as a client error; there is nothing here to gate.
          if (!operation) return;
          try {
            gate.check(contextValue.principal, document, operation, request.variables);
          } catch (err) {
            throw err instanceof CodedError ? forApollo(err) : err;
          }
        },
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) errorRequestIds.set(error, contextValue.requestId);
        },
        async willSendResponse({ response, operationName, operation, contextValue }) {
          record({
            requestId: contextValue.requestId,
            keyId: contextValue.principal.id,
            operation: operationName ?? undefined,
            type: operation?.operation,
            transport: 'http',
            durationMs: performance.now() - started,
            errors: response.body.kind === 'single' ? response.body.singleResult.errors : undefined,
          });
        },
      };
    },
  };

  const apollo = new ApolloServer<Context>({
    schema,
    includeStacktraceInErrorResponses: false,
    introspection: env.access.introspection,
    validationRules: rules,
    // main.ts owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would stop only
    // itself and re-raise the signal in the middle of that.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => maskError(formatted, error, logger, typeof error === 'object' && error !== null ? errorRequestIds.get(error) : undefined),
    plugins: [
      operationsPlugin,
      ApolloServerPluginLandingPageDisabled(),
      // gapwatch sets no cache hints; the plugin would otherwise wrap every field resolver (a cost per row).
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();

  /** Answers a request refused for who sent it, with one log line and a count, like any operation. */
  function refuseCaller(res: ServerResponse, requestId: string, err: CodedError): void {
    metrics.authFailures.inc({ reason: err.code });
    logger.info({ requestId, outcome: err.code, transport: 'http' }, 'refused a request');
    refuse(res, err.code === ErrorCode.UNAUTHENTICATED ? 401 : 403, err, err.code === ErrorCode.UNAUTHENTICATED ? { 'www-authenticate': 'Bearer' } : {});
  }

  /** GET /results/<id> (http/results.ts): the key as for GraphQL, one line in the log, errors before any row coded. */
  async function streamResults(req: IncomingMessage, res: ServerResponse, pathname: string, requestId: string): Promise<void> {
    const principal = access.fromHeaders(req.headers);
    const started = performance.now();
    const line = { requestId, keyId: principal.id, path: pathname.slice(0, 200), transport: 'http' };
    try {
      const { rows, format } = await serveResults(req, res, pathname, principal, {
        athena: scope.services.athena,
        queries: scope.services.queries,
        gate,
        logger,
      });
      logger.info({ ...line, rows, format, durationMs: performance.now() - started, outcome: res.destroyed && !res.writableFinished ? 'CLIENT_GONE' : 'ok' }, 'results stream');
    } catch (err) {
      if (!(err instanceof CodedError) || err.code === ErrorCode.UNAUTHENTICATED || err.code === ErrorCode.FORBIDDEN) throw err;
      logger.info({ ...line, durationMs: performance.now() - started, outcome: err.code }, 'results stream');
      refuse(res, resultsStatus(err), err, err.extensions.limit === 'rateLimitPerMinute' ? { 'retry-after': retryAfterSeconds(err) } : {});
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (!access.admitHttp(req, res, (status, err) => refuseCaller(res, requestId, err))) return;
    // Health stays open to any caller (load balancers and CI checks carry no key) and says nothing that
    // needs one: readiness names what is not ready, with a fixed reason; details go to the log.
    if (pathname === '/healthz') {
      // Liveness: the process cannot serve its embedded backend while the endpoint's worker is down (it is
      // being restarted, or has died too often), and an orchestrator should know.
      const endpoint = backends.embedded?.health();
      if (endpoint && !endpoint.up) return sendJson(res, 503, { status: 'down', reason: 'the embedded AWS endpoint is not running' });
      return sendJson(res, 200, { status: 'ok' });
    }
    if (pathname === '/readyz') {
      const report = await scope.services.health.report();
      return sendJson(res, report.status === 'OK' ? 200 : 503, {
        status: report.status === 'OK' ? 'ready' : 'not ready',
        notReady: report.checks.filter((c) => !c.ready).map((c) => ({ name: c.name, message: c.message })),
        checks: report.checks,
      });
    }
    if (pathname === '/metrics' && req.method === 'GET') {
      // Metrics name datasets and key ids: with keys configured, any valid key may scrape (role reader is enough).
      access.fromHeaders(req.headers);
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      return void res.end(await metrics.text());
    }
    if (pathname === GRAPHQL_PATH) {
      if (env.access.explorer && wantsExplorer(req)) return serveExplorerPage(req, res);
      const principal = access.fromHeaders(req.headers);
      return handleGraphQL(apollo, req, res, async () => createContext(scope, requestId, principal), (query) => screenSource(query, limits));
    }
    if (pathname.startsWith(RESULTS_PREFIX)) return streamResults(req, res, pathname, requestId);
    if (env.access.explorer && pathname.startsWith(EXPLORER_PREFIX) && serveExplorerAsset(req, res, pathname)) return;
    // The status page carries no data of its own (it asks the API with the visitor's key), so it loads without one.
    if (pathname === STATUS_PATH && req.method === 'GET') return serveStatusPage(req, res);
    if (serveStatusAsset(req, res, pathname)) return;
    if (pathname === '/' && req.method === 'GET' && env.access.explorer) {
      res.writeHead(302, { location: GRAPHQL_PATH });
      return void res.end();
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${pathname}; GraphQL is at ${GRAPHQL_PATH}` });
  }

  let draining = false;
  const inflight = new Set<ServerResponse>();
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    if (draining) {
      return refuse(res, 503, new CodedError(ErrorCode.SHUTTING_DOWN, 'gapwatch is stopping; retry shortly'), {
        'retry-after': String(RETRY_AFTER_S),
        connection: 'close',
      });
    }
    inflight.add(res);
    res.once('close', () => inflight.delete(res));
    route(req, res, requestId).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) {
        // The rest of the body is still on the wire: close the connection rather than reuse it.
        res.setHeader('connection', 'close');
        if (!res.headersSent) sendJson(res, 413, { errors: [{ message: err.message, extensions: { code: ErrorCode.BAD_REQUEST } }] });
        return;
      }
      if (err instanceof CodedError && (err.code === ErrorCode.UNAUTHENTICATED || err.code === ErrorCode.FORBIDDEN)) {
        return refuseCaller(res, requestId, err);
      }
      if (err instanceof CodedError && err.code === ErrorCode.LIMIT_EXCEEDED) {
        record({ requestId, keyId: undefined, operation: undefined, type: undefined, transport: 'http', durationMs: 0, errors: [{ message: err.message, extensions: err.extensions }] });
        return refuse(res, 400, err);
      }
      logger.error({ err, requestId }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId } }] });
      else res.destroy();
    });
  });

  /** Resolves when no request is in flight, or after `ms`, whichever is first. */
  function settled(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const poll = setInterval(() => inflight.size === 0 && done(), 20);
      function done() {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
      if (inflight.size === 0) done();
    });
  }

  let stopped: Promise<void> | undefined;
  return {
    services: scope.services,
    httpServer,
    metrics,
    embedded: backends.embedded,
    scheduler: backends.scheduler,
    listen(port = env.port, host = env.host) {
      return new Promise((resolve, reject) => {
        const warning = access.checkListen(host);
        if (warning) logger.warn({ host }, warning);
        const failed = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host, 'PORT') : err);
        httpServer.once('error', failed);
        httpServer.listen(port, host, () => {
          httpServer.off('error', failed);
          const address = httpServer.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${shown}:${address.port}`, port: address.port });
        });
      });
    },
    async warmUp() {
      const contextValue = createContext(scope, 'warm-up', { id: 'gapwatch', role: 'reader' });
      await apollo.executeOperation({ query: 'query WarmUp { health { status } }' }, { contextValue }).catch((err: unknown) => logger.debug({ err }, 'warm-up failed'));
    },
    stop() {
      stopped ??= (async () => {
        // New requests are answered 503 from here on; idle keep-alive connections are closed so clients
        // reconnect elsewhere; open subscriptions end with 1001 (going away).
        draining = true;
        const closed = httpServer.listening ? new Promise<void>((r) => httpServer.close(() => r())) : Promise.resolve();
        httpServer.closeIdleConnections();
        await wsCleanup.dispose();
        wsServer.close();
        // In-flight requests get the drain time to finish; whatever is still waiting then (say, on a query
        // Athena keeps queued) is answered 503 with Retry-After rather than a dropped connection.
        await settled(env.drainMs);
        for (const res of inflight) {
          refuse(res, 503, new CodedError(ErrorCode.SHUTTING_DOWN, `gapwatch is stopping and this request did not finish within ${env.drainMs} ms; retry shortly`), {
            'retry-after': String(RETRY_AFTER_S),
            connection: 'close',
          });
        }
        httpServer.closeAllConnections();
        await closed;
        await apollo.stop();
        await backends.close();
      })();
      return stopped;
    },
  };
}
