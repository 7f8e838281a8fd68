import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { CodedError, ErrorCode } from '../errors';
import {
  ColumnTypeHint,
  QueryExecution,
  ResultColumn,
  ResultRow,
  RowConnection,
  RowsArgs,
  RunQueryArgs,
  RunSqlArgs,
} from '../schema/query-execution.type';
import type { AthenaService, Execution } from '../services/athena/athena.service';
import type { TypedValue } from '../services/athena/decode';
import type { QueriesService } from '../services/athena/queries.service';
import type { RowRef } from '../services/athena/paging';
import { Uses } from './uses';

function hintsOf(types: ColumnTypeHint[] | undefined | null): Record<string, string> | undefined {
  return types && types.length > 0 ? Object.fromEntries(types.map((t) => [t.column, t.type])) : undefined;
}

/**
 * An edge and its node in one object (the node is the edge itself): a page is a thousand rows, so a row
 * costs one small object here, and its cursor, values object and cells are built only if the client
 * selected them; most clients want either `values` or `cells`, rarely both, often no cursors.
 */
class LazyRowEdge implements ResultRow {
  constructor(private readonly row: RowRef) {}

  get cursor(): string {
    return this.row.cursor();
  }

  get node(): ResultRow {
    return this;
  }

  get values(): Record<string, TypedValue> {
    const { columns, values } = this.row;
    const out: Record<string, TypedValue> = {};
    for (let i = 0; i < columns.length; i++) out[columns[i]!.key] = values[i]!;
    return out;
  }

  get cells() {
    const { columns, values, raw } = this.row;
    return columns.map((c, i) => ({ column: c.key, type: c.type, raw: raw[i]!, value: values[i]! }));
  }
}

/** NOT_FOUND is an answer (null) for a nullable lookup; any other failure stays an error. */
function nullIfNotFound<T>(value: T | Error): T | null {
  if (value instanceof CodedError && value.code === ErrorCode.NOT_FOUND) return null;
  if (value instanceof Error) throw value;
  return value;
}

@Uses('queries', 'athena')
@Resolver(() => QueryExecution)
export class QueryExecutionResolver {
  constructor(
    private readonly queriesService: QueriesService,
    private readonly athenaService: AthenaService,
  ) {}

  @Query(() => QueryExecution, { nullable: true, description: 'Any Athena execution by id; null when Athena does not know it.' })
  async queryExecution(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Execution | null> {
    return nullIfNotFound(await ctx.loaders.execution.load(id).catch((e: Error) => e));
  }

  @Query(() => [QueryExecution], {
    nullable: 'items',
    description: 'Many executions at once, fetched in batches of 50 (Athena\'s limit); null where an id is unknown.',
  })
  async queryExecutions(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<(Execution | null)[]> {
    return (await ctx.loaders.execution.loadMany(ids)).map(nullIfNotFound);
  }

  @FieldResolver(() => [ResultColumn], { nullable: true, description: 'The result columns; null until the query has SUCCEEDED.' })
  columns(@Root() execution: Execution) {
    return this.queriesService.columns(execution);
  }

  @FieldResolver(() => RowConnection, {
    description: 'Typed rows. Fetches only the Athena pages the asked-for rows sit on (1,000 rows a page).',
  })
  async rows(@Root() execution: Execution, @Args() { first, after, types }: RowsArgs): Promise<RowConnection> {
    const page = await this.queriesService.rows(execution, first, after, hintsOf(types));
    return {
      columns: [...page.columns],
      edges: page.rows.map((row) => new LazyRowEdge(row)),
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: page.rows[0]?.cursor() ?? null,
        endCursor: page.rows.at(-1)?.cursor() ?? null,
      },
    };
  }

  @Mutation(() => QueryExecution, { description: 'Runs a named query from the config file.' })
  runQuery(@Args() { name, parameters, wait, clientRequestToken }: RunQueryArgs): Promise<Execution> {
    return this.queriesService.runNamed(name, { parameters: parameters ?? [], wait, clientRequestToken: clientRequestToken ?? undefined });
  }

  @Mutation(() => QueryExecution, { description: 'Runs raw SQL; FORBIDDEN unless GAPWATCH_ALLOW_RAW_SQL=true.' })
  runSql(@Args() { sql, parameters, wait }: RunSqlArgs): Promise<Execution> {
    return this.queriesService.runSql(sql, { parameters: parameters ?? [], wait });
  }

  @Mutation(() => QueryExecution, { description: 'Asks Athena to stop a query; it ends CANCELLED.' })
  async stopQuery(@Arg('id', () => ID) id: string): Promise<Execution> {
    await this.athenaService.stop(id);
    return this.athenaService.get(id);
  }
}
