import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createApp, type App } from '../../src/app';
import { createLogger } from '../../src/logger';
import { loadEnvConfig, type Env } from '../../src/config';

export interface TestApp {
  app: App;
  url: string;
  dataDir: string;
  /** POSTs one GraphQL operation and returns the parsed response body. */
  gql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<any>;
  ws(connectionParams?: Record<string, unknown>): Client;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** Overrides of the environment the app sees (the process environment is not read). */
  env?: Env;
  /** The config file's YAML text; none = no config file. */
  config?: string;
  /** Reuse a data dir (e.g. to restart on the same embedded data); by default a fresh one. */
  dataDir?: string;
  /** Where the service's log lines go (at GAPWATCH_LOG_LEVEL); by default stdout. */
  logTo?: { write(line: string): void };
}

/**
 * Starts the real app on 127.0.0.1, port 0, with a fresh data dir and the embedded backend on port 0 too.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'gapwatch-test-'));
  const configFile = path.join(dataDir, 'gapwatch.config.yaml');
  if (options.config !== undefined) writeFileSync(configFile, options.config);
  const config = loadEnvConfig({
    GAPWATCH_DATA_DIR: dataDir,
    GAPWATCH_EMBEDDED_PORT: '0',
    GAPWATCH_LOG_LEVEL: 'silent',
    GAPWATCH_CONFIG: configFile,
    ...options.env,
  });
  const app = await createApp({ env: config, ...(options.logTo ? { logger: createLogger(config.logLevel, options.logTo) } : {}) });
  const { url } = await app.listen(0, '127.0.0.1');
  const clients: Client[] = [];
  return {
    app,
    url,
    dataDir,
    async gql(query, variables, headers) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return res.json() as Promise<any>;
    },
    ws(connectionParams) {
      const client = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects the first `count` events of a subscription, then unsubscribes. */
export function take<T = any>(client: Client, query: string, count: number, variables?: Record<string, unknown>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          events.push(value as T);
          if (events.length === count) {
            unsubscribe();
            resolve(events);
          }
        },
        error: reject,
        complete: () => resolve(events),
      },
    );
  });
}
