/**
 * The Athena operations, request → response shapes exactly as the Athena API reference and the SDK's
 * model define them (member names, epoch-second timestamps, error wording).
 */
import { AwsServiceError, optionalInt, optionalString, requireString, type ServiceHandler } from '../protocol';
import { ENGINE_VERSION, type AthenaEngine } from './engine';
import { DamagedStore, type ExecutionRecord } from './store';

const invalid = (message: string): AwsServiceError =>
  new AwsServiceError('InvalidRequestException', message, 400, { AthenaErrorCode: 'INVALID_INPUT' });

const notFound = (id: string): AwsServiceError => invalid(`QueryExecution ${id} was not found`);

/**
 * An S3 location results can be written to and served from (result-objects.ts): `s3://`, a bucket name as
 * S3 allows them, then any key prefix without control characters.
 */
const S3_LOCATION = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/[^\u0000-\u001f\u007f]*)?$/;

/** Stored data that is not what was written: the server's fault, so a 500 (the details are also logged). */
const damaged = (message: string): AwsServiceError => new AwsServiceError('InternalServerException', message, 500);

/** Epoch seconds with millisecond fraction: the SDK reads these JSON numbers as Dates. */
const epochSeconds = (ms: number): number => ms / 1000;

export function queryExecutionShape(r: ExecutionRecord): Record<string, unknown> {
  const status: Record<string, unknown> = { State: r.state, SubmissionDateTime: epochSeconds(r.submittedAt) };
  if (r.completedAt !== undefined) status.CompletionDateTime = epochSeconds(r.completedAt);
  if (r.stateChangeReason !== undefined) status.StateChangeReason = r.stateChangeReason;
  if (r.athenaError !== undefined) status.AthenaError = r.athenaError;
  const started = r.startedAt ?? r.completedAt;
  const queue = (started ?? r.submittedAt) - r.submittedAt;
  const engine = r.completedAt !== undefined && r.startedAt !== undefined ? r.completedAt - r.startedAt : 0;
  const statistics: Record<string, unknown> = {
    EngineExecutionTimeInMillis: engine,
    DataScannedInBytes: r.dataScannedInBytes,
    TotalExecutionTimeInMillis: (r.completedAt ?? started ?? r.submittedAt) - r.submittedAt,
    QueryQueueTimeInMillis: queue,
    ServicePreProcessingTimeInMillis: 0,
    QueryPlanningTimeInMillis: 0,
    ServiceProcessingTimeInMillis: 0,
    ResultReuseInformation: { ReusedPreviousResult: false },
  };
  const context: Record<string, unknown> = {};
  if (r.database !== undefined) context.Database = r.database;
  if (r.catalog !== undefined) context.Catalog = r.catalog;
  const out: Record<string, unknown> = {
    QueryExecutionId: r.id,
    Query: r.query,
    StatementType: r.statementType,
    ResultConfiguration: { OutputLocation: r.outputLocation },
    ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: false } },
    QueryExecutionContext: context,
    Status: status,
    Statistics: statistics,
    WorkGroup: r.workGroup,
    EngineVersion: ENGINE_VERSION,
  };
  if (r.executionParameters !== undefined) out.ExecutionParameters = r.executionParameters;
  return out;
}

interface PageToken {
  id: string;
  offset: number;
}

const encodeToken = (t: PageToken): string => Buffer.from(JSON.stringify(t)).toString('base64url');

function decodeToken(token: string, id: string): number {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageToken;
    if (t.id === id && Number.isInteger(t.offset) && t.offset > 0) return t.offset;
  } catch {
    // fall through: any undecodable token is simply invalid
  }
  throw invalid('The NextToken is not valid for this query execution');
}

