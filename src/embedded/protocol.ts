/**
 * The AWS JSON 1.1 protocol as the embedded services speak it: `POST /` with
 * `X-Amz-Target: <Service>.<Operation>`, a JSON body, and JSON errors the SDKs parse by `__type`.
 * SigV4 signatures are verified when the endpoint has keys (server.ts, sigv4.ts), else accepted unchecked.
 */

/** An error answered to the client as AWS does: HTTP status, `__type`, message and extra members. */
export class AwsServiceError extends Error {
  override name = 'AwsServiceError';
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { __type: this.type, Message: this.message, ...this.extra };
  }
}

/** Handles the operations of one service; `input` is the parsed JSON body. */
export type ServiceHandler = (operation: string, input: Record<string, unknown>) => Promise<unknown>;

/** One entry of the routing registry: requests whose target starts with `prefix` go to `handler`. */
export interface ServiceRoute {
  /** e.g. `AmazonAthena.` or `AWSStepFunctions.` (with the dot). */
  prefix: string;
  /** The service's SigV4 signing name, the credential scope's service: `athena`, `states`. */
  signingName: string;
  handler: ServiceHandler;
  /** Called once when the endpoint closes (stop engines, release files). */
  close?: () => Promise<void>;
  /**
   * Called when the endpoint starts closing, before the listener stops: work in flight (a running
   * execution) records how it ended while the endpoint it may call is still there.
   */
  drain?: () => Promise<void>;
  /** The protocol's content type; default `application/x-amz-json-1.1` (Step Functions speaks 1.0). */
  contentType?: string;
}

export class ServiceRegistry {
  private readonly routes: ServiceRoute[] = [];

  register(route: ServiceRoute): void {
    if (this.routes.some((r) => r.prefix === route.prefix)) throw new Error(`a service is already registered for ${route.prefix}`);
    this.routes.push(route);
  }

  /** The route and bare operation name for an `X-Amz-Target`, or undefined when no service claims it. */
  resolve(target: string): { route: ServiceRoute; operation: string } | undefined {
    const route = this.routes.find((r) => target.startsWith(r.prefix));
    return route && { route, operation: target.slice(route.prefix.length) };
  }

  all(): readonly ServiceRoute[] {
    return this.routes;
  }
}

/**
 * How a service answers a member that fails its model constraint: the message wording is AWS's for every
 * service ("1 validation error detected: …"), the error type differs (Athena: InvalidRequestException,
 * Step Functions: ValidationException). Athena's is the default.
 */
export type ValidationErrorFactory = (message: string) => AwsServiceError;

const athenaInvalid: ValidationErrorFactory = (message) => new AwsServiceError('InvalidRequestException', message, 400, { AthenaErrorCode: 'INVALID_INPUT' });

/** Reads a required string member or answers the validation error the service would. */
export function requireString(input: Record<string, unknown>, key: string, min = 1, max = Infinity, err: ValidationErrorFactory = athenaInvalid): string {
  const v = input[key];
  if (v === undefined || v === null) {
    throw err(`1 validation error detected: Value null at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof v !== 'string') throw invalidValue(key, v, 'Member must be a string', err);
  if (v.length < min) throw invalidValue(key, v, `Member must have length greater than or equal to ${min}`, err);
  if (v.length > max) throw invalidValue(key, v, `Member must have length less than or equal to ${max}`, err);
  return v;
}

export function optionalString(
  input: Record<string, unknown> | undefined,
  key: string,
  min = 0,
  max = Infinity,
  err: ValidationErrorFactory = athenaInvalid,
): string | undefined {
  if (!input || input[key] === undefined || input[key] === null) return undefined;
  return requireString(input, key, min, max, err);
}

export function optionalInt(input: Record<string, unknown>, key: string, min: number, max: number, err: ValidationErrorFactory = athenaInvalid): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidValue(key, v, 'Member must be an integer', err);
  if (v < min) throw invalidValue(key, v, `Member must have value greater than or equal to ${min}`, err);
  if (v > max) throw invalidValue(key, v, `Member must have value less than or equal to ${max}`, err);
  return v;
}

export function optionalBoolean(input: Record<string, unknown>, key: string, err: ValidationErrorFactory = athenaInvalid): boolean | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidValue(key, v, 'Member must be a boolean', err);
  return v;
}

/** How much of a refused value an error quotes: enough to recognise it, never the whole of a large input. */
export const QUOTED_PREFIX = 100;

/** At most QUOTED_PREFIX characters of `text`, with an ellipsis when cut. */
export const quoted = (text: string): string => (text.length > QUOTED_PREFIX ? `${text.slice(0, QUOTED_PREFIX)}…` : text);

export function invalidValue(key: string, value: unknown, constraint: string, err: ValidationErrorFactory = athenaInvalid): AwsServiceError {
  const shown = quoted(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
  return err(`1 validation error detected: Value '${shown}' at '${lowerFirst(key)}' failed to satisfy constraint: ${constraint}`);
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
