import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { CodedError, ErrorCode } from '../../errors';
import { ExecutionNotFoundError, TERMINAL_EVENT_TYPES, type RunWatcher } from './run-watcher';

/** Live events a subscriber may fall behind by before its subscription is closed (it can resume with afterEventId). */
export const MAX_BUFFERED_EVENTS = 1_000;

/**
 * An event stream that can also hand over its next event without waiting, when one is ready: a subscriber
 * woken by a burst of events takes them all in one pass (http/shared-execution.ts) instead of one promise
 * round each. `takeReady` returns undefined whenever `next` has anything else to say (nothing ready yet,
 * the end, an error): `next` is then the way on.
 */
export interface ReadyStream<T> extends AsyncIterableIterator<T> {
  takeReady(): T | undefined;
}

/**
 * A run's events for one subscriber: the history after `afterEventId`, then live events, each id once and
 * in order, ending after the terminal event.
 *
 * Registration order avoids the classic race: the watch (and with it the live feed) is in place before the
 * history is read. The subscriber copies nothing: it keeps a cursor into the watch's one list of events
 * (ids 1..n, so event `id` sits at index id − 1), which all subscribers of the run share.
 *
 * A subscriber that does not keep up with live events falls at most `maxBuffered` behind; past that its
 * subscription ends with a coded error naming the limit and the last id it received, from which it can
 * resume. (The replayed history does not count: it is already held for everyone.)
 */
export function streamRunEvents(
  watcher: RunWatcher,
  executionArn: string,
  afterEventId = 0,
  maxBuffered = MAX_BUFFERED_EVENTS,
): ReadyStream<HistoryEvent> {
  let cursor = Math.max(0, afterEventId);
  /** Events present when the subscriber joined: a replay, exempt from the lag bound. */
  let joinedAt = Infinity;
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;

  const handle = watcher.watch(
    executionArn,
    {
      event: () => wake?.(),
      error: (err) => {
        failure ??= err instanceof ExecutionNotFoundError ? notFound(executionArn) : err;
        wake?.();
      },
    },
    { subscriber: true },
  );
  const ready = handle.loaded.then(
    () => {
      joinedAt = handle.events().length;
    },
    (err: Error) => {
      failure ??= err instanceof ExecutionNotFoundError ? notFound(executionArn) : err;
    },
  );

  /** Live events not yet taken (the replay present at joining does not count). */
  const behind = (events: readonly HistoryEvent[]): number => events.length - Math.max(cursor, joinedAt);
  const finish = (): IteratorResult<HistoryEvent> => {
    done = true;
    handle.release();
    wake?.();
    return { value: undefined, done: true };
  };
  const iterator: ReadyStream<HistoryEvent> = {
    takeReady() {
      // Not loaded yet (joinedAt is set once it is), ended, nothing ready, or past the lag bound: next() says.
      if (joinedAt === Infinity || done) return undefined;
      const events = handle.events();
      if (cursor >= events.length || behind(events) > maxBuffered) return undefined;
      return events[cursor++];
    },
    async next() {
      await ready;
      for (;;) {
        if (done) return { value: undefined, done: true };
        const events = handle.events();
        if (behind(events) > maxBuffered) {
          const err = new CodedError(
            ErrorCode.SUBSCRIPTION_OVERFLOW,
            `subscriber fell more than ${maxBuffered} events behind; resubscribe with afterEventId: ${cursor}`,
            { limit: 'maxBufferedEvents', value: maxBuffered, lastEventId: cursor },
          );
          finish();
          throw err;
        }
        if (cursor < events.length) {
          const event = events[cursor++]!;
          return { value: event, done: false };
        }
        const last = events[events.length - 1];
        if (last && TERMINAL_EVENT_TYPES.has(last.type ?? '')) return finish();
        if (failure) {
          const err = failure;
          finish();
          throw err;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
    return: async () => finish(),
    throw: async (err) => {
      finish();
      throw err;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function notFound(executionArn: string): CodedError {
  return new CodedError(ErrorCode.NOT_FOUND, `no run ${executionArn}`, { argument: 'runId' });
}
