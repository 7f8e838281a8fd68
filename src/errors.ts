/**
 * The one registry of error codes gapwatch puts in GraphQL `extensions.code`.
 * Every code is documented here once; clients may switch on them.
 */
export const ErrorCode = {
  /** A GraphQL argument is malformed or out of range; `extensions.argument` names it. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** A named thing (dataset, named query, execution) does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** An operation is switched off in this deployment (e.g. raw SQL). */
  FORBIDDEN: 'FORBIDDEN',
  /** An Athena query ended FAILED; `extensions.reason` carries Athena's StateChangeReason. */
  QUERY_FAILED: 'athena/query_failed',
  /** An Athena query ended CANCELLED. */
  QUERY_CANCELLED: 'athena/query_cancelled',
  /** Waiting for an Athena query ran past the configured limit; the query is left running. */
  QUERY_TIMEOUT: 'athena/query_timeout',
  /** Results were asked for a query that has not succeeded (still running). */
  QUERY_NOT_READY: 'athena/query_not_ready',
  /** A backend (Athena, Step Functions) could not be reached or answered unexpectedly. */
  BACKEND_UNAVAILABLE: 'BACKEND_UNAVAILABLE',
  /** Anything unexpected: details are logged with the request id, never sent to clients. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Bad configuration found at start-up. The message names the variable or key and the expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