export function athenaHandler(engine: AthenaEngine): ServiceHandler {
  const lookup = (id: string): ExecutionRecord => {
    const r = engine.store.get(id);
    if (r) return r;
    const damage = engine.store.damage(id);
    if (damage !== undefined) throw damaged(`The record of query execution ${id} is damaged (${damage})`);
    throw notFound(id);
  };

  // A Map, not an object: `__proto__`, `constructor` or `hasOwnProperty` must be unknown operations.
  const ops = new Map<string, (input: Record<string, unknown>) => Promise<unknown>>(Object.entries({
    async StartQueryExecution(input) {
      const query = requireString(input, 'QueryString', 1, 262144);
      const ctx = input.QueryExecutionContext as Record<string, unknown> | undefined;
      const resultConfiguration = input.ResultConfiguration as Record<string, unknown> | undefined;
      const params = input.ExecutionParameters;
      // Athena's own bound (1–1024 characters each) also keeps the literal parser's nesting shallow.
      if (params !== undefined && (!Array.isArray(params) || params.length < 1 || params.some((p) => typeof p !== 'string' || p.length < 1 || p.length > 1024))) {
        throw invalid('ExecutionParameters must be a non-empty list of strings of 1 to 1024 characters');
      }
      const outputLocation = optionalString(resultConfiguration, 'OutputLocation', 1, 1024);
      if (outputLocation !== undefined && !S3_LOCATION.test(outputLocation)) {
        throw invalid(`OutputLocation '${outputLocation.slice(0, 200)}' is not an S3 location; expected s3://<bucket>/<prefix>/`);
      }
      const workGroup = optionalString(input, 'WorkGroup', 1, 128) ?? 'primary';
      if (!engine.workGroups.has(workGroup)) throw invalid(`WorkGroup ${workGroup} is not found.`);
      const outcome = engine.submit({
        query,
        database: optionalString(ctx, 'Database', 1, 255),
        catalog: optionalString(ctx, 'Catalog', 1, 256),
        workGroup,
        outputLocation,
        executionParameters: params as string[] | undefined,
        clientRequestToken: optionalString(input, 'ClientRequestToken', 32, 128),
      });
      if (outcome.kind === 'token-conflict') {
        throw invalid('Idempotent parameters do not match: the ClientRequestToken was already used for a different request');
      }
      if (outcome.kind === 'write-failed') {
        // Athena's own error for a failure on its side; the SDK retries it.
        throw new AwsServiceError(
          'InternalServerException',
          `The embedded Athena endpoint could not record the query execution in its data dir (${outcome.reason}); nothing was started. Free space there and retry`,
          500,
        );
      }
      if (outcome.kind === 'invalid') throw invalid(outcome.message);
      if (outcome.kind === 'queue-full') {
        throw new AwsServiceError(
          'TooManyRequestsException',
          `Too many queries: ${outcome.limit} queries are already queued (limits.maxQueued); retry later`,
          400,
          { Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED' },
        );
      }
      return { QueryExecutionId: outcome.record.id };
    },

    async GetQueryExecution(input) {
      return { QueryExecution: queryExecutionShape(lookup(requireString(input, 'QueryExecutionId'))) };
    },

    async BatchGetQueryExecution(input) {
      const ids = input.QueryExecutionIds;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 50) {
        throw invalid(
          `1 validation error detected: Value at 'queryExecutionIds' failed to satisfy constraint: Member must have length less than or equal to 50 and greater than or equal to 1 (got ${Array.isArray(ids) ? ids.length : 'none'})`,
        );
      }
      const found: unknown[] = [];
      const missing: unknown[] = [];
      for (const id of ids) {
        const r = typeof id === 'string' ? engine.store.get(id) : undefined;
        const damage = typeof id === 'string' ? engine.store.damage(id) : undefined;
        if (r) found.push(queryExecutionShape(r));
        else if (damage !== undefined) {
          missing.push({ QueryExecutionId: id, ErrorCode: 'INTERNAL_FAILURE', ErrorMessage: `The record of query execution ${id} is damaged (${damage})` });
        } else missing.push({ QueryExecutionId: id, ErrorCode: 'INVALID_INPUT', ErrorMessage: `QueryExecution ${String(id)} was not found` });
      }
      return { QueryExecutions: found, UnprocessedQueryExecutionIds: missing };
    },

    async GetQueryResults(input) {
      const id = requireString(input, 'QueryExecutionId');
      const max = optionalInt(input, 'MaxResults', 1, 1000) ?? 1000;
      const token = optionalString(input, 'NextToken', 1, 1024);
      const r = lookup(id);
      if (r.state === 'QUEUED' || r.state === 'RUNNING') throw invalid(`Query has not yet finished. Current state: ${r.state}`);
      if (r.state !== 'SUCCEEDED') {
        throw invalid(`Query did not finish successfully. Final query state: ${r.state}`);
      }
      const res = r.result ?? { columns: [], rowCount: 0, header: false, updateCount: 0, bytes: 0 };
      // The header row is virtual row 0 and counts against MaxResults, as in Athena.
      const head = res.header ? 1 : 0;
      const total = res.rowCount + head;
      const offset = token === undefined ? 0 : decodeToken(token, id);
      const end = Math.min(total, offset + max);
      const rows: { Data: { VarCharValue?: string }[] }[] = [];
      if (offset === 0 && head === 1) rows.push({ Data: res.columns.map((c) => ({ VarCharValue: c.Label })) });
      let cells;
      try {
        cells = await engine.store.readRows(id, Math.max(0, offset - head), end - head);
      } catch (err) {
        if (err instanceof DamagedStore) throw damaged(err.message);
        throw err;
      }
      for (const row of cells) rows.push({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) });
      const out: Record<string, unknown> = {
        UpdateCount: res.updateCount,
        ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: res.columns } },
      };
      if (end < total) out.NextToken = encodeToken({ id, offset: end });
      return out;
    },

    async StopQueryExecution(input) {
      const id = requireString(input, 'QueryExecutionId');
      lookup(id);
      engine.stop(id);
      return {};
    },

    async ListQueryExecutions(input) {
      const max = optionalInt(input, 'MaxResults', 0, 50) ?? 50;
      const workGroup = optionalString(input, 'WorkGroup', 1, 128) ?? 'primary';
      if (!engine.workGroups.has(workGroup)) throw invalid(`WorkGroup ${workGroup} is not found.`);
      const token = optionalString(input, 'NextToken', 1, 1024);
      // Newest first; the token remembers the last sequence number served, so executions started
      // between two pages neither shift nor repeat entries.
      const before = token === undefined ? Infinity : decodeToken(token, `list:${workGroup}`);
      const rest = engine.store.list().filter((r) => r.workGroup === workGroup && r.seq < before);
      const page = rest.slice(0, max);
      const out: Record<string, unknown> = { QueryExecutionIds: page.map((r) => r.id) };
      if (rest.length > page.length && page.length > 0) out.NextToken = encodeToken({ id: `list:${workGroup}`, offset: page[page.length - 1].seq });
      return out;
    },
  }));

  return async (operation, input) => {
    const op = ops.get(operation);
    if (!op) throw new AwsServiceError('UnknownOperationException', `Operation ${operation} is not supported by the embedded Athena endpoint`);
    return op(input);
  };
}
