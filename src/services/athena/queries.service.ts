import { randomUUID } from 'node:crypto';
import { badInput, CodedError, ErrorCode } from '../../errors';
import type { AthenaService, Execution } from './athena.service';
import type { DecodedColumn } from './decode';
import { parameterProblem } from './parameters';
import { rowsPage, type RowsPage } from './paging';
import type { ResultPage } from './result-pages';
import type { NamedQuery } from './settings';
import { AthenaTypeError } from './types';

export interface RunOptions {
  parameters?: readonly string[];
  /** Wait for the query to end (default); false returns as soon as Athena has accepted it. */
  wait?: boolean;
  /** Idempotency: the same token within Athena's window returns the same execution instead of a new one. */
  clientRequestToken?: string;
}

/**
 * Queries as clients see them: named queries from the config file (raw SQL only where a trusted deployment
 * allows it), and typed, paged results of any execution.
 */
export class QueriesService {
  private readonly named: ReadonlyMap<string, NamedQuery>;

  constructor(
    readonly athena: AthenaService,
    namedQueries: readonly NamedQuery[],
    private readonly allowRawSql: boolean,
  ) {
    this.named = new Map(namedQueries.map((q) => [q.name, q]));
  }

  namedQueries(): NamedQuery[] {
    return [...this.named.values()];
  }

  namedQuery(name: string): NamedQuery | undefined {
    return this.named.get(name);
  }

  async runNamed(name: string, options: RunOptions = {}): Promise<Execution> {
    const query = this.named.get(name);
    if (!query) {
      const known = [...this.named.keys()];
      throw new CodedError(ErrorCode.NOT_FOUND, `name: no named query '${name}'; configured: ${known.length ? known.join(', ') : 'none'}`, {
        argument: 'name',
      });
    }
    return this.run(query.sql, options);
  }

  async runSql(sql: string, options: RunOptions = {}): Promise<Execution> {
    if (!this.allowRawSql) {
      throw new CodedError(
        ErrorCode.FORBIDDEN,
        'runSql is switched off in this deployment; run a named query, or set GAPWATCH_ALLOW_RAW_SQL=true where clients are trusted',
      );
    }
    if (sql.trim() === '') throw badInput('sql', 'expected a SQL statement, got an empty string');
    return this.run(sql, options);
  }

  private async run(sql: string, options: RunOptions): Promise<Execution> {
    const parameters = options.parameters ?? [];
    const problem = parameterProblem(sql, parameters);
    if (problem) throw badInput(problem.index === undefined ? 'parameters' : `parameters[${problem.index}]`, problem.message);
    const token = options.clientRequestToken ?? randomUUID();
    if (token.length < 32 || token.length > 128) {
      throw badInput('clientRequestToken', `expected 32 to 128 characters (Athena's rule), got ${token.length}`);
    }
    const id = await this.athena.start({ sql, parameters, clientRequestToken: token });
    return options.wait === false ? this.athena.get(id) : this.athena.wait(id);
  }

  /** Why results of this execution cannot be read, as the coded error a client gets; undefined when they can. */
  private resultsError(e: Execution): CodedError | undefined {
    switch (e.state) {
      case 'SUCCEEDED':
        return undefined;
      case 'FAILED':
        return new CodedError(ErrorCode.QUERY_FAILED, `query ${e.id} failed: ${e.stateChangeReason ?? 'no reason given'}`, {
          queryExecutionId: e.id,
          reason: e.stateChangeReason,
        });
      case 'CANCELLED':
        return new CodedError(ErrorCode.QUERY_CANCELLED, `query ${e.id} was cancelled`, { queryExecutionId: e.id, reason: e.stateChangeReason });
      case 'QUEUED':
      case 'RUNNING':
        return new CodedError(ErrorCode.QUERY_NOT_READY, `query ${e.id} is still ${e.state}; ask again when it has SUCCEEDED`, {
          queryExecutionId: e.id,
          state: e.state,
        });
    }
  }

  async columns(e: Execution): Promise<readonly DecodedColumn[] | null> {
    if (e.state !== 'SUCCEEDED') return null;
    return (await this.athena.page(e.id, null)).columns;
  }

  /**
   * The named query an execution ran, known by its SQL: Athena keeps the statement with its `?`
   * placeholders (parameters travel apart), so this holds for any execution, whoever started it and
   * however long ago.
   */
  private namedQueryOf(e: Execution): NamedQuery | undefined {
    for (const q of this.named.values()) if (q.sql === e.sql) return q;
    return undefined;
  }

  /**
   * Every row of a result, a page at a time (GET /results), decoded as `rows` decodes them (a named
   * query's configured `types` included). Refused as `rows` refuses a result that cannot be read.
   */
  async stream(e: Execution): Promise<AsyncGenerator<ResultPage>> {
    const problem = this.resultsError(e);
    if (problem) throw problem;
    return this.athena.stream(e.id, this.namedQueryOf(e)?.types);
  }

  /**
   * Typed rows. A named query's configured `types` decode its nested columns; the client's `types` add to
   * them and win per column. A client's hint that does not fit is BAD_USER_INPUT on `types`; a configured
   * one is the deployment's mistake, so it fails as an internal error, its reason in the server's log.
   */
  async rows(e: Execution, first: number, after: string | null | undefined, hints?: Readonly<Record<string, string>>): Promise<RowsPage> {
    const problem = this.resultsError(e);
    if (problem) throw problem;
    const named = this.namedQueryOf(e);
    const merged = named?.types ? { ...named.types, ...hints } : hints;
    try {
      return await rowsPage(this.athena, e.id, first, after, merged);
    } catch (err) {
      if (err instanceof AthenaTypeError) {
        if (named?.types && err.target !== undefined && !(hints && Object.hasOwn(hints, err.target))) {
          throw new Error(`namedQueries (${named.name}).types.${err.target}: ${err.message}`);
        }
        throw badInput('types', err.message);
      }
      throw err;
    }
  }
}
