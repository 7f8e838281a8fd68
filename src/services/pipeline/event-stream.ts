import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { ReadyStream } from '../events/run-stream';
import type { RunWatcher } from '../events/run-watcher';
import { stateIn, toRunEvent, type RunEvent } from './history';

/**
 * Each watched history event's RunEvent, made once for all its subscribers: a RunEvent depends only on its
 * event and the earlier ones of the same history, and one object per event lets the WebSocket layer
 * execute a subscription's selection once per event for all of them (http/shared-execution.ts).
 */
export class RunEventCache {
  private readonly made = new WeakMap<HistoryEvent, RunEvent>();

  constructor(private readonly watcher: RunWatcher) {}

  /** A watched run's stream of history events as RunEvents, keeping `takeReady` and the end as they are. */
  map(id: string, events: ReadyStream<HistoryEvent>): ReadyStream<RunEvent> {
    const { watcher, made } = this;
    let history: readonly HistoryEvent[] = [];
    const runEvent = (e: HistoryEvent): RunEvent => {
      // The events are the watch's shared list; the state lookup walks it without copying.
      let event = made.get(e);
      if (!event) {
        history = watcher.history(id) ?? history;
        event = toRunEvent(e, (prev) => stateIn(history, prev));
        made.set(e, event);
      }
      return event;
    };
    const mapped: ReadyStream<RunEvent> = {
      takeReady() {
        const e = events.takeReady();
        return e === undefined ? undefined : runEvent(e);
      },
      async next() {
        const r = await events.next();
        if (r.done) return { value: undefined, done: true };
        return { value: runEvent(r.value), done: false };
      },
      return: async () => {
        await events.return?.();
        return { value: undefined, done: true };
      },
      throw: async (err) => {
        await events.return?.();
        throw err;
      },
      [Symbol.asyncIterator]: () => mapped,
    };
    return mapped;
  }
}
