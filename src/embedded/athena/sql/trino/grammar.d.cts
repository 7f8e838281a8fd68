// Types of grammar.cjs, which scripts/trino-grammar.js bundles from these very modules.
export { TrinoSqlLexer } from 'dt-sql-parser/dist/lib/trino/TrinoSqlLexer';
export * from 'dt-sql-parser/dist/lib/trino/TrinoSqlParser';
