/**
 * Athena (Trino) SQL → DuckDB SQL, from Trino's parse tree (parse.ts).
 *
 * Pure: no I/O. The tree is printed back as DuckDB SQL node by node: what both engines read alike is printed as
 * written (identifiers always double-quoted, so `default.tbl` or a column named `at` mean what they mean to
 * Trino), and what they read differently is rewritten to DuckDB functions and macros that keep Trino's meaning
 * (macros.ts): division by zero fails, anonymous rows are `field0`, `field1` …, `X'0102'` is varbinary,
 * `DATE + INTERVAL` stays a date, functions keep Trino's semantics. What cannot keep Trino's answer is refused
 * with NOT_SUPPORTED rather than answered differently.
 *
 * Every select item gets an explicit alias carrying Trino's output name (its alias, the column a bare reference
 * reads, else `_col<i>`), so DuckDB's result is named as Athena's.
 */
import { ParserRuleContext, TerminalNode, type ParseTree, type Token } from 'antlr4ng';
import * as g from './trino/grammar.cjs';
import { parseExpression, SqlTextError, syntaxError } from './parse';
import { translateFunction } from './functions';
import { translateType, type TypeHint } from './types';

/** Refusal of something Athena runs but the embedded engine cannot answer as Athena does. */
export const notSupported = (what: string, plural = false): SqlTextError =>
  new SqlTextError(`${what} ${plural ? 'are' : 'is'} not supported by the embedded Athena endpoint`, 'NOT_SUPPORTED');

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The value of an identifier as Trino reads it (quotes removed; unquoted ones as written). */
export function identifierValue(ctx: g.IdentifierContext): string {
  if (ctx instanceof g.QuotedIdentifierContext) return ctx.getText().slice(1, -1).replace(/""/g, '"');
  if (ctx instanceof g.BackQuotedIdentifierContext) {
    throw syntaxError(ctx.start, 'backquoted identifiers are not supported; use double quotes to quote identifiers');
  }
  if (ctx instanceof g.DigitIdentifierContext) {
    throw syntaxError(ctx.start, 'identifiers must not start with a digit; surround the identifier with double quotes');
  }
  return ctx.getText();
}

/** The value of a string literal (`'it''s'`, `U&'\0041'`). */
export function stringValue(ctx: g.StringContext): string {
  if (ctx instanceof g.UnicodeStringLiteralContext) {
    const raw = ctx.UNICODE_STRING().getText().slice(3, -1).replace(/''/g, "'");
    const esc = ctx.KW_UESCAPE() ? ctx.STRING()!.getText().slice(1, -1) : '\\';
    let out = '';
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] !== esc) {
        out += raw[i];
      } else if (raw[i + 1] === esc) {
        out += esc;
        i++;
      } else if (raw[i + 1] === '+') {
        out += String.fromCodePoint(parseInt(raw.slice(i + 2, i + 8), 16));
        i += 7;
      } else {
        out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 5), 16));
        i += 4;
      }
    }
    return out;
  }
  return ctx.getText().slice(1, -1).replace(/''/g, "'");
}

/** A statement translated: DuckDB SQL plus what DuckDB's result types cannot say about the output columns. */
export interface Translated {
  sql: string;
  /** Per output column of a query, what Athena calls its type where DuckDB's type would say otherwise. */
  hints: (TypeHint | undefined)[];
}

/** How a `?` placeholder is filled: the parameter's text, already checked to be one literal (literal.ts). */
export type ParameterSource = (index: number, at: Token) => string;

export class Translator {
  private paramIndex = 0;
  /** Inside Trino's try(): a division by zero or a failed cast is NULL instead of an error. */
  inTry = 0;
  /** Lambda parameters rewritten to other expressions (a map lambda's `(k, v)` over DuckDB's entries). */
  private readonly substitutions: Map<string, string>[] = [];

  constructor(private readonly parameter: ParameterSource) {}

  /** Prints any node: rules by their handler, or child by child. */
  node(t: ParseTree): string {
    if (t instanceof TerminalNode) return t.getText();
    const ctx = t as ParserRuleContext;
    const handled = this.special(ctx);
    if (handled !== undefined) return handled;
    return this.children(ctx);
  }

