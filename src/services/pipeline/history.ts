import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { TERMINAL_EVENT_TYPES } from '../events/run-watcher';

/** One event of a run's Step Functions history, as the API shows it. */
export interface RunEvent {
  id: number;
  previousId: number | null;
  type: string;
  /** The state the event belongs to (the state entered or exited, or the one whose Task or Map it reports). */
  state: string | null;
  at: Date;
  /** The event's details object as Step Functions gives it (input and output are JSON text). */
  detail: Record<string, unknown> | null;
}

/** Events whose appearance changes a run's status. */
export const STATUS_EVENTS: ReadonlySet<string> = new Set(['ExecutionStarted', ...TERMINAL_EVENT_TYPES]);

/** Events' detail members are `<camelType>EventDetails`; whichever one an event carries is its detail. */
export function detailOf(e: HistoryEvent): Record<string, unknown> | null {
  for (const [key, value] of Object.entries(e)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') return value as Record<string, unknown>;
  }
  return null;
}

/**
 * A history event as the API shows it. State and Map iteration events name their state; Task events belong
 * to the state of the event they follow (`stateOf` answers for earlier ids).
 */
export function toRunEvent(e: HistoryEvent, stateOf: (id: number) => string | null): RunEvent {
  const detail = detailOf(e);
  const own = typeof detail?.name === 'string' ? detail.name : undefined;
  return {
    id: e.id!,
    previousId: e.previousEventId || null,
    type: e.type!,
    state: own ?? (e.previousEventId ? stateOf(e.previousEventId) : null),
    at: e.timestamp!,
    detail,
  };
}

/** The state an event of a contiguous history (ids 1..n at index id − 1) belongs to, following previousEventId. */
export function stateIn(events: readonly HistoryEvent[], id: number): string | null {
  let e: HistoryEvent | undefined = events[id - 1];
  for (let hops = 0; e && hops < 1000; hops++) {
    const name = detailOf(e)?.name;
    if (typeof name === 'string') return name;
    e = e.previousEventId ? events[e.previousEventId - 1] : undefined;
  }
  return null;
}

/** The state a newest-first page of history entered last (for a running run, where it is now). */
export function lastStateEntered(newestFirst: readonly HistoryEvent[]): string | null {
  for (const e of newestFirst) {
    const detail = detailOf(e);
    if (e.type?.endsWith('StateEntered') && typeof detail?.name === 'string') return detail.name;
  }
  return null;
}
