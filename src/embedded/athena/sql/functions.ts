/**
 * Trino function calls → DuckDB. Three kinds: the same function under the same name (SAME), a different
 * spelling of the same meaning (RENAMED, and the rewrites in REWRITE, some through the macros of macros.ts),
 * and everything else, which is refused rather than handed to a DuckDB function that may share the name but
 * not the meaning.
 */
import * as g from './trino/grammar.cjs';
import { SqlTextError } from './parse';
import { concatenate, identifierValue, notSupported, sqlString, stringValue, unwrapPrimary, type Translator } from './translate';

/** Same name, same arguments, same answer in both engines. */
const SAME = new Set([
  // aggregates
  'count', 'sum', 'min', 'max', 'avg', 'count_if', 'bool_and', 'bool_or', 'every', 'array_agg', 'stddev', 'stddev_samp',
  'stddev_pop', 'variance', 'var_samp', 'var_pop', 'corr', 'covar_samp', 'covar_pop', 'max_by', 'min_by', 'regr_slope',
  'regr_intercept', 'geometric_mean', 'kurtosis', 'skewness',
  // windows
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value',
  // scalars
  'abs', 'ceil', 'ceiling', 'floor', 'sqrt', 'exp', 'ln', 'log2', 'log10', 'power', 'pow', 'pi',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'tanh', 'degrees', 'radians', 'coalesce', 'nullif', 'random', 'rand',
  'lower', 'upper', 'reverse', 'strpos', 'substr', 'substring', 'trim', 'ltrim', 'rtrim', 'lpad', 'rpad',
  'starts_with', 'chr', 'ascii', 'md5', 'sha1', 'sha256', 'sha512', 'from_hex',
  'to_base64', 'from_base64', 'url_encode', 'url_decode', 'translate',
  'year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond', 'quarter', 'week', 'current_date',
  'map_keys', 'map_values', 'flatten', 'array_sort', 'contains', 'json_extract', 'map', 'map_from_entries',
]);

/** Same meaning, another name. */
const RENAMED: Record<string, string> = {
  approx_distinct: 'trino_approx_distinct',
  array_max: 'list_max',
  array_min: 'list_min',
  levenshtein_distance: 'levenshtein',
  hamming_distance: 'hamming',
  cbrt: 'trino_cbrt',
  sign: 'trino_sign',
  e: 'trino_e',
  is_nan: 'isnan',
  is_finite: 'isfinite',
  is_infinite: 'isinf',
  nan: 'trino_nan',
  infinity: 'trino_infinity',
  day_of_month: 'dayofmonth',
  day_of_year: 'dayofyear',
  doy: 'dayofyear',
  week_of_year: 'week',
  last_day_of_month: 'last_day',
  json_array_length: 'trino_json_array_length',
  is_json_scalar: 'trino_is_json_scalar',
  regexp_count: 'trino_regexp_count',
  regexp_split: 'string_split_regex',
  split_part: 'trino_split_part',
  trim_array: 'trino_trim_array',
  any_match: 'trino_any_match',
  all_match: 'trino_all_match',
  none_match: 'trino_none_match',
  length: 'trino_length',
  arbitrary: 'any_value',
  any_value: 'any_value',
  day_of_week: 'isodow',
  dow: 'isodow',
  year_of_week: 'isoyear',
  yow: 'isoyear',
  to_unixtime: 'epoch',
  from_unixtime: 'to_timestamp',
  json_parse: 'json',
  json_format: 'trino_json_format',
  json_extract_scalar: 'trino_json_extract_scalar',
  regexp_like: 'regexp_matches',
  regexp_extract: 'trino_regexp_extract',
  regexp_extract_all: 'regexp_extract_all',
  split: 'string_split',
  cardinality: 'trino_cardinality',
  element_at: 'trino_element_at',
  transform: 'list_transform',
  filter: 'list_filter',
  array_position: 'trino_array_position',
  from_iso8601_timestamp: 'trino_from_iso8601_timestamp',
  from_iso8601_date: 'trino_from_iso8601_date',
  date_diff: 'trino_date_diff',
  date_trunc: 'trino_date_trunc',
  to_hex: 'hex',
  to_utf8: 'encode',
  from_utf8: 'decode',
  approx_percentile: 'trino_approx_percentile',
  now: 'get_current_timestamp',
  strrev: 'reverse',
  codepoint: 'unicode',
  sequence: 'trino_sequence',
  slice: 'trino_slice',
  typeof: 'trino_typeof',
  if: 'trino_if',
};