  /** Child by child, a space apart except around `.` (qualified names). */
  children(ctx: ParserRuleContext): string {
    let out = '';
    let glue = '';
    for (const c of ctx.children ?? []) {
      const dot = c instanceof TerminalNode && c.getText() === '.';
      out += (dot ? '' : glue) + this.node(c);
      glue = dot ? '' : ' ';
    }
    return out;
  }

  /** Prints `body` with each named lambda parameter replaced by its expression. */
  withSubstitutions(names: Map<string, string>, body: () => string): string {
    this.substitutions.push(names);
    try {
      return body();
    } finally {
      this.substitutions.pop();
    }
  }

  private special(ctx: ParserRuleContext): string | undefined {
    if (ctx instanceof g.ColumnReferenceContext && this.substitutions.length > 0) {
      const ids = ctx.columnName().qualifiedName().identifier();
      const top = this.substitutions[this.substitutions.length - 1];
      if (ids.length === 1 && top.has(identifierValue(ids[0]).toLowerCase())) return top.get(identifierValue(ids[0]).toLowerCase());
    }
    if (ctx instanceof g.IdentifierContext) return quoteIdent(identifierValue(ctx));
    if (ctx instanceof g.StringContext) return sqlString(stringValue(ctx));
    if (ctx instanceof g.NumberContext) return ctx.getText();
    if (ctx instanceof g.TypeContext) return translateType(ctx, this).sql;
    if (ctx instanceof g.QuerySpecificationContext) return this.querySpecification(ctx);
    if (ctx instanceof g.PrimaryExpressionContext) return this.primary(ctx);
    if (ctx instanceof g.ValueExpressionContext) return this.value(ctx);
    if (ctx instanceof g.PredicateContext || ctx instanceof g.BooleanExpressionContext) return this.predicate(ctx);
    if (ctx instanceof g.SampledRelationContext && ctx.KW_TABLESAMPLE()) throw notSupported('TABLESAMPLE');
    if (ctx instanceof g.PatternRecognitionContext && ctx.KW_MATCH_RECOGNIZE()) throw notSupported('MATCH_RECOGNIZE');
    if (ctx instanceof g.QueryNoWithContext) return this.queryNoWith(ctx);
    if (ctx instanceof g.RowCountContext && ctx.QUESTION_MARK()) return `(${this.parameter(this.paramIndex++, ctx.start!)})`;
    if (ctx instanceof g.WithContext && ctx.KW_RECURSIVE()) return this.children(ctx);
    if (ctx instanceof g.UnnestContext) return this.unnest(ctx);
    if (ctx instanceof g.InlineTableContext) return this.inlineTable(ctx);
    if (ctx instanceof g.TableNameContext && ctx.queryPeriod()) throw notSupported('FOR TIMESTAMP AS OF / FOR VERSION AS OF');
    if (ctx instanceof g.TableFunctionInvocationContext) throw notSupported('Table functions');
    if (ctx instanceof g.JsonTableContext) throw notSupported('JSON_TABLE');
    return undefined;
  }

  /** The tree in the slot, or an error if the grammar left it empty (the parser has already refused that). */
  private must<T>(v: T | null | undefined): T {
    if (v === null || v === undefined) throw new SqlTextError('incomplete statement', 'SYNTAX_ERROR');
    return v;
  }

  // ---- queries ----------------------------------------------------------------------------------------

  private queryNoWith(ctx: g.QueryNoWithContext): string {
    // Trino: [ORDER BY] [OFFSET n ROWS] [LIMIT n | FETCH FIRST n ROWS ONLY/WITH TIES]; DuckDB wants LIMIT before OFFSET.
    let out = this.node(ctx.queryTerm());
    if (ctx.KW_ORDER()) out += ` ORDER BY ${ctx.sortItem().map((s) => this.node(s)).join(', ')}`;
    if (ctx.getText().toUpperCase().endsWith('WITHTIES')) throw notSupported('FETCH FIRST … WITH TIES');
    // Printed in the text's order, so `?` placeholders are numbered as Athena numbers them.
    const offset = ctx._offset ? this.node(ctx._offset) : undefined;
    const limit = ctx._limit ? this.node(ctx._limit) : ctx._fetchFirst ? this.node(ctx._fetchFirst) : ctx.KW_FETCH() ? '1' : undefined;
    if (limit !== undefined && limit.toUpperCase() !== 'ALL') out += ` LIMIT ${limit}`;
    if (offset !== undefined) out += ` OFFSET ${offset}`;
    return out;
  }

