/**
 * DuckDB macros that give Trino's meaning to what the translator (translate.ts, functions.ts) emits. They are
 * created in the catalog's `main` schema when the engine opens, which DuckDB searches from any schema.
 *
 * DuckDB binds a macro per call with the argument types known, so `typeof(…)` inside one is a constant and a
 * CASE on it folds away: one macro can fail like Trino for integers and decimals and follow IEEE for doubles
 * without a per-row cost. `cast_to_type(v, like)` keeps a branch in the type of the expression it stands in
 * for. An `error()` message starts with Trino's error name, which classifyDuckError reads back.
 */
const FLOATING = "typeof(a) IN ('DOUBLE', 'FLOAT') OR typeof(b) IN ('DOUBLE', 'FLOAT')";
const DECIMAL = "(typeof(a) LIKE 'DECIMAL%' OR typeof(b) LIKE 'DECIMAL%')";
const IEEE_DIVIDE = "cast_to_type(CASE WHEN a > 0 THEN 'Infinity'::DOUBLE WHEN a < 0 THEN '-Infinity'::DOUBLE ELSE 'NaN'::DOUBLE END, a / b)";

export const TRINO_MACROS: readonly string[] = [
  // Integer and decimal division by zero fail in Trino; a double's follows IEEE (±Infinity, NaN). Decimal division
  // has its own result precision in Trino (DuckDB answers a double), so it is refused rather than answered differently.
  `trino_divide(a, b) AS CASE
     WHEN b = 0 AND NOT (${FLOATING}) THEN error('DIVISION_BY_ZERO: Division by zero')
     WHEN b = 0 THEN ${IEEE_DIVIDE}
     WHEN ${DECIMAL} AND NOT (${FLOATING}) THEN error('NOT_SUPPORTED: Division of decimal values (Trino answers a decimal of its own precision) is not supported by the embedded Athena endpoint; cast to double')
     ELSE a / b END`,
  // Inside try(): what would fail is NULL.
  `trino_divide_try(a, b) AS CASE
     WHEN b = 0 AND NOT (${FLOATING}) THEN NULL
     WHEN b = 0 THEN ${IEEE_DIVIDE}
     WHEN ${DECIMAL} AND NOT (${FLOATING}) THEN error('NOT_SUPPORTED: Division of decimal values is not supported by the embedded Athena endpoint; cast to double')
     ELSE a / b END`,
  `trino_modulus(a, b) AS CASE
     WHEN b = 0 AND NOT (${FLOATING}) THEN error('DIVISION_BY_ZERO: Division by zero')
     WHEN b = 0 THEN cast_to_type('NaN'::DOUBLE, a % b)
     ELSE a % b END`,
  `trino_modulus_try(a, b) AS CASE
     WHEN b = 0 AND NOT (${FLOATING}) THEN NULL
     WHEN b = 0 THEN cast_to_type('NaN'::DOUBLE, a % b)
     ELSE a % b END`,
  // DATE ± INTERVAL is a date in Trino, TIME ± INTERVAL a time; DuckDB widens both to a timestamp.
  `trino_shift(x, i) AS cast_to_type(x + i, x)`,
  `trino_date_trunc(unit, x) AS cast_to_type(date_trunc(unit, x), x)`,
  // Trino counts whole units elapsed (DuckDB's date_sub), not boundaries crossed (DuckDB's date_diff).
  `trino_date_diff(unit, a, b) AS date_sub(unit, a, b)`,
  // Trino keeps the zone of the text; results here are in UTC, so only UTC texts are answered.
  `trino_from_iso8601_timestamp(s) AS CASE
     WHEN regexp_matches(s, 'T.*[+-]\\d\\d(:?\\d\\d)?$') AND NOT regexp_matches(s, 'T.*[+-]00(:?00)?$')
       THEN error('NOT_SUPPORTED: from_iso8601_timestamp of a text with a zone offset other than UTC is not supported by the embedded Athena endpoint')
     WHEN regexp_matches(s, 'T.*(Z|[+-]\\d\\d(:?\\d\\d)?)$') THEN CAST(s AS TIMESTAMPTZ)
     ELSE CAST(CAST(s AS TIMESTAMP) AS TIMESTAMPTZ) END`,
  // ISO 8601 dates: calendar (2020-05-11), week (2020-W10[-3]) and ordinal (2020-123).
  `trino_from_iso8601_date(s) AS CASE
     WHEN regexp_matches(s, '^\\d{4}-W\\d{2}(-\\d)?$') THEN CAST(
       make_date(CAST(left(s, 4) AS INTEGER), 1, 4) - CAST(isodow(make_date(CAST(left(s, 4) AS INTEGER), 1, 4)) - 1 AS INTEGER)
       + (CAST(substr(s, 7, 2) AS INTEGER) - 1) * 7 + coalesce(CAST(nullif(substr(s, 10, 1), '') AS INTEGER), 1) - 1 AS DATE)
     WHEN regexp_matches(s, '^\\d{4}-\\d{3}$') THEN CAST(make_date(CAST(left(s, 4) AS INTEGER), 1, 1) + CAST(right(s, 3) AS INTEGER) - 1 AS DATE)
     ELSE CAST(s AS DATE) END`,
  // NULL for a path that selects an object or array, as Trino does; DuckDB would answer its JSON text.
  `trino_json_extract_scalar(j, p) AS CASE WHEN json_type(CAST(j AS JSON), p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(CAST(j AS JSON), p) END`,
  `trino_json_format(j) AS CAST(j AS VARCHAR)`,
  // No match is NULL in Trino, '' in DuckDB.
  `trino_regexp_extract(s, p, g := 0) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END`,
  // length() counts a varbinary's bytes in Trino; DuckDB's length takes only text.
  `trino_length(x) AS CASE WHEN typeof(x) = 'BLOB' THEN octet_length(CAST(x AS BLOB)) ELSE length(CAST(x AS VARCHAR)) END`,
  // Arrays and maps both, through their JSON (len() takes only lists, cardinality() only maps, and a macro
  // body must bind for either).
  `trino_cardinality(a) AS CASE WHEN typeof(a) LIKE 'MAP(%' THEN CAST(len(json_keys(to_json(a))) AS BIGINT) ELSE CAST(json_array_length(to_json(a)) AS BIGINT) END`,
  `trino_json_array_length(j) AS CAST(json_array_length(j) AS BIGINT)`,
  `trino_is_json_scalar(j) AS json_type(CAST(j AS JSON)) NOT IN ('OBJECT', 'ARRAY')`,
  // A JSON value cast to varchar: a string's content, a number's or boolean's text, NULL for null; an object or
  // array fails, as in Trino.
  `trino_json_to_varchar(j) AS CASE json_type(CAST(j AS JSON))
     WHEN 'NULL' THEN NULL WHEN 'VARCHAR' THEN json_extract_string(CAST(j AS JSON), '$')
     WHEN 'OBJECT' THEN error('INVALID_CAST_ARGUMENT: Cannot cast JSON object to varchar') WHEN 'ARRAY' THEN error('INVALID_CAST_ARGUMENT: Cannot cast JSON array to varchar')
     ELSE CAST(j AS VARCHAR) END`,
  `trino_regexp_count(s, p) AS CAST(len(regexp_extract_all(s, p)) AS BIGINT)`,
  // NULL past the last field (DuckDB answers '').
  `trino_split_part(s, d, i) AS CASE WHEN i > len(string_split(s, d)) THEN NULL ELSE split_part(s, d, i) END`,
  `trino_trim_array(a, n) AS list_slice(a, 1, len(a) - n)`,
  // Three-valued: NULL when no element decides and some predicate value is NULL.
  `trino_any_match(t) AS CASE WHEN list_contains(t, true) THEN true WHEN len(list_filter(t, lambda x: x IS NULL)) > 0 THEN NULL ELSE false END`,
  `trino_all_match(t) AS CASE WHEN list_contains(t, false) THEN false WHEN len(list_filter(t, lambda x: x IS NULL)) > 0 THEN NULL ELSE true END`,
  `trino_none_match(t) AS CASE WHEN list_contains(t, true) THEN false WHEN len(list_filter(t, lambda x: x IS NULL)) > 0 THEN NULL ELSE true END`,
  // Java's Math.cbrt is exact on cubes; DuckDB's gives 3.0000000000000004 for 27.
  `trino_cbrt(x) AS CASE WHEN round(cbrt(x)) * round(cbrt(x)) * round(cbrt(x)) = x THEN round(cbrt(x)) ELSE cbrt(x) END`,
  `trino_sign(x) AS cast_to_type(sign(x), x)`,
  `trino_e() AS exp(1)`,
  `trino_nan() AS 'NaN'::DOUBLE`,
  `trino_infinity() AS 'Infinity'::DOUBLE`,
  `trino_element_at(a, i) AS a[i]`,
  `trino_array_position(a, x) AS CAST(coalesce(list_position(a, x), 0) AS BIGINT)`,
  // Exact for the counts a local lake holds; Trino's sketch is exact there too (its sparse form).
  `trino_approx_distinct(x) AS count(DISTINCT x)`,
  `trino_approx_percentile(x, p) AS quantile_disc(x, p)`,
  `trino_sequence(a, b, step := 1) AS generate_series(a, b, step)`,
  `trino_slice(a, start, n) AS CASE WHEN start > 0 THEN list_slice(a, start, start + n - 1) ELSE list_slice(a, len(a) + start + 1, len(a) + start + n) END`,
  `trino_round(x) AS round(x)`,
  `trino_if(c, a, b := NULL) AS CASE WHEN c THEN a ELSE b END`,
  // CAST(x AS varchar) as Trino prints it. Timestamps get their three fraction digits (and ' UTC'); a double's
  // text follows Java's Double.toString in Trino, which DuckDB's shortest form does not, so that is refused;
  // arrays, maps and rows cannot be cast to varchar in Trino. Only string operations on DuckDB's own text, so
  // every branch binds whatever the type.
  `trino_to_varchar(x) AS CASE
     WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN error('NOT_SUPPORTED: CAST of a double or real to varchar (Java''s number format) is not supported by the embedded Athena endpoint; use format() or round()')
     WHEN typeof(x) LIKE '%[]' OR typeof(x) LIKE 'STRUCT%' OR typeof(x) LIKE 'MAP%' THEN error('INVALID_CAST_ARGUMENT: Cannot cast ' || lower(typeof(x)) || ' to varchar')
     WHEN typeof(x) = 'JSON' THEN trino_json_to_varchar(x)
     WHEN typeof(x) = 'TIMESTAMP' THEN regexp_replace(CAST(x AS VARCHAR) || CASE WHEN CAST(x AS VARCHAR) LIKE '%.%' THEN '000' ELSE '.000' END, '(\\.\\d{3})\\d*$', '\\1')
     WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' THEN regexp_replace(regexp_replace(CAST(x AS VARCHAR), '\\+00$', '') || CASE WHEN CAST(x AS VARCHAR) LIKE '%.%' THEN '000' ELSE '.000' END, '(\\.\\d{3})\\d*$', '\\1') || ' UTC'
     ELSE CAST(x AS VARCHAR) END`,
  // Inside try() or TRY_CAST: what Trino fails to cast is NULL; what it casts in a way DuckDB cannot is still refused.
  `trino_to_varchar_try(x) AS CASE
     WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN error('NOT_SUPPORTED: CAST of a double or real to varchar (Java''s number format) is not supported by the embedded Athena endpoint; use format() or round()')
     WHEN typeof(x) LIKE '%[]' OR typeof(x) LIKE 'STRUCT%' OR typeof(x) LIKE 'MAP%' THEN NULL
     WHEN typeof(x) = 'JSON' THEN trino_json_to_varchar(x)
     WHEN typeof(x) = 'TIMESTAMP' THEN regexp_replace(CAST(x AS VARCHAR) || CASE WHEN CAST(x AS VARCHAR) LIKE '%.%' THEN '000' ELSE '.000' END, '(\\.\\d{3})\\d*$', '\\1')
     WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' THEN regexp_replace(regexp_replace(CAST(x AS VARCHAR), '\\+00$', '') || CASE WHEN CAST(x AS VARCHAR) LIKE '%.%' THEN '000' ELSE '.000' END, '(\\.\\d{3})\\d*$', '\\1') || ' UTC'
     ELSE CAST(x AS VARCHAR) END`,
  // Hive's spelling of a column type, for DESCRIBE and SHOW CREATE TABLE (one level of nesting).
  `hive_type(t) AS regexp_replace(regexp_replace(replace(replace(replace(lower(t), 'varchar', 'string'), 'integer', 'int'), 'blob', 'binary'),
     '^(.*)\\[\\]$', 'array<\\1>'), '^struct\\((.*)\\)$', 'struct<\\1>')`,
  // Trino's type names for the types whose name does not depend on what DuckDB cannot know (a varchar literal
  // is varchar(n) in Trino; nested types spell their elements).
  `trino_typeof(x) AS CASE typeof(x)
     WHEN 'BOOLEAN' THEN 'boolean' WHEN 'TINYINT' THEN 'tinyint' WHEN 'SMALLINT' THEN 'smallint' WHEN 'INTEGER' THEN 'integer'
     WHEN 'BIGINT' THEN 'bigint' WHEN 'HUGEINT' THEN 'bigint' WHEN 'FLOAT' THEN 'real' WHEN 'DOUBLE' THEN 'double' WHEN 'DATE' THEN 'date'
     WHEN 'TIMESTAMP' THEN 'timestamp(3)' WHEN 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp(3) with time zone' WHEN 'BLOB' THEN 'varbinary'
     WHEN 'TIME' THEN 'time(3)' WHEN 'JSON' THEN 'json' WHEN 'UUID' THEN 'uuid'
     ELSE CASE WHEN typeof(x) LIKE 'DECIMAL(%' THEN lower(replace(typeof(x), ',', ','))
       ELSE error('NOT_SUPPORTED: typeof of ' || typeof(x) || ' is not supported by the embedded Athena endpoint') END END`,
];

/** The statements that (re)create the macros. */
export function macroStatements(): string[] {
  return TRINO_MACROS.map((m) => `CREATE OR REPLACE MACRO main.${m}`);
}
