/** Binding `?` execution parameters into the query text, positionally, as Athena does. */
import { parseParameterLiteral } from './literal';
import { SqlTextError, tokenize } from './tokenize';

/** DuckDB SQL plus the values its `$n` placeholders take. */
export interface BoundQuery {
  sql: string;
  values: string[];
}

/**
 * Replaces each `?` outside strings, quoted identifiers and comments with the matching parameter,
 * parenthesised so it stays one operand wherever it lands; string contents travel as prepared-statement
 * values (see literal.ts). Counts must match, as in Athena.
 */
export function bindParameters(sql: string, params: readonly string[]): BoundQuery {
  const toks = tokenize(sql);
  const count = toks.filter((t) => t.kind === 'param').length;
  if (count !== params.length) {
    throw new SqlTextError(
      `line 1:1: Incorrect number of parameters: expected ${count} but found ${params.length}`,
      'INVALID_PARAMETER_USAGE',
    );
  }
  const values: string[] = [];
  if (count === 0) return { sql, values };
  const literals = params.map((p, i) => parseParameterLiteral(p, i, values));
  let k = 0;
  return { sql: toks.map((t) => (t.kind === 'param' ? `(${literals[k++]})` : t.text)).join(''), values };
}