/** Trino's `format_datetime` (Joda/Java) pattern → strftime, for the letters whose meaning is the same. */
function javaPattern(p: string, at: g.FunctionCallContext): string {
  const map: [RegExp, string][] = [
    [/^yyyy/, '%Y'], [/^yy/, '%y'], [/^MMMM/, '%B'], [/^MMM/, '%b'], [/^MM/, '%m'], [/^dd/, '%d'], [/^HH/, '%H'],
    [/^hh/, '%I'], [/^mm/, '%M'], [/^ss/, '%S'], [/^SSSSSS/, '%f'], [/^SSS/, '%g'], [/^a/, '%p'], [/^EEEE/, '%A'],
    [/^EEE/, '%a'], [/^D{1,3}/, '%j'],
  ];
  let out = '';
  let i = 0;
  while (i < p.length) {
    const rest = p.slice(i);
    if (rest[0] === "'") {
      const end = p.indexOf("'", i + 1);
      if (end < 0) throw notSupported(`The format_datetime pattern '${p}'`);
      out += end === i + 1 ? "'" : p.slice(i + 1, end).replace(/%/g, '%%');
      i = end + 1;
      continue;
    }
    const hit = map.find(([re]) => re.test(rest));
    if (hit) {
      out += hit[1];
      i += (hit[0].exec(rest) as RegExpExecArray)[0].length;
      continue;
    }
    if (/[A-Za-z]/.test(rest[0])) throw notSupported(`The pattern letter '${rest[0]}' in format_datetime (line ${at.start!.line}:${at.start!.column + 1})`);
    out += rest[0] === '%' ? '%%' : rest[0];
    i++;
  }
  return out;
}

/** MySQL `date_format`/`date_parse` specifiers (Trino's) → strftime/strptime. */
function mysqlPattern(p: string): string {
  const map: Record<string, string> = {
    a: '%a', b: '%b', c: '%-m', d: '%d', e: '%-d', f: '%f', H: '%H', h: '%I', I: '%I', i: '%M', j: '%j', k: '%-H', l: '%-I',
    M: '%B', m: '%m', p: '%p', r: '%I:%M:%S %p', S: '%S', s: '%S', T: '%H:%M:%S', W: '%A', Y: '%Y', y: '%y', '%': '%%',
  };
  let out = '';
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== '%') {
      out += p[i];
      continue;
    }
    const c = p[++i];
    const m = c === undefined ? undefined : map[c];
    if (m === undefined) throw notSupported(`The date_format specifier %${c ?? ''}`);
    out += m;
  }
  return out;
}

/** A string literal argument's value, or a refusal naming what needs one. */
function literalArg(ctx: g.ExpressionContext | undefined, what: string): string {
  const p = ctx ? unwrapPrimary(ctx) : undefined;
  if (p instanceof g.StringLiteralContext) return stringValue(p.string());
  throw notSupported(`${what} with a pattern that is not a string literal`);
}

const DATE_UNITS = new Set(['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year']);

function unitArg(ctx: g.ExpressionContext | undefined, fn: string): string {
  const unit = literalArg(ctx, fn).toLowerCase();
  if (!DATE_UNITS.has(unit)) throw new SqlTextError(`'${unit}' is not a valid Time field`, 'INVALID_FUNCTION_ARGUMENT');
  return unit;
}

