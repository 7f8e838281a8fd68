/** What kind of statement a query is, from its text alone (Athena's StatementType). */
import { tokenize } from './tokenize';

export type StatementType = 'DDL' | 'DML' | 'UTILITY';

const UTILITY_WORDS = new Set(['SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'USE', 'SET', 'RESET', 'PRAGMA', 'CALL', 'SUMMARIZE', 'PREPARE', 'EXECUTE', 'DEALLOCATE']);
const DDL_WORDS = new Set(['CREATE', 'DROP', 'ALTER', 'MSCK', 'COMMENT', 'TRUNCATE', 'GRANT', 'REVOKE', 'REFRESH']);

/**
 * Athena's StatementType from the first keyword: DDL (CREATE/DROP/ALTER …), DML (SELECT, INSERT …, and
 * CREATE TABLE … AS SELECT, which Athena counts as DML), UTILITY (SHOW, DESCRIBE, EXPLAIN …).
 */
export function statementType(sql: string): StatementType {
  let words: string[];
  try {
    words = tokenize(sql)
      .filter((t) => t.kind === 'word')
      .slice(0, 64)
      .map((t) => t.text.toUpperCase());
  } catch {
    return 'DML';
  }
  const first = words[0] ?? '';
  if (UTILITY_WORDS.has(first)) return 'UTILITY';
  if (DDL_WORDS.has(first)) {
    if (first === 'CREATE' && words.includes('TABLE') && words.includes('AS') && !words.includes('VIEW')) return 'DML';
    return 'DDL';
  }
  return 'DML';
}

/** Whether the SQL text has at least one non-blank, non-comment token. */
export function isBlank(sql: string): boolean {
  try {
    return tokenize(sql).every((t) => t.kind === 'space' || t.kind === 'comment' || (t.kind === 'symbol' && t.text === ';'));
  } catch {
    return false;
  }
}
