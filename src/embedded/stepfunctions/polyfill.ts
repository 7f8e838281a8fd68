/**
 * aws-local-stepfunctions 3 calls `Promise.withResolvers` (ES2024, Node 22+) in every Task state, while
 * gapwatch supports Node 20, which lacks it. Installed only where it is missing, with the standard
 * semantics, and imported before the interpreter so no Task can run without it.
 */
interface WithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
}

const P = Promise as unknown as WithResolvers;
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
