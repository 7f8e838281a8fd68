/**
 * Row functions: a row's cells → its values, one decode call per column.
 *
 * A loop calling `fns[i]` makes one call site see every column's decoder, which V8 cannot inline
 * (megamorphic); so where the runtime allows it, one function is generated per set of column kinds,
 * unrolled, each column with its own call site and the row array built as a literal of the right size.
 * Measured at about 3× faster per row than the loop (bench/decode.bench.ts). The generated source holds
 * only column indices and decoder kinds (small numbers from a closed set: values.ts), never names, types
 * or data. V8 caches `new Function` by its source text, and with it the call sites' feedback, so two
 * results whose columns run different decoders must not get the same text: the kinds go into a comment.
 * Otherwise decoding a second result deoptimizes the first one's row function ("wrong feedback cell")
 * and its call sites turn polymorphic. Results of the same kinds share the optimized code.
 *
 * Where code generation is switched off (codegen.ts) the loop is the fallback: the same values, slower.
 * A missing cell (a row shorter than the columns) is NULL either way.
 */
import { compileFunction } from '../codegen';
import type { Cells, ColumnDecoder, Decode, TypedValue } from './values';

export type RowFunction = (cells: Readonly<Cells>) => TypedValue[];

export interface RowFunctionOptions {
  /** false: the loop, as where code generation is switched off (tests compare the two). Default true. */
  generate?: boolean;
}

export function rowFunction(columns: readonly ColumnDecoder[], options: RowFunctionOptions = {}): RowFunction {
  const decoders = columns.map((c) => c.decode);
  if (options.generate === false) return loopRow(decoders);
  const cells = columns.map((_, i) => `(c = r[${i}]) == null ? null : f${i}(c)`);
  const params = columns.map((_, i) => `f${i}`);
  const source = `// decoder kinds ${columns.map((c) => c.kind).join(' ')}
return function decodeRow(r) {
  let c;
  return [${cells.join(',\n    ')}];
};`;
  const make = compileFunction<(...fns: Decode[]) => RowFunction>(params, source);
  return make === null ? loopRow(decoders) : make(...decoders);
}

function loopRow(decoders: readonly Decode[]): RowFunction {
  const width = decoders.length;
  return (r) => {
    const out: TypedValue[] = new Array(width);
    for (let i = 0; i < width; i++) {
      const c = r[i];
      out[i] = c == null ? null : decoders[i]!(c);
    }
    return out;
  };
}
