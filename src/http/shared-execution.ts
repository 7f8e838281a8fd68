import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Context } from '../context';

/** Distinct selections remembered per event: past this, further ones execute for themselves. */
const MAX_SELECTIONS_PER_EVENT = 16;

type Result = ExecutionResult | Promise<ExecutionResult>;

/** A subscription's own way to its socket (see `sendsWith`). */
export interface Sender {
  /**
   * Sends the subscription's next message, whose payload is `payload` (JSON text); false when it did not
   * (the socket is not keeping up), and the result goes through graphql-ws's own send instead.
   */
  next(payload: string): boolean;
  /** Writes what was sent so far now: the subscriber has nothing more ready. */
  flush(): void;
}

/**
 * Subscriptions whose subscribers receive the same event object (every subscriber of a run shares the run's
 * event list; a bus message is one object for all its listeners) and ask for the same selection get one
 * GraphQL execution per event, not one per subscriber: 1,000 subscribers of a run were 1,000 executions of
 * the same `{ id type at }` on the same event, each coercing the variables, collecting the fields and
 * building the same result. The result depends only on the event, the document, its variables and who asks
 * (the key id, in case a field ever answers by role), so that is the key; the results hang off the event
 * object (a WeakMap), so they live exactly as long as the event does.
 *
 * A result with errors is not shared: each subscriber executes for itself, so its errors are masked and
 * logged under its own request id, as before.
 */
export class SharedExecution {
  private readonly sources = new WeakMap<DocumentNode, string>();
  private readonly results = new WeakMap<object, Map<string, Result>>();
  /** A shared result's payload as JSON text, made once for all the subscribers it is sent to. */
  private readonly texts = new WeakMap<ExecutionResult, string>();
  /** The operation's context → how to send its next messages directly (see `sendsWith`). */
  private readonly senders = new WeakMap<object, Sender>();

  /** The operation's source text; called where the document is parsed. */
  parsed(document: DocumentNode, source: string): void {
    this.sources.set(document, source);
  }

  /**
   * Lets the subscription run with `contextValue` send its shared results itself, each serialised once for
   * all its subscribers. Through graphql-ws, each delivery was a turn of its per-subscription loop (its
   * onNext hook, a JSON.stringify of the whole message, a promise for the write): some 9 µs each, 60 ms of
   * one core for a burst of 7 events to 1,000 subscribers, in which no client received anything. Sent
   * here, a subscriber that keeps up takes each of its ready events in one pass, and a delivery is the
   * shared payload inside the message's envelope and one write. What is not shared — a result with errors
   * (masked per subscriber) — or not sent (a socket that does not keep up: graphql-ws waits for its
   * writes, and its buffer limit applies) still goes through graphql-ws, in order with the rest: graphql-ws
   * asks for the next result only once it has sent the previous one.
   *
   * A source that can hand over its ready events without waiting (`takeReady`, as a run's event stream
   * does) is drained in one pass per subscriber, and the subscriber's socket is written as soon as it has
   * nothing more ready: the first sockets of a burst are on their way while the service still works on the
   * last ones, and the clients' work overlaps the service's instead of following it.
   */
  sendsWith(contextValue: object, send: Sender): void {
    this.senders.set(contextValue, send);
  }

  /** graphql-ws's `subscribe`: graphql's own, with each event's execution shared as above. */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const source = this.sources.get(args.document);
    const principal = (args.contextValue as Context | undefined)?.principal.id;
    const key = source === undefined ? undefined : JSON.stringify([principal, args.operationName ?? null, args.variableValues ?? null, source]);
    const events = stream[Symbol.asyncIterator]();
    const send = key === undefined || typeof args.contextValue !== 'object' || args.contextValue === null ? undefined : this.senders.get(args.contextValue);
    // A run's event stream (services/events/run-stream.ts ReadyStream); any other source is only awaited.
    const readyNow = (events as unknown as { takeReady?: () => unknown }).takeReady;
    const takeReady = typeof readyNow === 'function' ? readyNow.bind(events) : undefined;
    let ended = false;
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        let r = await events.next();
        for (;;) {
          if (r.done || ended) return { value: undefined, done: true };
          const pending = this.executeFor(r.value, key, args);
          const result = pending instanceof Promise ? await pending : pending;
          if (!send || result.errors || !send.next(this.textOf(result))) return { value: result, done: false };
          const ready = takeReady?.();
          if (ready !== undefined) r = { value: ready, done: false };
          else {
            send.flush();
            r = await events.next();
          }
        }
      },
      return: async () => {
        ended = true;
        await events.return?.();
        return { value: undefined, done: true };
      },
      throw: async (err: unknown) => {
        await events.return?.();
        throw err;
      },
      [Symbol.asyncIterator]: () => mapped,
    };
    return mapped;
  };

  /** The result's JSON, made once: every subscriber asking the same of an event has the same result object. */
  private textOf(result: ExecutionResult): string {
    let text = this.texts.get(result);
    if (text === undefined) this.texts.set(result, (text = JSON.stringify(result)));
    return text;
  }

  private executeFor(event: unknown, key: string | undefined, args: ExecutionArgs): Result {
    const run = () => execute({ ...args, rootValue: event });
    if (key === undefined || typeof event !== 'object' || event === null) return run();
    let byKey = this.results.get(event);
    const known = byKey?.get(key);
    if (known) return known;
    const result = run();
    if (!byKey) this.results.set(event, (byKey = new Map()));
    if (byKey.size >= MAX_SELECTIONS_PER_EVENT) return result;
    const shared = byKey;
    const keep = (r: ExecutionResult) => {
      if (r.errors) shared.delete(key);
      return r;
    };
    if (result instanceof Promise) {
      // Shared while it runs too: subscribers woken by the same event in the same tick wait for one execution.
      const pending = result.then(keep, (err: unknown) => {
        shared.delete(key);
        throw err;
      });
      shared.set(key, pending);
      return pending;
    }
    if (!result.errors) shared.set(key, result);
    return result;
  }
}
