/** Binding `?` execution parameters into the query text, positionally, as Athena does. */
import { parseParameterLiteral } from './literal';
import { SqlTextError, tokenize } from './tokenize';

/**
 * Replaces each `?` outside strings, quoted identifiers and comments with the matching parameter,
 * parenthesised so it stays one operand wherever it lands. Counts must match, as in Athena.
 */
export function bindParameters(sql: string, params: readonly string[]): string {
  const toks = tokenize(sql);
  const count = toks.filter((t) => t.kind === 'param').length;
  if (count !== params.length) {
    throw new SqlTextError(
      `line 1:1: Incorrect number of parameters: expected ${count} but found ${params.length}`,
      'INVALID_PARAMETER_USAGE',
    );
  }
  if (count === 0) return sql;
  const literals = params.map((p, i) => parseParameterLiteral(p, i));
  let k = 0;
  return toks.map((t) => (t.kind === 'param' ? `(${literals[k++]})` : t.text)).join('');
}
