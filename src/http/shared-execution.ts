import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Context } from '../context';

/** Distinct selections remembered per event: past this, further ones execute for themselves. */
const MAX_SELECTIONS_PER_EVENT = 16;

type Result = ExecutionResult | Promise<ExecutionResult>;

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

  /** The operation's source text; called where the document is parsed. */
  parsed(document: DocumentNode, source: string): void {
    this.sources.set(document, source);
  }

  /** graphql-ws's `subscribe`: graphql's own, with each event's execution shared as above. */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const source = this.sources.get(args.document);
    const principal = (args.contextValue as Context | undefined)?.principal.id;
    const key = source === undefined ? undefined : JSON.stringify([principal, args.operationName ?? null, args.variableValues ?? null, source]);
    const events = stream[Symbol.asyncIterator]();
    const mapped: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        const r = await events.next();
        if (r.done) return { value: undefined, done: true };
        return { value: await this.executeFor(r.value, key, args), done: false };
      },
      return: async () => {
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
