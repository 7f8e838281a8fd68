/**
 * aws-local-stepfunctions 3 calls `Promise.withResolvers` (ES2024, Node 22+) in every Task state, while
 * gapwatch supports Node 20, which lacks it. Installed only where it is missing, with the standard
 * semantics, by interpreter.ts into the realm the interpreter runs in (as the package loads: under jest that
 * is not the test's own realm), so no Task can run without it.
 */
export function installWithResolvers(P: PromiseConstructor): void {
  if (typeof (P as { withResolvers?: unknown }).withResolvers === 'function') return;
  Object.defineProperty(P, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new P<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
