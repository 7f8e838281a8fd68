import { GraphQLJSON, GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Execution } from '../services/athena/athena.service';
import type { DecodedColumn, TypedValue } from '../services/athena/decode';

export enum QueryState {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(QueryState, { name: 'QueryState', description: "An Athena query's state, as Athena reports it." });

@ObjectType({ description: 'A result column, from Athena\'s ColumnInfo.' })
export class ResultColumn {
  @Field(() => Int, { description: 'Position in the row, from 0.' })
  index!: number;

  @Field({ description: 'The name as Athena reported it (it may repeat or be empty).' })
  name!: string;

  @Field({ description: 'The unique key this column has in `ResultRow.values` (see docs/typed-rows.md).' })
  key!: string;

  @Field({ description: 'Athena type name: bigint, timestamp, decimal, array, …' })
  type!: string;

  @Field(() => Int, { nullable: true })
  precision?: number;

  @Field(() => Int, { nullable: true })
  scale?: number;

  @Field({ description: 'NOT_NULL, NULLABLE or UNKNOWN (Athena mostly says UNKNOWN).' })
  nullable!: string;

  @Field(() => String, { nullable: true, description: 'The element-type hint used to decode a nested column.' })
  hint?: string;
}

@ObjectType({ description: 'One cell: the text Athena sent and the typed value decoded from it.' })
export class Cell {
  @Field({ description: 'The column key.' })
  column!: string;

  @Field()
  type!: string;

  @Field(() => String, { nullable: true, description: 'Exactly what Athena sent; null for SQL NULL (not the empty string).' })
  raw!: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'The typed value; a cell that does not fit its type is { "$invalid": raw, "reason": … }.',
  })
  value!: TypedValue;
}

@ObjectType({ description: 'One result row.' })
export class ResultRow {
  @Field(() => GraphQLJSONObject, { description: 'Column key → typed JSON value (docs/typed-rows.md has the mapping).' })
  values!: Record<string, TypedValue>;

  @Field(() => [Cell])
  cells!: Cell[];
}

@ObjectType()
export class RowEdge {
  @Field()
  cursor!: string;

  @Field(() => ResultRow)
  node!: ResultRow;
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: 'Rows of a result, Relay style: pass `pageInfo.endCursor` as `after` for the next rows.' })
export class RowConnection {
  @Field(() => [RowEdge])
  edges!: RowEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => [ResultColumn])
  columns!: DecodedColumn[];
}

@InputType({ description: 'How to decode a nested column, whose element types Athena does not report.' })
export class ColumnTypeHint {
  @Field({ description: 'Column name or key.' })
  column!: string;

  @Field({ description: 'A full Athena type, e.g. array(integer), map(varchar, bigint), row(x integer, y varchar).' })
  type!: string;
}

@ObjectType({ description: 'An Athena query execution: any id, including ones gapwatch did not start.' })
export class QueryExecution implements Omit<Execution, 'errorType' | 'outputLocation' | 'resultEncryption'> {
  @Field(() => ID)
  id!: string;

  @Field(() => QueryState)
  state!: Execution['state'];

  @Field(() => String, { nullable: true, description: "Athena's reason for FAILED or CANCELLED." })
  stateChangeReason!: string | null;

  @Field()
  sql!: string;

  @Field(() => String, { nullable: true, description: 'DDL, DML or UTILITY.' })
  statementType!: string | null;

  @Field(() => String, { nullable: true })
  database!: string | null;

  @Field(() => String, { nullable: true })
  workgroup!: string | null;

  @Field(() => Date, { nullable: true })
  submittedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  completedAt!: Date | null;

  @Field(() => GraphQLSafeInt, { nullable: true })
  dataScannedBytes!: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true })
  engineExecutionTimeMs!: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true })
  totalExecutionTimeMs!: number | null;
}

@ArgsType()
export class RowsArgs {
  @Field(() => Int, { defaultValue: 100, description: 'At most 1000.' })
  first!: number;

  @Field(() => String, { nullable: true, description: 'A cursor from a previous page: its pageInfo.endCursor or an edge cursor.' })
  after?: string | null;

  @Field(() => [ColumnTypeHint], { nullable: true, description: 'Element types of nested columns (Athena does not report them).' })
  types?: ColumnTypeHint[] | null;
}

@ArgsType()
export class RunQueryArgs {
  @Field({ description: 'A name from the namedQueries section of the config file.' })
  name!: string;

  @Field(() => [String], {
    nullable: true,
    description: "Bound to the `?` placeholders in order, each one SQL literal as Athena takes them: 'AMZN', 42, TIMESTAMP '2020-06-18 00:00:00'.",
  })
  parameters?: string[] | null;

  @Field({ defaultValue: true, description: 'Wait until the query ends (up to athena.waitTimeout); false returns at once.' })
  wait!: boolean;

  @Field(() => String, { nullable: true, description: 'Idempotency token, 32–128 characters: a retry with the same token gets the same execution.' })
  clientRequestToken?: string | null;
}

@ArgsType()
export class RunSqlArgs {
  @Field()
  sql!: string;

  @Field(() => [String], { nullable: true, description: 'As for runQuery.' })
  parameters?: string[] | null;

  @Field({ defaultValue: true })
  wait!: boolean;
}
