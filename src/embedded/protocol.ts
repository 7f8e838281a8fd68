/**
 * The AWS JSON 1.1 protocol as the embedded services speak it: `POST /` with
 * `X-Amz-Target: <Service>.<Operation>`, a JSON body, and JSON errors the SDKs parse by `__type`.
 * SigV4 signatures are accepted unchecked: the listener is loopback only and has no accounts.
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
  handler: ServiceHandler;
  /** Called once when the endpoint closes (stop engines, release files). */
  close?: () => Promise<void>;
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

/** Reads a required string member or answers the validation error Athena would. */
export function requireString(input: Record<string, unknown>, key: string, min = 1, max = Infinity): string {
  const v = input[key];
  if (v === undefined || v === null) {
    throw new AwsServiceError('InvalidRequestException', `1 validation error detected: Value null at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`, 400, { AthenaErrorCode: 'INVALID_INPUT' });
  }
  if (typeof v !== 'string') throw invalidValue(key, v, 'Member must be a string');
  if (v.length < min) throw invalidValue(key, v, `Member must have length greater than or equal to ${min}`);
  if (v.length > max) throw invalidValue(key, v, `Member must have length less than or equal to ${max}`);
  return v;
}

export function optionalString(input: Record<string, unknown> | undefined, key: string, min = 0, max = Infinity): string | undefined {
  if (!input || input[key] === undefined || input[key] === null) return undefined;
  return requireString(input, key, min, max);
}

export function optionalInt(input: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidValue(key, v, 'Member must be an integer');
  if (v < min) throw invalidValue(key, v, `Member must have value greater than or equal to ${min}`);
  if (v > max) throw invalidValue(key, v, `Member must have value less than or equal to ${max}`);
  return v;
}

export function invalidValue(key: string, value: unknown, constraint: string): AwsServiceError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new AwsServiceError(
    'InvalidRequestException',
    `1 validation error detected: Value '${shown}' at '${lowerFirst(key)}' failed to satisfy constraint: ${constraint}`,
    400,
    { AthenaErrorCode: 'INVALID_INPUT' },
  );
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
