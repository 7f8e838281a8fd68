/**
 * What Athena's refusals mean, told by exception type and name (the SDK has no not-found exception), and
 * the coded errors gapwatch turns them into. Shared by the SDK calls (athena.service.ts) and the page
 * reader (result-pages.ts).
 */
import { AthenaServiceException, type UnprocessedQueryExecutionId } from '@aws-sdk/client-athena';
import { CodedError, ErrorCode } from '../../errors';

/**
 * Athena has no not-found exception: it refuses an id it does not know (or that is malformed) with
 * InvalidRequestException. Get- and StopQueryExecution take nothing but the id, so for them the exception's
 * name alone means "no such execution"; its wording is never read.
 */
export function isRefused(err: unknown): err is AthenaServiceException {
  return err instanceof AthenaServiceException && err.name === 'InvalidRequestException';
}

/** An id BatchGetQueryExecution left unprocessed because Athena does not know it, as opposed to throttling. */
export function isUnknownId(u: UnprocessedQueryExecutionId): boolean {
  return u.ErrorCode === 'INVALID_INPUT' || /not found/i.test(u.ErrorMessage ?? '');
}

/**
 * Athena's answer to a ClientRequestToken reused for a different request: an InvalidRequestException
 * whose only telling part is its message (the SDK has no distinct exception for it).
 */
export function isTokenConflict(err: unknown): boolean {
  return isRefused(err) && /idempoten/i.test(err.message);
}

/** SDK failures become coded errors; Athena's own words are kept, credentials and internals are not. */
export function backendError(err: unknown, what: string): CodedError {
  if (err instanceof CodedError) return err;
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return new CodedError(ErrorCode.BACKEND_UNAVAILABLE, `Athena ${what} failed: ${name}: ${message}`, { service: 'athena' });
}

export function notFound(id: string): CodedError {
  return new CodedError(ErrorCode.NOT_FOUND, `query execution '${id}' was not found`, { argument: 'id' });
}
