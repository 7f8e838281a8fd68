/**
 * The worker thread side of `startEmbeddedWorker` (worker-host.ts): runs `startEmbedded` — the one
 * implementation of the endpoint — on this thread's own event loop, so rendering results and DuckDB
 * bookkeeping never hold up the service's GraphQL thread. What cannot cross a thread stays with the host:
 * Task handlers are called there over the port, and log lines are written to the host's logger stream.
 */
import pino from 'pino';
import { parentPort, workerData } from 'node:worker_threads';
import { startEmbedded, type EmbeddedEndpoint, type TaskHandler } from './server';
import type { HostMessage, WorkerData, WorkerMessage } from './worker-host';

const port = parentPort!;
const data = workerData as WorkerData;
const post = (m: WorkerMessage): void => port.postMessage(m);

/** Task calls waiting on the host, by request id. */
const tasks = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
let nextTask = 1;

function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** A Task handler that runs the host's handler for `arn`, with the execution's abort forwarded to it. */
function proxyHandler(arn: string): TaskHandler {
  return (input, { signal, executionArn, stateName }) =>
    new Promise((resolve, reject) => {
      const id = nextTask++;
      const onAbort = (): void => post({ op: 'taskAbort', id, reason: signal.reason instanceof Error ? signal.reason.message : String(signal.reason) });
      tasks.set(id, {
        resolve: (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      post({ op: 'task', id, arn, input, executionArn, stateName });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
}

function logger(spec: WorkerData['log']): pino.Logger | undefined {
  if (!spec) return undefined;
  // Lines go to the host, which writes them to its own logger's stream: one output, in one order per thread.
  const stream = { write: (line: string) => post({ op: 'log', line }) };
  return pino({ level: spec.level, base: spec.bindings, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

async function main(): Promise<void> {
  const { stepFunctions, taskArns, log, sfnLog, ...opts } = data;
  let endpoint: EmbeddedEndpoint;
  try {
    const taskHandlers = Object.fromEntries(taskArns.map((arn) => [arn, proxyHandler(arn)]));
    endpoint = await startEmbedded({
      ...opts,
      logger: logger(log),
      ...(stepFunctions ? { stepFunctions: { ...stepFunctions, taskHandlers, ...(sfnLog ? { logger: logger(sfnLog) } : {}) } } : {}),
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ op: 'failed', name: e.name, message: e.message });
    return;
  }
  port.on('message', (m: HostMessage) => {
    switch (m.op) {
      case 'task': {
        const waiting = tasks.get(m.id);
        if (!waiting) return;
        tasks.delete(m.id);
        if (m.error) waiting.reject(namedError(m.error.name, m.error.message));
        else waiting.resolve(JSON.parse(m.output!));
        return;
      }
      case 'calls':
        return void endpoint.calls().then((value) => post({ op: 'reply', id: m.id, value }));
      case 'faults':
        return void endpoint.injectFaults(m.spec).then(
          () => post({ op: 'reply', id: m.id }),
          (err: Error) => post({ op: 'reply', id: m.id, error: { name: err.name, message: err.message } }),
        );
      case 'close':
        return void endpoint.close().then(
          () => post({ op: 'reply', id: m.id }),
          (err: Error) => post({ op: 'reply', id: m.id, error: { name: err.name, message: err.message } }),
        );
    }
  });
  post({ op: 'ready', url: endpoint.url });
}

void main();