  private querySpecification(ctx: g.QuerySpecificationContext): string {
    const items = ctx.selectList().selectItem();
    const parts: string[] = ['SELECT'];
    const q = ctx.setQuantifier();
    if (q) parts.push(q.getText().toUpperCase());
    parts.push(items.map((item, i) => this.selectItem(item, i)).join(', '));
    for (const child of ctx.children ?? []) {
      if (child === ctx.KW_SELECT() || child === q || child === ctx.selectList()) continue;
      parts.push(this.node(child));
    }
    return parts.join(' ');
  }

  /** Trino's output name of an unaliased select item: the column a bare reference names, else `_col<i>`. */
  static outputName(expr: ParseTree, index: number): string {
    if (expr instanceof g.SelectLiteralColumnNameContext) {
      const ids = expr.columnRef().qualifiedName()?.identifier() ?? [];
      if (ids.length > 0) return identifierValue(ids[ids.length - 1]);
    }
    const primary = unwrapPrimary(expr instanceof g.SelectExpressionColumnNameContext ? expr.expression() : expr);
    if (primary instanceof g.ColumnReferenceContext) {
      const ids = primary.columnName().qualifiedName().identifier();
      return identifierValue(ids[ids.length - 1]);
    }
    if (primary instanceof g.DereferenceContext) return identifierValue(primary._fieldName!);
    return `_col${index}`;
  }

  private selectItem(item: g.SelectItemContext, index: number): string {
    if (item.tableAllColumns() || item.selectAllWithoutTable()) {
      if (item.columnAliases()) throw notSupported('t.* AS (…) column aliases');
      return this.children(item);
    }
    const expr = this.must(item.selectLiteralColumnName() ?? item.selectExpressionColumnName());
    const alias = item.identifier();
    const name = alias ? identifierValue(alias) : Translator.outputName(expr, index);
    return `${this.node(expr)} AS ${quoteIdent(name)}`;
  }

  /** VALUES (a, b), (c, d): each parenthesised list is a row of the table, not a row value. */
  private inlineTable(ctx: g.InlineTableContext): string {
    const rows = ctx.expression().map((e) => {
      const p = unwrapRow(e);
      return p ? `(${p.expression().map((x) => this.node(x)).join(', ')})` : `(${this.node(e)})`;
    });
    return `VALUES ${rows.join(', ')}`;
  }

  private unnest(ctx: g.UnnestContext): string {
    const args = ctx.expression().map((e) => this.node(e));
    if (args.length !== 1) throw notSupported('UNNEST of more than one array');
    return `unnest(${args[0]})${ctx.KW_ORDINALITY() ? ' WITH ORDINALITY' : ''}`;
  }

  // ---- expressions ------------------------------------------------------------------------------------

  private predicate(ctx: ParserRuleContext): string | undefined {
    if (ctx instanceof g.QuantifiedComparisonContext) return undefined;
    return undefined;
  }

  private value(ctx: g.ValueExpressionContext): string | undefined {
    if (ctx instanceof g.ArithmeticBinaryContext) {
      const op = ctx._operator!.text!;
      const left = this.node(ctx._left!);
      const right = this.node(ctx._right!);
      const orNull = this.inTry > 0 ? '_try' : '';
      if (op === '/') return `trino_divide${orNull}(${left}, ${right})`;
      if (op === '%') return `trino_modulus${orNull}(${left}, ${right})`;
      if (op === '+' || op === '-') {
        // DATE ± INTERVAL stays a date in Trino (DuckDB widens it to a timestamp); the same for time.
        if (isInterval(ctx._right!)) return `trino_shift(${left}, ${op === '-' ? `-(${right})` : right})`;
        if (op === '+' && isInterval(ctx._left!)) return `trino_shift(${right}, ${left})`;
      }
      return `(${left} ${op} ${right})`;
    }
    if (ctx instanceof g.ArithmeticUnaryContext) return `(${ctx._operator!.text!}${this.node(ctx.valueExpression())})`;
    if (ctx instanceof g.ConcatenationContext) return concatenate([ctx._left!, ctx._right!], this);
    if (ctx instanceof g.AtTimeZoneContext) {
      const spec = ctx.timeZoneSpecifier();
      if (spec instanceof g.TimeZoneStringContext && /^(UTC|Z|\+00:00|GMT)$/i.test(stringValue(spec.string()))) {
        return `CAST(${this.node(ctx.valueExpression())} AS TIMESTAMPTZ)`;
      }
      throw notSupported('AT TIME ZONE other than UTC (results keep no zone but UTC)');
    }
    return undefined;
  }

