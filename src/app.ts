import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { loadSettings, type EnvConfig } from './config';
import type { EmbeddedEndpoint } from './embedded/server';
import { realClock, type Clock } from './services/clock/clock';
import type { GapScheduler } from './services/gaps/scheduler';
import { createContext, type AppScope, type Context } from './context';
import { ErrorCode } from './errors';
import { EXPLORER_PREFIX, serveExplorerAsset, serveExplorerPage, wantsExplorer } from './explorer/explorer';
import { BodyTooLargeError, handleGraphQL, MAX_BODY_BYTES, sendJson } from './http/apollo-handler';
import { maskError } from './http/mask';
import { createLogger, type Logger } from './logger';
import { buildGapwatchSchema } from './schema/build';
import { connectBackends } from './backends';

export const GRAPHQL_PATH = '/graphql';

export interface AppOptions {
  env: EnvConfig;
  logger?: Logger;
  clock?: Clock;
}

export interface App {
  readonly services: AppScope['services'];
  readonly httpServer: Server;
  /** The embedded AWS endpoint this app started (embedded backend only). */
  readonly embedded?: EmbeddedEndpoint;
  /** Runs the datasets' scheduled checks. */
  readonly scheduler: GapScheduler;
  /** Starts listening; port 0 picks a free one. Resolves with the address actually bound. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops accepting, lets in-flight requests finish, closes sockets, then stops the backends it started. */
  stop(): Promise<void>;
}

const requestIds = new AsyncLocalStorage<string>();

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * Builds the whole service without opening a port: backends, services, schema, HTTP and WebSocket on one
 * server. `main.ts` listens on the configured port; tests listen on port 0.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { env } = options;
  const logger = options.logger ?? createLogger(env.logLevel);
  const clock = options.clock ?? realClock;
  const backends = await connectBackends(loadSettings(env), logger, clock);
  const scope: AppScope = { logger, services: backends.services, now: clock.now };
  const schema = await buildGapwatchSchema(scope.services);

  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: MAX_BODY_BYTES });
  const wsCleanup = useServer(
    {
      schema,
      context: () => createContext(scope, randomUUID()),
      onNext: (ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors) return result;
        const requestId = (_args.contextValue as Context | undefined)?.requestId;
        return { ...result, errors: result.errors.map((e) => maskError(e.toJSON(), e, logger, requestId)) };
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => maskError(e.toJSON(), e, logger, undefined)) as never,
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler would stop only
    // itself and re-raise the signal in the middle of that.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => maskError(formatted, error, logger, requestIds.getStore()),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // gapwatch sets no cache hints; the plugin would otherwise wrap every field resolver (a cost per row).
      ApolloServerPluginCacheControlDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (pathname === '/readyz') {
      const report = await scope.services.health.report();
      return sendJson(res, report.status === 'OK' ? 200 : 503, {
        status: report.status === 'OK' ? 'ready' : 'not ready',
        notReady: report.checks.filter((c) => !c.ready).map((c) => ({ name: c.name, message: c.message })),
        checks: report.checks,
      });
    }
    if (pathname === GRAPHQL_PATH) {
      if (wantsExplorer(req)) return serveExplorerPage(req, res);
      return handleGraphQL(apollo, req, res, async () => createContext(scope, requestId));
    }
    if (pathname.startsWith(EXPLORER_PREFIX) && serveExplorerAsset(req, res, pathname)) return;
    if (pathname === '/' && req.method === 'GET') {
      res.writeHead(302, { location: GRAPHQL_PATH });
      return void res.end();
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${pathname}; GraphQL is at ${GRAPHQL_PATH}` });
  }

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    requestIds.run(requestId, () => {
      route(req, res, requestId).catch((err: unknown) => {
        if (err instanceof BodyTooLargeError) {
          // The rest of the body is still on the wire: close the connection rather than reuse it.
          res.setHeader('connection', 'close');
          if (!res.headersSent) sendJson(res, 413, { errors: [{ message: err.message, extensions: { code: ErrorCode.BAD_REQUEST } }] });
          return;
        }
        logger.error({ err, requestId }, 'request failed');
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId } }] });
        else res.destroy();
      });
    });
  });

  let stopped: Promise<void> | undefined;
  return {
    services: scope.services,
    httpServer,
    embedded: backends.embedded,
    scheduler: backends.scheduler,
    listen(port = env.port, host = env.host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const address = httpServer.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${shown}:${address.port}`, port: address.port });
        });
      });
    },
    stop() {
      stopped ??= (async () => {
        // Apollo's drain plugin stops accepting, waits for in-flight requests, and runs the WebSocket dispose.
        await apollo.stop();
        wsServer.close();
        if (httpServer.listening) await new Promise<void>((r) => httpServer.close(() => r()));
        await backends.close();
      })();
      return stopped;
    },
  };
}
