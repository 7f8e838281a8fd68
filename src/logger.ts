import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/** Structured JSON logs on stdout, one line an event: what log shippers expect from a container. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'gapwatch' }, timestamp: pino.stdTimeFunctions.isoTime });
}