  private primary(ctx: g.PrimaryExpressionContext): string | undefined {
    if (ctx instanceof g.ParameterContext) {
      return `(${this.parameter(this.paramIndex++, ctx.start!)})`;
    }
    if (ctx instanceof g.NullLiteralContext) return 'NULL';
    if (ctx instanceof g.BinaryLiteralContext) {
      const hex = ctx.getText().slice(2, -1).replace(/\s/g, '');
      if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw syntaxError(ctx.start, `Binary literal can only contain hexadecimal digits and an even number of them`);
      return `from_hex(${sqlString(hex)})`;
    }
    if (ctx instanceof g.TypeConstructorContext) return this.typedLiteral(ctx);
    if (ctx instanceof g.IntervalLiteralContext) return intervalSql(ctx.interval());
    if (ctx instanceof g.RowConstructorContext) {
      // Anonymous row fields are field0, field1 … in Athena's output; DuckDB would leave them unnamed.
      return `{${ctx.expression().map((e, i) => `'field${i}': ${this.node(e)}`).join(', ')}}`;
    }
    if (ctx instanceof g.ArrayConstructorContext) return `[${ctx.expression().map((e) => this.node(e)).join(', ')}]`;
    if (ctx instanceof g.CastContext) {
      const target = translateType(ctx.type(), this);
      const value = ctx.expression();
      const inner = unwrapPrimary(value);
      // A row constructor cast to a row type takes the target's field names, position by position.
      if (inner instanceof g.RowConstructorContext && target.fields) {
        const exprs = inner.expression();
        if (exprs.length !== target.fields.length) throw new SqlTextError(`line ${ctx.start!.line}:${ctx.start!.column + 1}: Cannot cast row with ${exprs.length} fields to ${target.fields.length}`, 'TYPE_MISMATCH');
        return `{${exprs.map((e, i) => `${sqlString(target.fields![i].name)}: ${ctx.KW_TRY_CAST() ? 'TRY_CAST' : 'CAST'}(${this.node(e)} AS ${target.fields![i].sql})`).join(', ')}}`;
      }
      const cast = ctx.KW_TRY_CAST() || this.inTry > 0 ? 'TRY_CAST' : 'CAST';
      if (target.sql === 'VARCHAR' && !target.hint) {
        // A JSON value's text as Trino casts it: a string unquoted, null NULL.
        if (isJson(value)) return `trino_json_to_varchar(${this.node(value)})`;
        return `trino_to_varchar${cast === 'TRY_CAST' ? '_try' : ''}(${this.node(value)})`;
      }
      // CAST(x AS json) is x's JSON text: a varchar becomes a JSON string, as in Trino.
      if (target.sql === 'JSON') return `to_json(${this.node(value)})`;
      if (target.hint?.type === 'char') return `${cast}(rpad(CAST(${this.node(value)} AS VARCHAR), ${target.hint.precision}, ' ') AS VARCHAR)`;
      return `${cast}(${this.node(value)} AS ${target.sql})`;
    }
    if (ctx instanceof g.FunctionCallContext) return translateFunction(ctx, this);
    if (ctx instanceof g.LambdaContext) {
      const params = ctx.identifier().map((i) => quoteIdent(identifierValue(i)));
      return `lambda ${params.join(', ')}: ${this.node(ctx.expression())}`;
    }
    if (ctx instanceof g.CurrentTimestampContext || ctx instanceof g.LocalTimestampContext) {
      if (ctx.INTEGER_VALUE()) throw notSupported(`${ctx._name!.text!.toLowerCase()}(p)`);
      return ctx instanceof g.CurrentTimestampContext ? 'current_timestamp' : 'CAST(current_timestamp AS TIMESTAMP)';
    }
    if (ctx instanceof g.CurrentTimeContext || ctx instanceof g.LocalTimeContext) throw notSupported(ctx._name!.text!.toLowerCase());
    if (ctx instanceof g.CurrentDateContext) return 'current_date';
    if (ctx instanceof g.CurrentUserContext || ctx instanceof g.CurrentCatalogContext || ctx instanceof g.CurrentPathContext) {
      throw notSupported(ctx.getText().toLowerCase());
    }
    if (ctx instanceof g.CurrentSchemaContext) return 'current_schema()';
    if (ctx instanceof g.ExtractContext) return this.extract(ctx);
    if (ctx instanceof g.SubstringContext) {
      const [s, from, len] = ctx.valueExpression().map((v) => this.node(v));
      return len === undefined ? `substr(${s}, ${from})` : `substr(${s}, ${from}, ${len})`;
    }
    if (ctx instanceof g.PositionContext) {
      const [needle, hay] = ctx.valueExpression().map((v) => this.node(v));
      return `strpos(${hay}, ${needle})`;
    }
    if (ctx instanceof g.TrimContext) {
      const spec = ctx.trimsSpecification()?.getText().toUpperCase() ?? 'BOTH';
      const fn = spec === 'LEADING' ? 'ltrim' : spec === 'TRAILING' ? 'rtrim' : 'trim';
      const src = this.node(ctx._trimSource!);
      return ctx._trimChar ? `${fn}(${src}, ${this.node(ctx._trimChar)})` : `${fn}(${src})`;
    }
    if (ctx instanceof g.SubscriptContext) return `${this.node(ctx._value!)}[${this.node(ctx._index!)}]`;
    if (ctx instanceof g.DereferenceContext) return `${this.node(ctx._base!)}.${quoteIdent(identifierValue(ctx._fieldName!))}`;
    if (ctx instanceof g.NormalizeContext || ctx instanceof g.ListAggContext || ctx instanceof g.MeasureContext) {
      throw notSupported(ctx.start!.text!.toUpperCase());
    }
    if (
      ctx instanceof g.JsonExistsContext ||
      ctx instanceof g.JsonValueContext ||
      ctx instanceof g.JsonQueryContext ||
      ctx instanceof g.JsonObjectContext ||
      ctx instanceof g.JsonArrayContext
    ) {
      throw notSupported(ctx.start!.text!.toUpperCase());
    }
    if (ctx instanceof g.GroupingOperationContext) return undefined;
    return undefined;
  }

