import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';

const MAX_NAMES = 200;

/** One finished GraphQL operation (an HTTP request, or one operation on a WebSocket). */
export interface OperationRecord {
  requestId: string | undefined;
  /** The API key id, never the key. */
  keyId: string | undefined;
  operation: string | undefined;
  type: string | undefined;
  transport: 'http' | 'ws';
  durationMs: number;
  /** The errors as sent to the client (already masked). */
  errors: readonly GraphQLFormattedError[] | undefined;
}

/**
 * Every operation ends here, whichever the transport: one JSON log line (request id, operation name, key id,
 * duration, outcome), its latency by name and outcome, and a count of each limit it hit.
 */
export function operationRecorder(logger: Logger, metrics: Metrics): (op: OperationRecord) => void {
  const seen = new Set<string>();
  return (op) => {
    const codes = (op.errors ?? []).map((e) => String(e.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR));
    const outcome = codes[0] ?? 'ok';
    for (const e of op.errors ?? []) {
      if (e.extensions?.code === ErrorCode.LIMIT_EXCEEDED) metrics.limitHits.inc({ limit: String(e.extensions.limit) });
    }
    // Names are the client's to choose: bound what a label and a log field may hold.
    const name = op.operation && /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(op.operation) ? op.operation : op.operation ? 'invalid' : 'anonymous';
    // …and how many series the metric may grow to: past MAX_NAMES distinct names, the rest count as `other`.
    if (!seen.has(name) && seen.size < MAX_NAMES) seen.add(name);
    metrics.operations.observe({ operation: seen.has(name) ? name : 'other', type: op.type ?? 'unknown', transport: op.transport, outcome }, op.durationMs / 1000);
    logger.info(
      { requestId: op.requestId, operation: name, type: op.type, keyId: op.keyId, transport: op.transport, durationMs: Math.round(op.durationMs), outcome },
      'graphql operation',
    );
  };
}
