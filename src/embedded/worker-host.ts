/**
 * The embedded AWS endpoint on a worker thread of the service: the same `startEmbedded` (server.ts), the
 * same port and behaviour, started and stopped with the service. In one thread, the endpoint rendering a
 * large result (or paging one to the service's own SDK client) held up GraphQL for as long; on its own
 * event loop it does not, and on two cores the two overlap (docs/performance.md).
 *
 * What cannot cross a thread stays here: Step Functions Task handlers are functions of the service, so the
 * worker calls them over its port (input and context in; the result as JSON, or the thrown error's name and
 * message, back; an execution's abort forwarded so the handler's AbortSignal fires), and the worker's log
 * lines are written to this logger's own stream.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import { ConfigError, PortInUseError } from '../errors';
import { DataDirInUseError, type EmbeddedEndpoint, type EmbeddedOptions, type FaultSpec, type TaskHandler } from './server';

/** What the worker gets: the options that can be copied, and the ARNs whose handlers stay here. */
export interface WorkerData extends Omit<EmbeddedOptions, 'logger' | 'services' | 'stepFunctions'> {
  stepFunctions?: Omit<NonNullable<EmbeddedOptions['stepFunctions']>, 'logger' | 'taskHandlers'>;
  taskArns: string[];
  /** The host loggers' levels and bindings, recreated on the worker (none: silent). */
  log?: LogSpec;
  sfnLog?: LogSpec;
}

interface LogSpec {
  level: string;
  bindings: Record<string, unknown>;
}

const logSpec = (logger: Logger | undefined): LogSpec | undefined =>
  logger && logger.level !== 'silent' ? { level: logger.level, bindings: logger.bindings() } : undefined;

/** Host → worker. */
export type HostMessage =
  | { op: 'calls' | 'close'; id: number }
  | { op: 'faults'; id: number; spec: FaultSpec | null }
  | { op: 'task'; id: number; output?: string; error?: { name: string; message: string } };

/** Worker → host. */
export type WorkerMessage =
  | { op: 'ready'; url: string }
  | { op: 'failed'; name: string; message: string }
  | { op: 'reply'; id: number; value?: unknown; error?: { name: string; message: string } }
  | { op: 'task'; id: number; arn: string; input: unknown; executionArn: string; stateName: string }
  | { op: 'taskAbort'; id: number; reason: string }
  | { op: 'log'; line: string };

/**
 * The worker's entry point. Built, it is worker.js beside this file. Under jest the sources are TypeScript
 * and nothing is built: the worker then compiles them as it loads them, with @swc/core (a devDependency,
 * jest's own transform), so tests always run the code they see.
 */
function workerSource(): { file: string; eval: boolean } {
  const js = path.join(__dirname, 'worker.js');
  if (existsSync(js)) return { file: js, eval: false };
  const ts = path.join(__dirname, 'worker.ts');
  const code = `
    const fs = require('node:fs');
    const { transformSync } = require(${JSON.stringify(require.resolve('@swc/core'))});
    require.extensions['.ts'] = (module, filename) => {
      const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
        filename,
        sourceMaps: 'inline',
        jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      module._compile(code, filename);
    };
    require(${JSON.stringify(ts)});`;
  return { file: code, eval: true };
}

const describe = (c: unknown): string => (typeof c === 'string' ? c : (JSON.stringify(c) ?? String(c)));

