/**
 * Athena's SQL read with Trino's own grammar (trino/grammar.cjs), with Trino's error positions: a text that
 * does not parse is refused as Trino refuses it, `line N:M: <what>` (1-based line and column).
 *
 * Pure: no I/O.
 */
import {
  BailErrorStrategy,
  CharStreams,
  CommonTokenStream,
  DefaultErrorStrategy,
  PredictionMode,
  Token,
  type ANTLRErrorListener,
  type ATNSimulator,
  type RecognitionException,
  type Recognizer,
} from 'antlr4ng';
import { TrinoSqlLexer, TrinoSqlParser, type SingleStatementContext, type StandaloneExpressionContext } from './trino/grammar.cjs';

/** Thrown for SQL Athena would refuse before running it; `errorType` is Trino's error name. */
export class SqlTextError extends Error {
  override name = 'SqlTextError';
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
  }
}

export const syntaxError = (token: Token | null | undefined, message: string): SqlTextError =>
  new SqlTextError(`line ${token?.line ?? 1}:${(token?.column ?? 0) + 1}: ${message}`, 'SYNTAX_ERROR');

/** Trino's reserved words: where an identifier may stand, every other keyword is one, so they are not listed. */
const RESERVED = new Set(
  ('ALTER AND AS BETWEEN BY CASE CAST CONSTRAINT CREATE CROSS CUBE CURRENT_CATALOG CURRENT_DATE CURRENT_PATH CURRENT_ROLE ' +
    'CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEALLOCATE DELETE DESCRIBE DISTINCT DROP ELSE END ESCAPE EXCEPT ' +
    'EXECUTE EXISTS EXTRACT FALSE FOR FROM FULL GROUP GROUPING HAVING IN INNER INSERT INTERSECT INTO IS JOIN JSON_ARRAY ' +
    'JSON_EXISTS JSON_OBJECT JSON_QUERY JSON_TABLE JSON_VALUE LEFT LIKE LISTAGG LOCALTIME LOCALTIMESTAMP NATURAL NORMALIZE NOT ' +
    'NULL ON OR ORDER OUTER PREPARE RECURSIVE RIGHT ROLLUP SELECT SKIP TABLE THEN TRIM TRUE UESCAPE UNION UNNEST USING VALUES ' +
    'WHEN WHERE WITH').split(' '),
);
const IDENTIFIERS = new Set(['IDENTIFIER', 'QUOTED_IDENTIFIER', 'BACKQUOTED_IDENTIFIER', 'DIGIT_IDENTIFIER']);
const LITERALS = new Set(['STRING', 'UNICODE_STRING', 'BINARY_LITERAL', 'INTEGER_VALUE', 'DECIMAL_VALUE', 'DOUBLE_VALUE', "'?'"]);

/**
 * ANTLR's list of expected tokens, shortened as Trino shortens it: where an identifier may stand, the
 * non-reserved keywords and identifier forms are `<identifier>`, and where a literal may, `<expression>`.
 */
function expectedList(items: string[]): string {
  const identifier = items.some((i) => IDENTIFIERS.has(i));
  const literal = items.some((i) => LITERALS.has(i));
  const kept = items.filter((i) => {
    if (IDENTIFIERS.has(i) || LITERALS.has(i)) return false;
    const word = /^'([A-Z_0-9]+)'$/.exec(i)?.[1];
    return !(identifier && word !== undefined && !RESERVED.has(word));
  });
  if (literal) kept.push('<expression>');
  else if (identifier) kept.push('<identifier>');
  return kept.join(', ');
}

/** ANTLR's wording → Trino's (`mismatched input 'FROM'. Expecting: 'SELECT', …`). */
function trinoMessage(msg: string): string {
  // dt-sql-parser's completion hook (empty column names) fails where Trino simply finds no expression.
  if (msg.includes('shouldMatchEmpty')) return 'mismatched input. Expecting: an expression';
  const m = /^(mismatched|extraneous) input (.*) expecting \{?(.*?)\}?$/s.exec(msg);
  if (m) {
    const expected = m[3].split(', ').filter((s) => s !== '<EOF>' || m[3] === '<EOF>');
    return `mismatched input ${m[2]}. Expecting: ${expectedList(expected)}`;
  }
  const missing = /^missing (.*) at (.*)$/s.exec(msg);
  if (missing) return `mismatched input ${missing[2]}. Expecting: ${missing[1]}`;
  return msg;
}

class FirstError implements ANTLRErrorListener {
  error?: SqlTextError;
  syntaxError(r: Recognizer<ATNSimulator>, sym: unknown, line: number, column: number, msg: string, e: RecognitionException | null): void {
    if (this.error) return;
    let text = trinoMessage(msg);
    // Trino words a dead end as a mismatch too, naming the token where it stopped and what could follow.
    if (msg.startsWith('no viable alternative') && sym instanceof Object && 'text' in sym) {
      let expected = '';
      try {
        expected = expectedList((e?.getExpectedTokens()?.toString(r.vocabulary) ?? '').replace(/^\{|\}$/g, '').split(', ').filter(Boolean));
      } catch {
        // the wording is a courtesy; the position is what matters
      }
      const tokenText = (sym as Token).type === Token.EOF ? '<EOF>' : (sym as Token).text;
      text = `mismatched input '${tokenText}'.${expected ? ` Expecting: ${expected}` : ''}`;
    }
    this.error = new SqlTextError(`line ${line}:${column + 1}: ${text}`, 'SYNTAX_ERROR');
  }
  reportAmbiguity(): void {}
  reportAttemptingFullContext(): void {}
  reportContextSensitivity(): void {}
}

