/**
 * One Athena statement → what the engine runs on DuckDB: the translated SQL, Athena's StatementType, and what
 * the result's columns are called and typed where DuckDB would say otherwise.
 *
 * Athena reads two languages: Trino's SQL for queries and DML, and Hive's DDL for the catalog statements
 * (SHOW TABLES/COLUMNS/DATABASES/CREATE TABLE, DESCRIBE, CREATE DATABASE, CREATE EXTERNAL TABLE, MSCK …), with
 * backquoted names. The catalog statements are read here by hand from the Trino lexer's tokens (they are a few
 * fixed shapes) and answered from DuckDB's catalog in Athena's layout; everything else goes through Trino's
 * grammar and the translator.
 */
import type { Token } from 'antlr4ng';
import * as g from './trino/grammar.cjs';
import { lexTokens, parseStatement, SqlTextError, syntaxError } from './parse';
import { parameterLiteral } from './literal';
import { identifierValue, notSupported, outputHints, sqlString, Translator } from './translate';
import { translateType, type TypeHint } from './types';

export type StatementType = 'DDL' | 'DML' | 'UTILITY';

export interface Plan {
  statementType: StatementType;
  /** DuckDB SQL to run. */
  sql: string;
  /** Per output column, Athena's type where DuckDB's would say otherwise. */
  hints: (TypeHint | undefined)[];
  /** CREATE TABLE … AS: the table whose rows are counted for UpdateCount. */
  countTable?: string;
}

const STRING: TypeHint = { type: 'string', precision: 0 };
const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

// ---- Hive DDL --------------------------------------------------------------------------------------------

class Tokens {
  private i = 0;
  constructor(readonly list: Token[]) {}
  peek(k = 0): Token | undefined {
    return this.list[this.i + k];
  }
  word(k = 0): string {
    const t = this.peek(k);
    return t ? (t.text ?? '').toUpperCase() : '';
  }
  accept(...words: string[]): boolean {
    if (words.every((w, k) => this.word(k) === w)) {
      this.i += words.length;
      return true;
    }
    return false;
  }
  expect(what: string, ok: boolean): void {
    if (!ok) throw syntaxError(this.peek() ?? this.list[this.list.length - 1], `mismatched input '${this.peek()?.text ?? '<EOF>'}'. Expecting: ${what}`);
  }
  /** A name: plain, "double" or `back` quoted. */
  name(): string {
    const t = this.peek();
    const text = t?.text ?? '';
    this.expect('a name', t !== undefined && /^([A-Za-z_][\w]*|"(?:[^"]|"")*"|`(?:[^`]|``)*`)$/.test(text));
    this.i++;
    if (text.startsWith('"')) return text.slice(1, -1).replace(/""/g, '"');
    if (text.startsWith('`')) return text.slice(1, -1).replace(/``/g, '`');
    return text.toLowerCase();
  }
  string(): string {
    const t = this.peek();
    this.expect('a string', t !== undefined && /^'.*'$/s.test(t.text ?? ''));
    this.i++;
    return t!.text!.slice(1, -1).replace(/''/g, "'");
  }
  end(): void {
    if (this.word() === ';') this.i++;
    this.expect('<EOF>', this.i >= this.list.length);
  }
  done(): boolean {
    return this.i >= this.list.length || (this.word() === ';' && this.i === this.list.length - 1);
  }
}

/** `db.tbl` or `tbl` [then `IN|FROM db`], with the session database as default. */
function tableName(t: Tokens, database: string): { db: string; table: string } {
  let first = t.name();
  let db = database;
  if (t.accept('.')) {
    db = first;
    first = t.name();
  }
  return { db, table: first };
}

/** Hive's `*` / `|` pattern as a regular expression matched on the whole name. */
const hivePattern = (p: string): string => `^(${p.split('|').map((s) => s.replace(/[.+?^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*')).join('|')})$`;

const tableExists = (db: string, table: string): string =>
  `EXISTS (SELECT 1 FROM information_schema.tables WHERE table_catalog = current_database() AND lower(table_schema) = lower(${sqlString(db)}) AND lower(table_name) = lower(${sqlString(table)}))`;

const tableNotFound = (db: string, table: string): string =>
  `error(${sqlString(`TABLE_NOT_FOUND: line 1:1: Table awsdatacatalog.${db}.${table} does not exist`)})`;

