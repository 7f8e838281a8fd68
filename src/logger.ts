import pino, { type Logger } from 'pino';
import type { LogLevel } from './settings';

export type { Logger };

/**
 * Structured JSON logs on stdout, one line an event: what log shippers expect from a container.
 *
 * Written asynchronously: pino's default stdout writes each line synchronously, and with a line per
 * operation that was ~0.2 ms of the service's thread inside every request (a pipe's reader sets the pace),
 * more than a page of typed rows spends in GraphQL's own execution. Lines still leave in order, and what is
 * queued is written out synchronously when the process exits (pino flushes its destination on exit).
 * `destination` is for tests that read what the service logs.
 */
export function createLogger(level: LogLevel, destination: pino.DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
  return pino({ level, base: { service: 'gapwatch' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
