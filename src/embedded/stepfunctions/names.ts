/**
 * Step Functions' wire rules that are not about executions themselves: its error body, names, ARNs and
 * page tokens. Messages follow the wording AWS sends, so a user who sees one can search for it.
 */
import { AwsServiceError, quoted, type ValidationErrorFactory } from '../protocol';

export const JSON_10 = 'application/x-amz-json-1.0';

/** Step Functions answers errors as `{"__type": …, "message": …}` (lower-case `message`, unlike Athena). */
export class SfnError extends AwsServiceError {
  override body(): Record<string, unknown> {
    return { __type: this.type, message: this.message, ...this.extra };
  }
}

export const validation: ValidationErrorFactory = (message) => new SfnError('ValidationException', message);

/**
 * State machine and execution names: 1–80 characters, none of whitespace, brackets, wildcards, the
 * special characters AWS lists, or control characters. The same rule keeps names safe as parts of an
 * ARN (no `:`); files on disk are never named after them.
 */
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;
export const MAX_NAME = 80;

export function checkName(name: string): string {
  if (name.length < 1 || name.length > MAX_NAME || FORBIDDEN.test(name)) {
    throw new SfnError('InvalidName', `Invalid Name: '${quoted(name)}'`);
  }
  return name;
}

export interface Partition {
  region: string;
  accountId: string;
}

export const machineArn = (p: Partition, name: string): string => `arn:aws:states:${p.region}:${p.accountId}:stateMachine:${name}`;
export const executionArn = (p: Partition, machine: string, name: string): string => `arn:aws:states:${p.region}:${p.accountId}:execution:${machine}:${name}`;

const MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

/** A malformed ARN is `InvalidArn`; a well-formed one that names nothing here is left to the caller's lookup. */
export function checkArn(arn: string, kind: 'stateMachine' | 'execution'): string {
  if (!(kind === 'stateMachine' ? MACHINE_ARN : EXECUTION_ARN).test(arn)) {
    throw new SfnError('InvalidArn', `Invalid Arn: '${arn.length > 300 ? `${arn.slice(0, 300)}…` : arn}' is not a ${kind === 'stateMachine' ? 'state machine' : 'execution'} ARN`);
  }
  return arn;
}

/**
 * Page tokens are opaque to clients: base64url JSON naming what they page (so a token of one listing is
 * refused by another) and where the next page starts. Anything else is `InvalidToken`.
 */
export function encodeToken(scope: string, position: number): string {
  return Buffer.from(JSON.stringify({ scope, position })).toString('base64url');
}

export function decodeToken(token: string, scope: string): number {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { scope?: unknown; position?: unknown };
    if (t.scope === scope && typeof t.position === 'number' && Number.isInteger(t.position) && t.position >= 0) return t.position;
  } catch {
    // any undecodable token is simply invalid
  }
  throw new SfnError('InvalidToken', `Invalid Token: '${quoted(token)}'`);
}