const columnsOf = (db: string, table: string): string =>
  `SELECT column_name, data_type, ordinal_position FROM information_schema.columns WHERE table_catalog = current_database() AND lower(table_schema) = lower(${sqlString(db)}) AND lower(table_name) = lower(${sqlString(table)})`;

/** One query over a table's columns, or TABLE_NOT_FOUND when there is no such table. */
const overColumns = (db: string, table: string, select: string): string =>
  `SELECT * FROM (${select}) UNION ALL SELECT ${tableNotFound(db, table)} WHERE NOT ${tableExists(db, table)}`;

const SYSTEM_SCHEMAS = "('main', 'information_schema', 'pg_catalog')";

/** Hive pads each field of its DDL output to 20 characters (left-aligned, never cut), as Athena prints it. */
const hivePad = (sql: string): string => `(${sql} || repeat(' ', greatest(0, 20 - length(${sql}))))`;

function hiveStatement(sql: string, database: string): Plan | undefined {
  let list: Token[];
  try {
    list = lexTokens(sql);
  } catch {
    return undefined;
  }
  const t = new Tokens(list);
  const w = [t.word(0), t.word(1), t.word(2)];
  if (w[0] === 'SHOW' && (w[1] === 'DATABASES' || w[1] === 'SCHEMAS')) {
    t.accept('SHOW');
    t.accept(w[1]);
    let where = '';
    if (t.accept('LIKE') || !t.done()) where = ` AND regexp_matches(schema_name, ${sqlString(hivePattern(t.string()))})`;
    t.end();
    return {
      statementType: 'UTILITY',
      sql: `SELECT schema_name AS database_name FROM information_schema.schemata WHERE catalog_name = current_database() AND schema_name NOT IN ${SYSTEM_SCHEMAS}${where} ORDER BY 1`,
      hints: [STRING],
    };
  }
  if (w[0] === 'SHOW' && w[1] === 'TABLES') {
    t.accept('SHOW', 'TABLES');
    let db = database;
    if (t.accept('IN') || t.accept('FROM')) db = t.name();
    let where = '';
    if (!t.done()) where = ` AND regexp_matches(table_name, ${sqlString(hivePattern(t.string()))})`;
    t.end();
    return {
      statementType: 'UTILITY',
      sql: `SELECT table_name AS tab_name FROM information_schema.tables WHERE table_catalog = current_database() AND lower(table_schema) = lower(${sqlString(db)})${where} ORDER BY 1`,
      hints: [STRING],
    };
  }
  if (w[0] === 'SHOW' && w[1] === 'COLUMNS') {
    t.accept('SHOW', 'COLUMNS');
    t.expect('FROM, IN', t.accept('IN') || t.accept('FROM'));
    let { db, table } = tableName(t, database);
    if (t.accept('IN') || t.accept('FROM')) db = t.name();
    t.end();
    return {
      statementType: 'UTILITY',
      sql: overColumns(db, table, `SELECT ${hivePad('column_name')} AS field FROM (${columnsOf(db, table)}) ORDER BY ordinal_position`),
      hints: [STRING],
    };
  }
  if (w[0] === 'DESCRIBE' || w[0] === 'DESC') {
    t.accept(w[0]);
    if (t.accept('FORMATTED') || t.accept('EXTENDED')) throw notSupported('DESCRIBE FORMATTED/EXTENDED');
    const { db, table } = tableName(t, database);
    if (!t.done()) throw notSupported('DESCRIBE of a column or partition');
    t.end();
    return {
      statementType: 'UTILITY',
      // name, type and comment (local tables have none), each padded, a tab apart.
      sql: overColumns(
        db,
        table,
        `SELECT ${hivePad('column_name')} || '\t' || ${hivePad('hive_type(data_type)')} || '\t' || repeat(' ', 20) AS col_name FROM (${columnsOf(db, table)}) ORDER BY ordinal_position`,
      ),
      hints: [STRING],
    };
  }
  if (w[0] === 'SHOW' && w[1] === 'CREATE' && w[2] === 'TABLE') {
    t.accept('SHOW', 'CREATE', 'TABLE');
    const { db, table } = tableName(t, database);
    t.end();
    const cols = `SELECT '  \`' || column_name || '\` ' || hive_type(data_type) || CASE WHEN ordinal_position < max(ordinal_position) OVER () THEN ', ' ELSE ')' END AS line, ordinal_position AS k FROM (${columnsOf(db, table)})`;
    return {
      statementType: 'UTILITY',
      sql: overColumns(
        db,
        table,
        `SELECT line AS createtab_stmt FROM (SELECT ${sqlString(`CREATE TABLE \`${db}\`.\`${table}\`(`)} AS line, 0 AS k UNION ALL ${cols}) ORDER BY k`,
      ),
      hints: [STRING],
    };
  }
  if (w[0] === 'CREATE' && (w[1] === 'DATABASE' || w[1] === 'SCHEMA')) {
    t.accept('CREATE', w[1]);
    const ifNotExists = t.accept('IF', 'NOT', 'EXISTS');
    const name = t.name();
    if (t.accept('COMMENT')) t.string();
    if (t.accept('LOCATION')) t.string();
    if (t.accept('WITH', 'DBPROPERTIES')) {
      t.expect('(', t.accept('('));
      while (!t.accept(')')) {
        t.string();
        t.expect('=', t.accept('='));
        t.string();
        t.accept(',');
        t.expect(')', !t.done());
      }
    }
    t.end();
    return { statementType: 'DDL', sql: `CREATE SCHEMA ${ifNotExists ? 'IF NOT EXISTS ' : ''}${quote(name)}`, hints: [] };
  }
  if (w[0] === 'DROP' && (w[1] === 'DATABASE' || w[1] === 'SCHEMA')) {
    t.accept('DROP', w[1]);
    const ifExists = t.accept('IF', 'EXISTS');
    const name = t.name();
    const cascade = t.accept('CASCADE');
    if (!cascade) t.accept('RESTRICT');
    t.end();
    return { statementType: 'DDL', sql: `DROP SCHEMA ${ifExists ? 'IF EXISTS ' : ''}${quote(name)}${cascade ? ' CASCADE' : ''}`, hints: [] };
  }
  const hiveOnly: [string[], string][] = [
    [['CREATE', 'EXTERNAL'], 'CREATE EXTERNAL TABLE (declare local tables in embedded.tables)'],
    [['MSCK'], 'MSCK REPAIR TABLE'],
    [['SHOW', 'PARTITIONS'], 'SHOW PARTITIONS'],
    [['SHOW', 'TBLPROPERTIES'], 'SHOW TBLPROPERTIES'],
    [['SHOW', 'VIEWS'], 'SHOW VIEWS'],
    [['ALTER', 'DATABASE'], 'ALTER DATABASE'],
    [['ALTER', 'SCHEMA'], 'ALTER SCHEMA'],
  ];
  for (const [words, what] of hiveOnly) if (words.every((x, k) => w[k] === x)) throw notSupported(what);
  if (w[0] === 'ALTER' && w[1] === 'TABLE' && /\b(ADD|DROP)\s+(IF\s+(NOT\s+)?EXISTS\s+)?PARTITION\b|\bSET\s+(LOCATION|TBLPROPERTIES)\b|\bREPLACE\s+COLUMNS\b/i.test(sql)) {
    throw notSupported('ALTER TABLE … PARTITION/LOCATION/TBLPROPERTIES/REPLACE COLUMNS');
  }
  return undefined;
}

// ---- Trino statements --------------------------------------------------------------------------------------

/** The name of a kind of statement, for refusals (`ExplainContext` → `EXPLAIN`). */
function statementName(s: g.StatementContext): string {
  return s.constructor.name.replace(/Context$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

function trinoStatement(stmt: g.StatementContext, tr: Translator): Plan {
  if (stmt instanceof g.StatementDefaultContext) {
    const query = stmt.rootQuery().query();
    if (stmt.rootQuery().withFunction()) throw notSupported('WITH FUNCTION');
    if (!(query instanceof g.QueryStatementContext)) throw notSupported('This query form');
    return { statementType: 'DML', sql: tr.node(query), hints: outputHints(query) };
  }
  if (stmt instanceof g.InsertIntoContext) return { statementType: 'DML', sql: tr.children(stmt), hints: [] };
  if (stmt instanceof g.CreateTableAsSelectContext) {
    if (stmt.KW_REPLACE()) throw notSupported('CREATE OR REPLACE TABLE');
    const name = tr.node(stmt.tableNameCreate());
    let query = tr.node(g.RootQueryContext.prototype.query.call(stmt.rootQuery()!));
    const cols = stmt.columnListCreate();
    if (cols) query = `SELECT * FROM (${query}) AS _t(${cols.columnNameCreate().map((c) => tr.node(c)).join(', ')})`;
    if (stmt.KW_NO()) query = `SELECT * FROM (${query}) LIMIT 0`;
    return {
      statementType: 'DML',
      sql: `CREATE TABLE ${stmt.KW_IF() ? 'IF NOT EXISTS ' : ''}${name} AS ${query}`,
      hints: [],
      countTable: stmt.KW_IF() ? undefined : name,
    };
  }
  if (stmt instanceof g.CreateTableContext) {
    if (stmt.KW_REPLACE()) throw notSupported('CREATE OR REPLACE TABLE');
    const columns = stmt.tableElement().map((e) => {
      const def = e.columnDefinition();
      if (!def) throw notSupported('CREATE TABLE … LIKE');
      return `${tr.node(def.columnNameCreate())} ${translateType(def.type(), tr).sql}${def.KW_NOT() ? ' NOT NULL' : ''}`;
    });
    return {
      statementType: 'DDL',
      sql: `CREATE TABLE ${stmt.KW_IF() ? 'IF NOT EXISTS ' : ''}${tr.node(stmt.tableNameCreate())} (${columns.join(', ')})`,
      hints: [],
    };
  }
  if (stmt instanceof g.CreateViewContext) {
    return {
      statementType: 'DDL',
      sql: `CREATE ${stmt.KW_REPLACE() ? 'OR REPLACE ' : ''}VIEW ${tr.node(stmt.viewNameCreate())} AS ${tr.node(stmt.rootQuery())}`,
      hints: [],
    };
  }
  if (stmt instanceof g.DropTableContext || stmt instanceof g.DropViewContext || stmt instanceof g.DropSchemaContext) {
    return { statementType: 'DDL', sql: tr.children(stmt), hints: [] };
  }
  if (stmt instanceof g.CreateSchemaContext) {
    return { statementType: 'DDL', sql: `CREATE SCHEMA ${stmt.KW_IF() ? 'IF NOT EXISTS ' : ''}${tr.node(stmt.schemaNameCreate())}`, hints: [] };
  }
  if (stmt instanceof g.DeleteContext || stmt instanceof g.UpdateContext) return { statementType: 'DML', sql: tr.children(stmt), hints: [] };
  throw notSupported(`${statementName(stmt)} statements`, true);
}

/**
 * Plans one statement. Throws SqlTextError: SYNTAX_ERROR for text Athena would refuse at StartQueryExecution;
 * other codes (NOT_SUPPORTED, INVALID_PARAMETER_USAGE …) for a query Athena would accept and then fail.
 */
export function planStatement(sql: string, parameters: readonly string[], database: string): Plan {
  const hive = hiveStatement(sql, database);
  if (hive) {
    if (parameters.length > 0) {
      throw new SqlTextError(`line 1:1: Incorrect number of parameters: expected 0 but found ${parameters.length}`, 'INVALID_PARAMETER_USAGE');
    }
    return hive;
  }
  const stmt = parseStatement(sql).tree.statement();
  let placeholders = 0;
  const literals: string[] = [];
  const tr = new Translator((index) => {
    placeholders = Math.max(placeholders, index + 1);
    if (index >= parameters.length) return 'NULL';
    literals[index] ??= parameterLiteral(parameters[index], index);
    return literals[index];
  });
  const plan = trinoStatement(stmt, tr);
  if (placeholders !== parameters.length) {
    throw new SqlTextError(`line 1:1: Incorrect number of parameters: expected ${placeholders} but found ${parameters.length}`, 'INVALID_PARAMETER_USAGE');
  }
  return plan;
}

/** Athena's StatementType of a text, for records whose plan failed (a best guess from its first word). */
export function guessStatementType(sql: string): StatementType {
  const first = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
  if (['SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN'].includes(first)) return 'UTILITY';
  if (['CREATE', 'DROP', 'ALTER', 'MSCK'].includes(first)) return /\bAS\s+(SELECT|WITH|\()/i.test(sql) && !/\bVIEW\b/i.test(sql) ? 'DML' : 'DDL';
  return 'DML';
}

export { identifierValue };