  private extract(ctx: g.ExtractContext): string {
    const field = identifierValue(ctx.identifier()).toUpperCase();
    const map: Record<string, string> = {
      YEAR: 'year', QUARTER: 'quarter', MONTH: 'month', WEEK: 'week', DAY: 'day', DAY_OF_MONTH: 'day', DAY_OF_WEEK: 'isodow',
      DOW: 'isodow', DAY_OF_YEAR: 'dayofyear', DOY: 'dayofyear', YEAR_OF_WEEK: 'isoyear', YOW: 'isoyear', HOUR: 'hour',
      MINUTE: 'minute', SECOND: 'second', TIMEZONE_HOUR: 'timezone_hour', TIMEZONE_MINUTE: 'timezone_minute',
    };
    const fn = map[field];
    if (!fn) throw syntaxError(ctx.identifier().start, `Invalid EXTRACT field: ${field}`);
    return `CAST(${fn}(${this.node(ctx.valueExpression())}) AS BIGINT)`;
  }

  private typedLiteral(ctx: g.TypeConstructorContext): string {
    const type = (ctx.identifier() ? identifierValue(ctx.identifier()!) : 'DOUBLE').toUpperCase();
    const text = stringValue(ctx.string());
    const lit = sqlString(text);
    switch (type) {
      case 'TIMESTAMP': {
        const zone = timestampZone(text);
        const local = sqlString(timestampText(text, ctx.start));
        if (zone === undefined) return `CAST(${local} AS TIMESTAMP)`;
        if (!/^(UTC|Z|GMT|UT|[+-]00:?00|Etc\/UTC)$/i.test(zone)) throw notSupported(`A TIMESTAMP literal in a zone other than UTC ('${zone}')`);
        return `CAST(${sqlString(`${timestampText(text, ctx.start)}+00`)} AS TIMESTAMPTZ)`;
      }
      case 'DATE':
        return `CAST(${lit} AS DATE)`;
      case 'TIME':
        if (/[+-]\d\d:?\d\d$/.test(text.trim())) throw notSupported('TIME WITH TIME ZONE literals');
        return `CAST(${lit} AS TIME)`;
      case 'DECIMAL':
        return decimalLiteral(text, ctx.start);
      case 'REAL':
        return `CAST(${lit} AS FLOAT)`;
      case 'DOUBLE':
        return `CAST(${lit} AS DOUBLE)`;
      case 'VARCHAR':
        return lit;
      case 'CHAR':
        return lit;
      case 'VARBINARY':
        return `encode(${lit})`;
      case 'JSON':
        return `json(${lit})`;
      case 'BIGINT':
      case 'INTEGER':
      case 'INT':
      case 'SMALLINT':
      case 'TINYINT':
      case 'BOOLEAN':
        return `CAST(${lit} AS ${type === 'INT' ? 'INTEGER' : type})`;
      case 'UUID':
        return `CAST(${lit} AS UUID)`;
      default:
        throw new SqlTextError(`line ${ctx.start!.line}:${ctx.start!.column + 1}: Unknown type: ${type.toLowerCase()}`, 'TYPE_NOT_FOUND');
    }
  }
}

