/**
 * Code made at run time from strings, where the runtime allows it. Node refuses `new Function` under
 * `--disallow-code-generation-from-strings` (as a browser does under a strict CSP), and the service must
 * still run there: each caller keeps a plain-closure fallback that gives the same results, slower.
 */

/**
 * `new Function(...params, body)`, or null when code generation from strings is switched off (the
 * EvalError Node throws then). Any other error (a syntax error in `body`) is a bug and is thrown.
 */
export function compileFunction<F>(params: readonly string[], body: string): F | null {
  try {
    return new Function(...params, body) as F;
  } catch (e) {
    if (e instanceof EvalError) return null;
    throw e;
  }
}
