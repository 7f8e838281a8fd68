/**
 * The one registry of error codes gapwatch puts in `extensions.code`, of GraphQL errors and of the HTTP-level
 * JSON errors alike. Every code is documented here once; clients may switch on them. One convention, the one
 * GraphQL servers already use (Apollo's BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED): UPPER_SNAKE_CASE, the key
 * spelled as its value. Apollo Server's own codes (ApolloServerErrorCode: GRAPHQL_PARSE_FAILED,
 * GRAPHQL_VALIDATION_FAILED, PERSISTED_QUERY_NOT_FOUND, …) reach clients unchanged beside these.
 */
export const ErrorCode = {
  /** A GraphQL argument is malformed or out of range; `extensions.argument` names it. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** A named thing (dataset, named query, execution) does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** No API key, or one gapwatch does not know, where keys are required. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** An operation is switched off in this deployment (e.g. raw SQL), or the key's role may not run it. */
  FORBIDDEN: 'FORBIDDEN',
  /** A request went past a configured limit; `extensions.limit` names it and `extensions.value` gives its value. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** An Athena query ended FAILED; `extensions.reason` carries Athena's StateChangeReason. */
  QUERY_FAILED: 'QUERY_FAILED',
  /** An Athena query ended CANCELLED. */
  QUERY_CANCELLED: 'QUERY_CANCELLED',
  /** Waiting for an Athena query ran past the configured limit; the query is left running. */
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  /** Results were asked for a query that has not succeeded (still running). */
  QUERY_NOT_READY: 'QUERY_NOT_READY',
  /** A backend (Athena, Step Functions) could not be reached or answered unexpectedly. */
  BACKEND_UNAVAILABLE: 'BACKEND_UNAVAILABLE',
  /**
   * A pipeline run of the same name is running with another input (started outside gapwatch); `extensions.runId`
   * names it. Step Functions' ExecutionAlreadyExists.
   */
  RUN_CONFLICT: 'RUN_CONFLICT',
  /** A subscriber fell too far behind; `extensions.limit`/`value` name the bound, `lastEventId` where to resume. */
  SUBSCRIPTION_OVERFLOW: 'SUBSCRIPTION_OVERFLOW',
  /** The service is stopping: the request was not run, or not finished in the drain time; retry after `Retry-After`. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** Anything unexpected: details are logged with the request id, never sent to clients. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /**
   * The HTTP request itself is unusable before any GraphQL is read: a body that is not JSON, or over the size
   * limit. Apollo Server answers its own malformed requests (no query, wrong method) with the same code.
   */
  BAD_REQUEST: 'BAD_REQUEST',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Bad configuration found at start-up. The message names the variable or key and the expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The data dir's DuckDB file is held by another process: DuckDB admits one writer process per file, so a
 * second gapwatch (service, `npm run embedded` or an in-process CLI check) on the same GAPWATCH_DATA_DIR
 * cannot start. Each entry point turns this into its own one-line remedy. (Here rather than beside DuckDB,
 * so that catching it loads nothing of the embedded backend.)
 */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  constructor(readonly dataDir: string) {
    super(`another gapwatch is using the data dir ${dataDir}`);
  }
}

/**
 * A port gapwatch was told to listen on is held by another process (a second gapwatch, say). Each entry
 * point prints the message as its one line: which port, and the variable that moves it.
 */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly host: string,
    readonly variable: 'PORT' | 'GAPWATCH_EMBEDDED_PORT',
  ) {
    super(
      variable === 'PORT'
        ? `port ${port} on ${host} is in use (another gapwatch?): stop it, or set PORT to another port`
        : `port ${port} on ${host} (the embedded AWS endpoint) is in use (another gapwatch, or npm run embedded?): stop it, or set GAPWATCH_EMBEDDED_PORT to another port (0 = any free port)`,
    );
  }
}

/**
 * An expected failure that reaches a client as a GraphQL error with a code from the registry above.
 * Anything thrown that is not a CodedError (or a GraphQL validation error) is masked as INTERNAL_SERVER_ERROR.
 *
 * A plain Error, not graphql's GraphQLError: the services (and the Lambda functions built from them)
 * throw it without loading graphql. graphql wraps it when a resolver throws it, keeping `extensions`;
 * where an error goes to graphql or graphql-ws directly, http/mask.ts's asGraphQLError carries it.
 */
export class CodedError extends Error {
  override name = 'CodedError';
  readonly extensions: Readonly<Record<string, unknown>> & { readonly code: ErrorCode };

  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.extensions = { ...extensions, code };
  }
}

/** A bad argument: the message quotes the bad value and says what is accepted. */
export function badInput(argument: string, message: string): CodedError {
  return new CodedError(ErrorCode.BAD_USER_INPUT, `${argument}: ${message}`, { argument });
}

/** A limit hit: the message says what was asked; the limit and its value travel in the extensions too. */
export function limitExceeded(limit: string, value: number, message: string): CodedError {
  return new CodedError(ErrorCode.LIMIT_EXCEEDED, `${limit} (${value}) exceeded: ${message}`, { limit, value });
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
