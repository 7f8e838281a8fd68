import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { CodedError, ErrorCode } from '../../errors';
import { ExecutionNotFoundError, TERMINAL_EVENT_TYPES, type RunWatcher } from './run-watcher';

/** Events a subscriber may fall behind by before its subscription is closed (it can resume with afterEventId). */
export const MAX_BUFFERED_EVENTS = 1_000;

/**
 * A run's events for one subscriber: the history after `afterEventId`, then live events, each id once and
 * in order, ending after the terminal event. Registration order avoids the classic race: the watch (and
 * with it the live feed) is in place before the history is read, and everything is deduplicated by id.
 *
 * A subscriber that does not keep up holds at most `maxBuffered` events; past that its subscription ends
 * with a coded error naming the limit and the last id it received, from which it can resume.
 */
export function streamRunEvents(
  watcher: RunWatcher,
  executionArn: string,
  afterEventId = 0,
  maxBuffered = MAX_BUFFERED_EVENTS,
): AsyncIterableIterator<HistoryEvent> {
  const queue: HistoryEvent[] = [];
  let last = afterEventId;
  let replayed = false;
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;

  const push = (e: HistoryEvent) => {
    if (done || failure || (e.id ?? 0) <= last) return;
    if (queue.length >= maxBuffered) {
      failure = new CodedError(
        ErrorCode.SUBSCRIPTION_OVERFLOW,
        `subscriber fell more than ${maxBuffered} events behind; resubscribe with afterEventId: ${last - queue.length}`,
        { limit: 'maxBufferedEvents', value: maxBuffered, lastEventId: last - queue.length },
      );
      queue.length = 0;
    } else {
      queue.push(e);
      last = e.id ?? last;
    }
    wake?.();
  };
  const handle = watcher.watch(executionArn, {
    event: (e) => {
      if (replayed) push(e);
    },
    error: (err) => {
      failure ??= err instanceof ExecutionNotFoundError ? notFound(executionArn) : (err as Error);
      wake?.();
    },
  });
  const ready = handle.loaded.then(
    () => {
      // Synchronous from here to `replayed = true`: no live event can slip between the two.
      for (const e of handle.events()) push(e);
      replayed = true;
    },
    (err: Error) => {
      failure ??= err instanceof ExecutionNotFoundError ? notFound(executionArn) : err;
    },
  );

  const finish = (): IteratorResult<HistoryEvent> => {
    done = true;
    queue.length = 0;
    handle.release();
    wake?.();
    return { value: undefined, done: true };
  };
  let ended = false;
  const iterator: AsyncIterableIterator<HistoryEvent> = {
    async next() {
      await ready;
      for (;;) {
        if (done) return { value: undefined, done: true };
        const e = queue.shift();
        if (e) {
          if (TERMINAL_EVENT_TYPES.has(e.type ?? '')) ended = true;
          return { value: e, done: false };
        }
        if (ended) return finish();
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