/** How the host restarts a worker that died (an out-of-memory end, a native crash). */
export interface RestartPolicy {
  /** Restarts allowed within `windowMs` (default 3); one more death is the end. */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTARTS: RestartPolicy = { maxRestarts: 3, windowMs: 10 * 60_000 };

export interface WorkerOptions extends Omit<EmbeddedOptions, 'services'> {
  /**
   * The worker's V8 old generation limit, MiB (default none: V8's own). Past it V8 ends the worker with
   * ERR_WORKER_OUT_OF_MEMORY and the host restarts it; the service itself lives on.
   */
  heapLimitMiB?: number;
  restarts?: Partial<RestartPolicy>;
  /**
   * Called once when the worker died more often than `restarts` allows: the endpoint stays down. The
   * service exits non-zero then, so that an orchestrator restarts the whole process.
   */
  onGiveUp?: (err: Error) => void;
}

/**
 * Starts the endpoint on a worker thread; resolves once it listens, rejects as `startEmbedded` would. A
 * worker that dies later is started again on the same port and data dir (its running executions are
 * closed as interrupted by the new one, as after a crash); meanwhile `health()` says it is down.
 */
export async function startEmbeddedWorker(opts: WorkerOptions): Promise<EmbeddedEndpoint> {
  const { logger, stepFunctions, heapLimitMiB, restarts, onGiveUp, ...copied } = opts;
  const policy = { ...DEFAULT_RESTARTS, ...restarts };
  const { taskHandlers = {}, logger: sfnLogger, ...sfnCopied } = stepFunctions ?? { dataDir: '' };
  const handlers = new Map<string, TaskHandler>(Object.entries(taskHandlers));
  const data: WorkerData = {
    ...copied,
    ...(stepFunctions ? { stepFunctions: sfnCopied } : {}),
    taskArns: [...handlers.keys()],
    log: logSpec(logger),
    sfnLog: logSpec(sfnLogger),
  };
  const source = workerSource();
  // Both loggers are children of the service's one logger, so they share its stream.
  const streamOf = (l: Logger | undefined) => (l ? (l as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym] : undefined);
  const stream = streamOf(logger) ?? streamOf(sfnLogger);

  let worker: Worker;
  const replies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const running = new Map<number, AbortController>();
  let nextId = 1;
  /** Why the endpoint is not serving now (its worker exited), or undefined while it is. */
  let down: Error | undefined;
  let closing: Promise<void> | undefined;
  let gaveUp = false;
  /** Set once the first worker listens: from then on, any worker that exits unasked is restarted. */
  let started = false;
  const deaths: number[] = [];

  const ask = (m: { op: 'calls' | 'close' } | { op: 'faults'; spec: FaultSpec | null }): Promise<unknown> => {
    if (down) return Promise.reject(down);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      replies.set(id, { resolve, reject });
      worker.postMessage({ ...m, id } as HostMessage);
    });
  };

  /** Runs a Task handler for the worker and answers it; never throws. */
  const runTask = async (from: Worker, m: Extract<WorkerMessage, { op: 'task' }>): Promise<void> => {
    const controller = new AbortController();
    running.set(m.id, controller);
    let answer: HostMessage;
    try {
      const handler = handlers.get(m.arn)!;
      const result = await handler(m.input, { signal: controller.signal, executionArn: m.executionArn, stateName: m.stateName });
      let output: string;
      try {
        // As the in-process engine does: undefined, a function or a symbol is recorded as null.
        output = JSON.stringify(result ?? null) ?? 'null';
      } catch (err) {
        throw Object.assign(new Error(`The Task result is not JSON: ${(err as Error).message}`), { name: 'States.Runtime' });
      }
      answer = { op: 'task', id: m.id, output };
    } catch (err) {
      const error = err instanceof Error ? { name: err.name || 'Error', message: err.message } : { name: 'Error', message: describe(err) };
      answer = { op: 'task', id: m.id, error };
    } finally {
      running.delete(m.id);
    }
    // Only to the worker that asked: a restarted one knows nothing of this call.
    if (from === worker && !down) worker.postMessage(answer);
  };

  /** One worker: resolves with its URL once it listens, rejects if it fails to start or exits first. */
  const spawn = (workerData: WorkerData): Promise<string> => {
    const w = new Worker(source.file, {
      eval: source.eval,
      workerData,
      // A small young generation: what the endpoint allocates per request (a page's rows, its JSON) dies
      // young or is large enough to skip it, and V8's default (up to 48 MiB per heap) was RSS the endpoint
      // did not use (27 MB of peak while a client paged 1M rows, no change in paging time:
      // docs/performance.md).
      resourceLimits: { maxYoungGenerationSizeMb: 8, ...(heapLimitMiB ? { maxOldGenerationSizeMb: heapLimitMiB } : {}) },
    });
    worker = w;
    return new Promise<string>((resolve, reject) => {
      w.on('message', (m: WorkerMessage) => {
        switch (m.op) {
          case 'ready':
            return resolve(m.url);
          case 'failed':
            // The start-up errors each entry point explains in its own words, as they are in-process.
            if (m.name === 'DataDirInUseError') return reject(new DataDirInUseError(opts.dataDir));
            if (m.name === 'ConfigError') return reject(new ConfigError(m.message));
            if (m.name === 'PortInUseError') return reject(new PortInUseError(opts.port, opts.host ?? '127.0.0.1', 'GAPWATCH_EMBEDDED_PORT'));
            return reject(Object.assign(new Error(m.message), { name: m.name }));
          case 'reply': {
            const waiting = replies.get(m.id);
            replies.delete(m.id);
            if (m.error) waiting?.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
            else waiting?.resolve(m.value);
            return;
          }
          case 'task':
            return void runTask(w, m);
          case 'taskAbort':
            return running.get(m.id)?.abort(new Error(m.reason));
          case 'log':
            return stream?.write(m.line);
        }
      });
      w.on('error', (err) => {
        logger?.error({ err }, 'the embedded endpoint worker failed');
        reject(err);
      });
      w.once('exit', (code) => {
        const exited = new Error(`the embedded endpoint worker has exited (code ${code})`);
        down = exited;
        reject(exited);
        for (const r of replies.values()) r.reject(exited);
        replies.clear();
        for (const c of running.values()) c.abort(exited);
        running.clear();
        if (started && !closing) restart(exited);
      });
    });
  };

  /** After a death: start a new worker on the same port, unless it has died too often lately. */
  const restart = (cause: Error): void => {
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0] < now - policy.windowMs) deaths.shift();
    if (deaths.length > policy.maxRestarts) {
      gaveUp = true;
      const err = new Error(`the embedded endpoint worker died ${deaths.length} times within ${policy.windowMs / 1000} s; not restarting it (${cause.message})`);
      down = err;
      logger?.fatal({ err }, 'the embedded AWS endpoint is down for good');
      onGiveUp?.(err);
      return;
    }
    logger?.error({ err: cause, restart: deaths.length, of: policy.maxRestarts }, 'the embedded AWS endpoint worker died; restarting it');
    // The same port, so every client built on the URL finds it again.
    spawn({ ...data, port: Number(new URL(url).port) }).then(
      () => {
        down = undefined;
        logger?.info({ url }, 'the embedded AWS endpoint is serving again');
      },
      (err: Error) => {
        logger?.error({ err }, 'the embedded AWS endpoint worker did not start again');
        // Its exit (now, if it has not exited by itself) counts as one more death: a restart or the end.
        void worker.terminate();
      },
    );
  };

  let url: string;
  try {
    url = await spawn(data);
    started = true;
  } catch (err) {
    await worker!.terminate();
    throw err;
  }

  return {
    url,
    calls: () => ask({ op: 'calls' }) as Promise<Record<string, number>>,
    injectFaults: async (spec) => {
      await ask({ op: 'faults', spec });
    },
    health: () => (down ? { up: false, reason: gaveUp ? down.message : `restarting: ${down.message}` } : { up: true }),
    close() {
      closing ??= (async () => {
        if (!down) await ask({ op: 'close' }).catch(() => undefined);
        await worker.terminate();
      })();
      return closing;
    },
  };
}
