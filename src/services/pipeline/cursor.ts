import { badInput } from '../../errors';

/** A cursor is the JSON of a position, base64url: opaque to clients, checked when it comes back. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, argument: string, valid: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = cursor.length <= 4096 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    value = undefined;
  }
  if (!valid(value)) throw badInput(argument, 'not a cursor this API handed out');
  return value;
}

/**
 * A runs cursor: the ListExecutions token of the page the last item looked at was on, and its index there
 * (-1: the page's start, for a cursor past the end of the page before).
 */
export type RunsCursor = { t: string | null; i: number };
export const isRunsCursor = (v: unknown): v is RunsCursor =>
  typeof v === 'object' && v !== null && (typeof (v as RunsCursor).t === 'string' || (v as RunsCursor).t === null) && Number.isInteger((v as RunsCursor).i) && (v as RunsCursor).i >= -1;
