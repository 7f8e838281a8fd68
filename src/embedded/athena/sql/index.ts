/**
 * Athena SQL (Trino's, plus Hive's catalog statements) → DuckDB, pure: no I/O.
 *
 * parse.ts reads text with Trino's own grammar (trino/grammar.cjs) and refuses what Trino refuses, with Trino's
 * positions; translate.ts, functions.ts and types.ts print the tree as DuckDB SQL that answers as Trino does,
 * with the macros of macros.ts; statement.ts plans one statement (Hive's catalog statements included);
 * literal.ts checks that each execution parameter is one literal value, since Athena binds them as SQL text.
 */
export { SqlTextError } from './parse';
export { planStatement, guessStatementType, type Plan, type StatementType } from './statement';
export { parameterLiteral } from './literal';
export { macroStatements } from './macros';
export type { TypeHint } from './types';