export function translateFunction(ctx: g.FunctionCallContext, tr: Translator): string {
  const qualified = ctx.functionName().getText();
  if (qualified.includes('.')) throw notSupported(`The qualified function name ${qualified}`);
  const name = identifierValue(ctx.functionName().qualifiedName().identifier(0)!).toLowerCase();
  if (ctx.processingMode()) throw notSupported('RUNNING/FINAL');
  const exprs = ctx.expression();
  const args = (): string[] => exprs.map((e) => tr.node(e));
  const distinct = ctx.setQuantifier()?.getText().toUpperCase() === 'DISTINCT' ? 'DISTINCT ' : '';
  const order = ctx.KW_ORDER() ? ` ORDER BY ${ctx.sortItem().map((s) => tr.node(s)).join(', ')}` : '';
  const nulls = ctx.nullTreatment() ? ` ${ctx.nullTreatment()!.getText().toUpperCase().replace('NULLS', ' NULLS')}` : '';
  const suffix = `${ctx.filter() ? ` ${tr.node(ctx.filter()!)}` : ''}${ctx.over() ? ` ${tr.node(ctx.over()!)}` : ''}`;
  const call = (fn: string, a: string[]): string => `${fn}(${distinct}${a.join(', ')}${order}${nulls})${suffix}`;

  if (ctx.ASTERISK()) {
    if (name !== 'count') throw new SqlTextError(`line ${ctx.start!.line}:${ctx.start!.column + 1}: Function '${name}' does not accept *`, 'FUNCTION_NOT_FOUND');
    return `count(*)${suffix}`;
  }
  /** A lambda argument `(k, v) -> …` printed over DuckDB's map entry `e` (e.key, e.value). */
  const overEntry = (lambda: g.ExpressionContext | undefined): string => {
    const l = lambda ? unwrapPrimary(lambda) : undefined;
    if (!(l instanceof g.LambdaContext) || l.identifier().length !== 2) throw notSupported(`${name} without a (key, value) lambda`);
    const [k, v] = l.identifier().map((i) => identifierValue(i).toLowerCase());
    return tr.withSubstitutions(new Map([[k, '"e"."key"'], [v, '"e"."value"']]), () => tr.node(l.expression()));
  };
  switch (name) {
    case 'map_filter':
      return `map_from_entries(list_filter(map_entries(${tr.node(exprs[0])}), lambda "e": ${overEntry(exprs[1])}))`;
    case 'transform_keys':
      return `map_from_entries(list_transform(map_entries(${tr.node(exprs[0])}), lambda "e": {'k': ${overEntry(exprs[1])}, 'v': "e"."value"}))`;
    case 'transform_values':
      return `map_from_entries(list_transform(map_entries(${tr.node(exprs[0])}), lambda "e": {'k': "e"."key", 'v': ${overEntry(exprs[1])}}))`;
    case 'map_entries':
      // Trino's entries are anonymous rows (field0, field1); DuckDB names them key and value.
      return `list_transform(map_entries(${tr.node(exprs[0])}), lambda "e": {'field0': "e"."key", 'field1': "e"."value"})`;
    case 'greatest':
    case 'least': {
      // NULL if any argument is (DuckDB's skip NULLs).
      const a = args();
      return `CASE WHEN ${a.map((x) => `(${x}) IS NULL`).join(' OR ')} THEN NULL ELSE ${name}(${a.join(', ')}) END`;
    }
    case 'replace':
      return exprs.length === 2 ? `replace(${args().join(', ')}, '')` : `replace(${args().join(', ')})`;
    case 'array_sort':
      if (exprs.length > 1) throw notSupported('array_sort with a comparator');
      break;
    case 'any_match':
    case 'all_match':
    case 'none_match':
      // Over the predicate's values, so NULL answers follow Trino's three-valued rules (macros.ts).
      return `trino_${name}(list_transform(${tr.node(exprs[0])}, ${tr.node(exprs[1])}))`;
    case 'date_add': {
      const unit = unitArg(exprs[0], name);
      const [, n, x] = args();
      if (n === undefined || x === undefined) break;
      return `trino_shift(${x}, ${unitInterval(unit, n)})`;
    }
    case 'date_format':
      return `strftime(${tr.node(exprs[0])}, ${sqlString(mysqlPattern(literalArg(exprs[1], name)))})`;
    case 'date_parse':
      return `strptime(${tr.node(exprs[0])}, ${sqlString(mysqlPattern(literalArg(exprs[1], name)))})`;
    case 'format_datetime':
      return `strftime(${tr.node(exprs[0])}, ${sqlString(javaPattern(literalArg(exprs[1], name), ctx))})`;
    case 'parse_datetime':
      return `strptime(${tr.node(exprs[0])}, ${sqlString(javaPattern(literalArg(exprs[1], name), ctx))})`;
    case 'regexp_replace': {
      const [s, p, r] = args();
      if (r === undefined) return `regexp_replace(${s}, ${p}, '', 'g')`;
      // Trino's replacement names groups $1; RE2 in DuckDB spells them \1.
      const repl = literalArg(exprs[2], name).replace(/\\/g, '\\\\').replace(/\$(\d)/g, '\\$1');
      return `regexp_replace(${s}, ${p}, ${sqlString(repl)}, 'g')`;
    }
    case 'reduce': {
      const state = unwrapPrimary(exprs[1]);
      // DuckDB folds only in the elements' own type; a row state (an average's sum and count) has no equivalent.
      if (state instanceof g.RowConstructorContext || (state instanceof g.CastContext && state.type() instanceof g.RowTypeContext)) {
        throw notSupported('reduce with a state of another type than the array\'s elements');
      }
      const [a, init, step, out] = args();
      if (out === undefined) break;
      return `list_transform([list_reduce(${a}, ${step}, ${init})], ${out})[1]`;
    }
    case 'round':
      return exprs.length === 1 ? `trino_round(${args()[0]})` : `round(${args().join(', ')})`;
    case 'truncate':
      return exprs.length === 1 ? `trunc(${args()[0]})` : `trunc(${args().join(', ')})`;
    case 'mod':
      return `trino_modulus(${args().join(', ')})`;
    case 'log': {
      const [b, x] = args();
      return `(ln(${x}) / ln(${b}))`;
    }
    case 'try': {
      if (exprs.length !== 1) break;
      tr.inTry++;
      try {
        return `(${tr.node(exprs[0])})`;
      } finally {
        tr.inTry--;
      }
    }
    case 'concat':
      if (exprs.length < 2) break;
      return concatenate(exprs, tr);
    case 'array_join': {
      const [a, sep, nullAs] = args();
      if (nullAs === undefined) return `array_to_string(${a}, ${sep})`;
      return `array_to_string(list_transform(${a}, lambda x: coalesce(CAST(x AS VARCHAR), ${nullAs})), ${sep})`;
    }
  }
  if (SAME.has(name)) return call(name, args());
  const renamed = RENAMED[name];
  if (renamed !== undefined) return call(renamed, args());
  throw notSupported(`The function ${name}`);
}

function unitInterval(unit: string, n: string): string {
  switch (unit) {
    case 'millisecond':
      return `to_milliseconds(${n})`;
    case 'quarter':
      return `to_months(3 * (${n}))`;
    case 'week':
      return `to_days(7 * (${n}))`;
    default:
      return `to_${unit}s(${n})`;
  }
}