/**
 * What Athena reports for each output column of a query that DuckDB's result types cannot tell: a bare NULL is
 * `unknown`, a char(n) is char, a timestamp literal or cast keeps its precision. Empty when the select list
 * has `*` (positions are then known only to DuckDB).
 */
export function outputHints(query: g.QueryStatementContext): (TypeHint | undefined)[] {
  let term: ParseTree | null = query.queryNoWith().queryTerm();
  for (;;) {
    if (term instanceof g.SetOperationContext) term = term._left!;
    else if (term instanceof g.QueryTermDefaultContext) term = term.queryPrimary();
    else if (term instanceof g.SubqueryContext) term = term.queryNoWith().queryTerm();
    else if (term instanceof g.QueryPrimaryDefaultContext) term = term.querySpecification();
    else break;
  }
  if (!(term instanceof g.QuerySpecificationContext)) return [];
  const items = term.selectList().selectItem();
  if (items.some((i) => i.tableAllColumns() || i.selectAllWithoutTable())) return [];
  return items.map((i) => {
    const e = i.selectExpressionColumnName();
    return e ? hintOf(e.expression()) : undefined;
  });
}

function hintOf(expr: g.ExpressionContext): TypeHint | undefined {
  const p = unwrapPrimary(expr);
  if (p instanceof g.NullLiteralContext) return { type: 'unknown', precision: 0 };
  if (p instanceof g.CastContext) {
    const t = p.type();
    if (t instanceof g.GenericTypeContext && /^char$/i.test(t.identifier().getText())) {
      const n = t.typeParameter(0)?.INTEGER_VALUE()?.getText();
      return { type: 'char', precision: n === undefined ? 1 : Number(n) };
    }
    if (t instanceof g.DateTimeTypeContext && t._precision) {
      const n = Number(t._precision.getText());
      if (n !== 3) return { type: t.KW_WITH() ? 'timestamp with time zone' : 'timestamp', precision: n };
    }
    return undefined;
  }
  if (p instanceof g.TypeConstructorContext && p.identifier()) {
    const type = p.identifier()!.getText().toUpperCase();
    const text = stringValue(p.string());
    if (type === 'CHAR') return { type: 'char', precision: [...text].length };
    if (type === 'TIMESTAMP') {
      const precision = Math.max(3, timestampPrecision(text));
      const zoned = timestampZone(text) !== undefined;
      if (zoned || precision !== 3) return { type: zoned ? 'timestamp with time zone' : 'timestamp', precision };
    }
  }
  return undefined;
}

/** The zone part of a TIMESTAMP literal's text, if it has one. */
export function timestampZone(text: string): string | undefined {
  const m = /^\s*[+-]?\d{1,6}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?)?\s*(.*?)\s*$/.exec(text);
  if (!m || m[1] === '') return undefined;
  return m[1];
}