export interface Parsed<T> {
  tree: T;
  tokens: CommonTokenStream;
}

/**
 * How deep brackets may nest. The grammar's decisions between `(expr)`, `(a, b)` rows and `(x) -> …` lambdas
 * look ahead to the matching bracket, so each new depth costs more to predict: 80 levels took two seconds of
 * the endpoint's thread. Real queries stay far below this.
 */
export const MAX_NESTING = 32;

function checkNesting(tokens: CommonTokenStream): void {
  tokens.fill();
  let depth = 0;
  for (const t of tokens.getTokens()) {
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    if (depth > MAX_NESTING) {
      throw new SqlTextError(`line ${t.line}:${t.column + 1}: Brackets nested deeper than ${MAX_NESTING} levels are not supported by the embedded Athena endpoint`, 'NOT_SUPPORTED');
    }
  }
}

/**
 * Parses with ANTLR's fast SLL mode first and falls back to full LL when SLL fails or stops before the end,
 * as Trino does: the same trees, most texts at SLL speed. The text must be one rule to its end: the grammar
 * (made for editors) also reads statements back to back without a `;`, so `x = ANY (VALUES …)` would
 * otherwise be read as `x = ANY` and a second statement. Full LL, which looks at the whole remaining text,
 * picks the reading that reaches the end, as Trino's grammar (`statement EOF`) does.
 */
function parseWith<T>(sql: string, rule: (p: TrinoSqlParser) => T, statement: boolean): Parsed<T> {
  const lexer = new TrinoSqlLexer(CharStreams.fromString(sql));
  const listener = new FirstError();
  lexer.removeErrorListeners();
  lexer.addErrorListener(listener);
  const tokens = new CommonTokenStream(lexer);
  checkNesting(tokens);
  if (listener.error) throw listener.error;
  const parser = new TrinoSqlParser(tokens);
  parser.removeErrorListeners();
  parser.interpreter.predictionMode = PredictionMode.SLL;
  parser.errorHandler = new BailErrorStrategy();
  const atEnd = (): boolean => tokens.LA(1) === Token.EOF;
  let tree: T;
  try {
    tree = rule(parser);
    if (listener.error) throw listener.error;
    if (atEnd()) return { tree, tokens };
  } catch (e) {
    if (e instanceof SqlTextError) throw e;
  }
  tokens.seek(0);
  parser.reset();
  parser.addErrorListener(listener);
  parser.errorHandler = new DefaultErrorStrategy();
  parser.interpreter.predictionMode = PredictionMode.LL;
  tree = rule(parser);
  if (listener.error) throw listener.error;
  if (!atEnd()) {
    const next = tokens.LT(1)!;
    const previous = tokens.LT(-1);
    // Athena's own refusal of a second statement after a `;`.
    if (statement && previous?.text === ';') throw new SqlTextError(`Only one sql statement is allowed. Got: ${sql}`, 'INVALID_INPUT');
    // The rule stopped where its text could not go on (`SELECT 1 +`). Read with an end of input required, the
    // grammar reports where Trino does (`line 1:11: mismatched input '<EOF>'`), not where the rule stopped.
    if (statement) {
      const strict = new TrinoSqlParser(new CommonTokenStream(new TrinoSqlLexer(CharStreams.fromString(sql))));
      const errors = new FirstError();
      strict.removeErrorListeners();
      strict.addErrorListener(errors);
      strict.interpreter.predictionMode = PredictionMode.LL;
      strict.program();
      if (errors.error) throw errors.error;
    }
    throw syntaxError(next, `mismatched input '${next.text}'. Expecting: <EOF>`);
  }
  return { tree, tokens };
}

/** One statement (an optional `;` after it) and nothing else. */
export function parseStatement(sql: string): Parsed<SingleStatementContext> {
  return parseWith(sql, (p) => p.singleStatement(), true);
}

/** One expression and nothing after it. */
export function parseExpression(text: string): Parsed<StandaloneExpressionContext> {
  return parseWith(text, (p) => p.standaloneExpression(), false);
}

/** The default-channel tokens of a text (no whitespace or comments), for the few statements read by hand. */
export function lexTokens(sql: string): Token[] {
  const lexer = new TrinoSqlLexer(CharStreams.fromString(sql));
  const listener = new FirstError();
  lexer.removeErrorListeners();
  lexer.addErrorListener(listener);
  const tokens = new CommonTokenStream(lexer);
  tokens.fill();
  if (listener.error) throw listener.error;
  return tokens.getTokens().filter((t) => t.channel === 0 && t.type !== -1);
}
