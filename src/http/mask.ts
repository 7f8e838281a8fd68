import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { CodedError, ErrorCode } from '../errors';
import type { Logger } from '../logger';

/**
 * A coded error where graphql or graphql-ws take only a GraphQLError (a validation rule's report, what
 * onSubscribe returns): the GraphQLError carries it as its originalError, which maskError unwraps.
 */
export function asGraphQLError(err: CodedError, extensions: Record<string, unknown> = err.extensions): GraphQLError {
  return new GraphQLError(err.message, { originalError: err, extensions });
}

function original(error: unknown): unknown {
  let e = error as { originalError?: unknown };
  while (e && typeof e === 'object' && e.originalError && e.originalError !== e) e = e.originalError as typeof e;
  return e;
}

/**
 * The one place an error becomes what a client sees, for HTTP (Apollo's formatError) and WebSocket
 * (graphql-ws) alike. Coded errors and errors about the request itself pass; anything else is an internal
 * failure: logged in full with the request id, and answered with a bare message and that id, never a stack
 * or internals.
 */
export function maskError(
  formatted: GraphQLFormattedError,
  error: unknown,
  logger: Logger,
  requestId: string | undefined,
): GraphQLFormattedError {
  const cause = original(error);
  if (cause instanceof CodedError && cause.code === ErrorCode.BACKEND_UNAVAILABLE) {
    // An SDK's message can name accounts, ARNs, buckets and hosts: the client learns which backend failed,
    // the log gets the rest under the request id.
    logger.warn({ err: cause, requestId, path: formatted.path }, 'a backend call failed');
    const service = String(cause.extensions.service ?? 'a backend');
    return { ...formatted, message: `${service} did not answer as expected; details are in the service log`, extensions: { ...cause.extensions, requestId } };
  }
  if (cause instanceof CodedError) return { ...formatted, extensions: { ...cause.extensions } };
  if (cause instanceof ArgumentValidationError) {
    return {
      ...formatted,
      extensions: { code: ErrorCode.BAD_USER_INPUT, validation: cause.extensions?.validationErrors ?? [] },
    };
  }
  if (formatted.path === undefined) {
    // Not raised while executing a field: a parse, validation or variable error about the request itself.
    // graphql's "Did you mean …?" would list field and type names to a client that may not introspect.
    return { ...formatted, message: formatted.message.replace(/ Did you mean .*\?$/, ''), extensions: { ...formatted.extensions, code: formatted.extensions?.code ?? ErrorCode.BAD_USER_INPUT } };
  }
  logger.error({ err: cause, requestId, path: formatted.path }, 'unexpected error in a GraphQL operation');
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId },
  };
}