/**
 * A TIMESTAMP literal's date and time as DuckDB reads them (`2012-10-31 01:00` → `2012-10-31 01:00:00`), without
 * its zone. Trino accepts hours and minutes without seconds, which DuckDB does not once a zone follows.
 */
export function timestampText(text: string, at: Token | null | undefined): string {
  const m = /^\s*([+-]?\d{1,6}-\d{1,2}-\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(\.\d*)?)?)?/.exec(text);
  if (!m) throw new SqlTextError(`line ${at?.line ?? 1}:${(at?.column ?? 0) + 1}: '${text}' is not a valid timestamp literal`, 'INVALID_LITERAL');
  if (m[2] === undefined) return m[1];
  return `${m[1]} ${m[2].padStart(2, '0')}:${m[3].padStart(2, '0')}:${(m[4] ?? '00').padStart(2, '0')}${m[5] ?? ''}`;
}

/** Number of fraction digits a TIMESTAMP literal's text gives (Trino's precision for it, at least 3 in Athena). */
export function timestampPrecision(text: string): number {
  const m = /\d:\d{1,2}:\d{1,2}\.(\d+)/.exec(text);
  return m ? m[1].length : 0;
}

/** `DECIMAL '1.20'`: typed by its digits, as Trino does (decimal(3,2)). */
export function decimalLiteral(text: string, at: Token | null | undefined): string {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (!m || (m[2] + (m[3] ?? '')).length === 0) throw new SqlTextError(`line ${at?.line ?? 1}:${(at?.column ?? 0) + 1}: '${text}' is not a valid DECIMAL literal`, 'INVALID_LITERAL');
  const scale = (m[3] ?? '').length;
  const precision = Math.max(m[2].replace(/^0+/, '').length + scale, 1);
  if (precision > 38) throw new SqlTextError(`line ${at?.line ?? 1}:${(at?.column ?? 0) + 1}: DECIMAL literal has more than 38 digits`, 'INVALID_LITERAL');
  return `CAST(${sqlString(text.trim())} AS DECIMAL(${precision},${scale}))`;
}

/** `INTERVAL '2' DAY`, `INTERVAL '1-2' YEAR TO MONTH`, `INTERVAL '2 03:04:05' DAY TO SECOND` as DuckDB intervals. */
export function intervalSql(ctx: g.IntervalContext): string {
  const text = stringValue(ctx.string()).trim();
  const from = ctx._from_!.getText().toUpperCase();
  const to = ctx._to?.getText().toUpperCase();
  let neg = ctx._sign?.text === '-';
  const bad = (): never => {
    throw new SqlTextError(`line ${ctx.start!.line}:${ctx.start!.column + 1}: Invalid INTERVAL ${from}${to ? ` TO ${to}` : ''} value: ${text}`, 'INVALID_LITERAL');
  };
  let body = text;
  if (body.startsWith('-')) {
    neg = !neg;
    body = body.slice(1);
  } else if (body.startsWith('+')) body = body.slice(1);
  const sign = neg ? '-' : '';
  if (!to) {
    if (!/^\d+(\.\d+)?$/.test(body) || (from !== 'SECOND' && body.includes('.'))) bad();
    if (from === 'SECOND') return `to_microseconds(CAST(round(${sign}${body} * 1000) AS BIGINT) * 1000)`;
    return `INTERVAL '${sign}${body} ${from}'`;
  }
  if (from === 'YEAR' && to === 'MONTH') {
    const m = /^(\d+)-(\d+)$/.exec(body);
    if (!m) return bad();
    return `INTERVAL '${sign}${Number(m[1]) * 12 + Number(m[2])} MONTH'`;
  }
  const order = ['DAY', 'HOUR', 'MINUTE', 'SECOND'];
  const a = order.indexOf(from);
  const b = order.indexOf(to);
  if (a < 0 || b <= a) return bad();
  const m = /^(?:(\d+)\s+)?(\d+)(?::(\d+))?(?::(\d+(?:\.\d+)?))?$/.exec(body);
  if (!m) return bad();
  const nums = [m[1], m[2], m[3], m[4]].filter((x) => x !== undefined).map(Number);
  if (nums.length !== b - a + 1) bad();
  let millis = 0;
  const unitMs = [86_400_000, 3_600_000, 60_000, 1000];
  nums.forEach((n, i) => {
    millis += n * unitMs[a + i];
  });
  return `to_microseconds(${sign}${Math.round(millis) * 1000})`;
}

