/**
 * The grammar an Athena execution parameter must match. Athena binds ExecutionParameters as SQL literal text,
 * so each parameter is parsed (Trino's expression grammar) and accepted only if it is one literal value —
 * never a subquery, a column reference, a comment or a second statement — then printed as DuckDB SQL by the
 * translator, which re-quotes every string itself: no text of the parameter reaches DuckDB unparsed.
 */
import * as g from './trino/grammar.cjs';
import { TerminalNode, type ParseTree } from 'antlr4ng';
import { parseExpression, SqlTextError } from './parse';
import { Translator } from './translate';

/** Literal forms: numbers, strings, booleans, NULL, typed literals, intervals, X'..', CAST/ARRAY of literals, a sign. */
function isLiteral(t: ParseTree): boolean {
  if (t instanceof TerminalNode) return true;
  if (t instanceof g.ColumnReferenceContext || t instanceof g.ParameterContext || t instanceof g.FunctionCallContext) return false;
  if (t instanceof g.SubqueryExpressionContext || t instanceof g.ExistsContext || t instanceof g.DereferenceContext) return false;
  if (t instanceof g.LambdaContext || t instanceof g.SubscriptContext || t instanceof g.PredicatedContext && t.predicate()) return false;
  if (t instanceof g.ArithmeticBinaryContext || t instanceof g.ConcatenationContext || t instanceof g.AtTimeZoneContext) return false;
  if (t instanceof g.LogicalNotContext || t instanceof g.AndContext || t instanceof g.OrContext) return false;
  if (t instanceof g.SearchedCaseContext || t instanceof g.SimpleCaseContext) return false;
  if (t instanceof g.ArithmeticUnaryContext) {
    const inner = t.valueExpression();
    return inner instanceof g.ValueExpressionDefaultContext && inner.primaryExpression() instanceof g.NumericLiteralContext;
  }
  if (t instanceof g.CurrentDateContext || t instanceof g.CurrentTimestampContext || t instanceof g.CurrentTimeContext) return false;
  const ctx = t as g.StandaloneExpressionContext;
  return (ctx.children ?? []).every(isLiteral);
}

/** A parameter's text as a DuckDB literal, or INVALID_PARAMETER_USAGE. */
export function parameterLiteral(text: string, index: number): string {
  const fail = (why: string): never => {
    throw new SqlTextError(`Execution parameter ${index + 1} is not a literal value (${why}): ${text}`, 'INVALID_PARAMETER_USAGE');
  };
  let tree: g.StandaloneExpressionContext;
  try {
    tree = parseExpression(text).tree;
  } catch (e) {
    return fail((e as Error).message);
  }
  if (!isLiteral(tree.expression())) fail('only literals are allowed');
  try {
    return new Translator(() => fail('a parameter cannot hold a placeholder')).node(tree.expression());
  } catch (e) {
    if (e instanceof SqlTextError && e.errorType === 'INVALID_PARAMETER_USAGE') throw e;
    return fail((e as Error).message);
  }
}
