/** Trino type syntax → DuckDB types (`array(integer)` → `INTEGER[]`, `row(a integer)` → `STRUCT("a" INTEGER)`). */
import * as g from './trino/grammar.cjs';
import { SqlTextError } from './parse';
import type { Translator } from './translate';
import { identifierValue, notSupported } from './translate';

/** What Athena reports for a column where DuckDB's own type would say something else. */
export interface TypeHint {
  type: 'unknown' | 'char' | 'timestamp' | 'timestamp with time zone' | 'string';
  precision: number;
}

export interface DuckType {
  sql: string;
  hint?: TypeHint;
  /** For a row type: its fields in order (names of anonymous fields are field0, field1 …). */
  fields?: { name: string; sql: string }[];
}

const SIMPLE: Record<string, string> = {
  boolean: 'BOOLEAN',
  tinyint: 'TINYINT',
  smallint: 'SMALLINT',
  integer: 'INTEGER',
  int: 'INTEGER',
  bigint: 'BIGINT',
  real: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  varbinary: 'BLOB',
  json: 'JSON',
  uuid: 'UUID',
  varchar: 'VARCHAR',
  string: 'VARCHAR',
};

const typeError = (ctx: g.TypeContext, what: string): SqlTextError =>
  new SqlTextError(`line ${ctx.start!.line}:${ctx.start!.column + 1}: Unknown type: ${what}`, 'TYPE_NOT_FOUND');

function intParam(ctx: g.TypeContext, p: g.TypeParameterContext | undefined, fallback?: number): number {
  if (!p) {
    if (fallback === undefined) throw typeError(ctx, ctx.getText().toLowerCase());
    return fallback;
  }
  const v = p.INTEGER_VALUE();
  if (!v) throw typeError(ctx, ctx.getText().toLowerCase());
  return Number(v.getText());
}

export function translateType(ctx: g.TypeContext, tr: Translator): DuckType {
  if (ctx instanceof g.RowTypeContext) {
    const fields = ctx.rowField().map((f, i) => {
      const id = f.identifier();
      return { name: id ? identifierValue(id) : `field${i}`, sql: translateType(f.type(), tr).sql };
    });
    return { sql: `STRUCT(${fields.map((f) => `"${f.name.replace(/"/g, '""')}" ${f.sql}`).join(', ')})`, fields };
  }
  if (ctx instanceof g.IntervalTypeContext) return { sql: 'INTERVAL' };
  if (ctx instanceof g.DateTimeTypeContext) {
    const precision = ctx._precision ? intParam(ctx, ctx._precision) : 3;
    if (precision > 6) throw notSupported(`timestamp(${precision})`);
    const zoned = ctx.KW_WITH() !== null;
    return zoned
      ? { sql: 'TIMESTAMPTZ', hint: precision === 3 ? undefined : { type: 'timestamp with time zone', precision } }
      : { sql: 'TIMESTAMP', hint: precision === 3 ? undefined : { type: 'timestamp', precision } };
  }
  if (ctx instanceof g.TimeTypeContext) {
    if (ctx.KW_WITH()) throw notSupported('time with time zone');
    return { sql: 'TIME' };
  }
  if (ctx instanceof g.DoublePrecisionTypeContext) return { sql: 'DOUBLE' };
  if (ctx instanceof g.LegacyArrayTypeContext) return { sql: `${translateType(ctx.type(), tr).sql}[]` };
  if (ctx instanceof g.ArrayTypeContext) return { sql: `${translateType(ctx.type(), tr).sql}[]` };
  if (ctx instanceof g.LegacyMapTypeContext) {
    return { sql: `MAP(${translateType(ctx._keyType!, tr).sql}, ${translateType(ctx._valueType!, tr).sql})` };
  }
  if (ctx instanceof g.GenericTypeContext) {
    const name = identifierValue(ctx.identifier()).toLowerCase();
    const params = ctx.typeParameter();
    const typeArg = (i: number): string => {
      const t = params[i]?.type();
      if (!t) throw typeError(ctx, name);
      return translateType(t, tr).sql;
    };
    switch (name) {
      case 'array':
        if (params.length !== 1) throw typeError(ctx, name);
        return { sql: `${typeArg(0)}[]` };
      case 'map':
        if (params.length !== 2) throw typeError(ctx, name);
        return { sql: `MAP(${typeArg(0)}, ${typeArg(1)})` };
      case 'decimal':
      case 'numeric': {
        const p = intParam(ctx, params[0], 38);
        const s = intParam(ctx, params[1], 0);
        if (p < 1 || p > 38 || s > p) throw new SqlTextError(`line ${ctx.start!.line}:${ctx.start!.column + 1}: DECIMAL precision must be in range [1, 38] and scale at most the precision`, 'INVALID_FUNCTION_ARGUMENT');
        return { sql: `DECIMAL(${p},${s})` };
      }
      case 'char': {
        const n = intParam(ctx, params[0], 1);
        return { sql: 'VARCHAR', hint: { type: 'char', precision: n } };
      }
      case 'varchar':
        intParam(ctx, params[0], 0);
        return { sql: 'VARCHAR' };
      default: {
        const simple = SIMPLE[name];
        if (simple === undefined || params.length > 0) {
          if (['ipaddress', 'ipprefix', 'hyperloglog', 'p4hyperloglog', 'qdigest', 'tdigest', 'setdigest', 'geometry', 'sphericalgeography'].includes(name)) {
            throw notSupported(`The type ${name}`);
          }
          throw typeError(ctx, name);
        }
        return { sql: simple };
      }
    }
  }
  throw typeError(ctx, ctx.getText().toLowerCase());
}