/** The primary expression an expression is, once trivial wrappers (predicated, parenthesised) are gone. */
export function unwrapPrimary(t: ParseTree): g.PrimaryExpressionContext | undefined {
  let cur: ParseTree | null = t;
  for (;;) {
    if (cur instanceof g.PrimaryExpressionContext) {
      if (cur instanceof g.ParenthesizedExpressionContext) {
        cur = cur.expression();
        continue;
      }
      return cur;
    }
    if (cur instanceof g.ExpressionContext || cur instanceof g.ValueExpressionDefaultContext || cur instanceof g.SelectExpressionColumnNameContext) {
      cur = cur.getChild(0);
      continue;
    }
    if (cur instanceof g.PredicatedContext) {
      if (cur.predicate()) return undefined;
      cur = cur.valueExpression();
      continue;
    }
    return undefined;
  }
}

/** `(a, b)` or `ROW(a, b)` directly (not inside parentheses: `((a, b))` is a one-column row). */
function unwrapRow(t: ParseTree): g.RowConstructorContext | undefined {
  let cur: ParseTree | null = t;
  while (cur instanceof g.ExpressionContext || cur instanceof g.ValueExpressionDefaultContext || (cur instanceof g.PredicatedContext && !cur.predicate())) {
    cur = cur instanceof g.PredicatedContext ? cur.valueExpression() : cur.getChild(0);
  }
  return cur instanceof g.RowConstructorContext ? cur : undefined;
}

/** Statically an array: an ARRAY[…] constructor or a function that returns one. */
function isArray(t: ParseTree): boolean {
  const p = unwrapPrimary(t);
  if (p instanceof g.ArrayConstructorContext) return true;
  return p instanceof g.FunctionCallContext && /^(transform|filter|sequence|split|array_sort|slice|flatten|map_keys|map_values|regexp_extract_all|array_agg|trim_array)$/i.test(p.functionName().getText());
}

/** Statically JSON: a JSON literal, json_parse/json_extract, or a cast to json. */
function isJson(t: ParseTree): boolean {
  const p = unwrapPrimary(t);
  if (p instanceof g.TypeConstructorContext) return /^json$/i.test(p.identifier()?.getText() ?? '');
  if (p instanceof g.FunctionCallContext) return /^(json_parse|json_extract)$/i.test(p.functionName().getText());
  if (p instanceof g.CastContext) return /^json$/i.test(p.type().getText());
  return false;
}

const isScalarLiteral = (t: ParseTree): boolean => {
  const p = unwrapPrimary(t);
  return p instanceof g.NumericLiteralContext || p instanceof g.StringLiteralContext || p instanceof g.BooleanLiteralContext || p instanceof g.TypeConstructorContext;
};

/**
 * `a || b` (and concat): strings or arrays, as in Trino. An array and one element append.
 */
export function concatenate(parts: ParseTree[], tr: Translator): string {
  if (parts.length === 2 && isArray(parts[0]) && isScalarLiteral(parts[1])) return `list_append(${tr.node(parts[0])}, ${tr.node(parts[1])})`;
  if (parts.length === 2 && isScalarLiteral(parts[0]) && isArray(parts[1])) return `list_prepend(${tr.node(parts[0])}, ${tr.node(parts[1])})`;
  const joined = parts.map((p) => tr.node(p)).join(' || ');
  // DuckDB types text || NULL by the NULL (integer); Trino's is varchar.
  return parts.some((p) => unwrapPrimary(p) instanceof g.StringLiteralContext) ? `CAST((${joined}) AS VARCHAR)` : `(${joined})`;
}

function isInterval(t: ParseTree): boolean {
  const p = unwrapPrimary(t);
  return p instanceof g.IntervalLiteralContext || (p instanceof g.FunctionCallContext && /^(to_|parse_)duration$/i.test(p.functionName().getText()));
}
