/**
 * Lexical work on Athena SQL text before DuckDB sees it: binding `?` execution parameters, classifying
 * the statement (Athena's StatementType), and Athena's `_colN` names for unnamed columns.
 *
 * Pure: no I/O. Athena binds ExecutionParameters as SQL literal text (it runs the query as a prepared
 * statement `EXECUTE … USING <p1>, <p2>`), so each parameter must itself be a literal expression. We keep
 * that meaning and make it safe: the query is tokenized so a `?` inside a string, quoted identifier or
 * comment is never touched, each parameter is parsed against a small literal grammar so it can only
 * ever be one value — never a subquery, a column reference, a comment or a second statement — and the
 * text inside its strings reaches DuckDB as a bound value, never as SQL.
 */
export { tokenize, SqlTextError, type Token, type TokenKind } from './tokenize';
export { parseParameterLiteral } from './literal';
export { bindParameters, type BoundQuery } from './bind';
export { statementType, isBlank, type StatementType } from './statement';
export { athenaColumnNames } from './columns';
