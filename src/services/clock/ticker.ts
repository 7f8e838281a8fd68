/**
 * An async iterator that yields every `intervalMs` until its consumer returns. Hand-rolled rather than an
 * async generator so that `return()` (a client unsubscribing, a socket closing) clears the pending timer at
 * once instead of waiting for it to fire.
 */
export function ticker<T>(intervalMs: number, make: (seq: number) => T): AsyncIterableIterator<T> {
  let seq = 0;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: ((r: IteratorResult<T>) => void) | undefined;
  const finish = (): IteratorResult<T> => {
    done = true;
    clearTimeout(timer);
    wake?.({ value: undefined, done: true });
    wake = undefined;
    return { value: undefined, done: true };
  };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        wake = resolve;
        timer = setTimeout(() => {
          wake = undefined;
          resolve({ value: make(++seq), done: false });
        }, intervalMs);
      });
    },
    return: () => Promise.resolve(finish()),
    throw: (err) => {
      finish();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
