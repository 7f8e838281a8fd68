/**
 * The AWS CLI v2 (Debian package `awscli`, /usr/bin/aws) against the endpoint: a person following the
 * docs uses exactly these commands. Skipped only when the binary is absent; .ci/run installs it.
 */
import { awsCli, describeCli, startHarness, waitForState, type Harness } from './helpers';

describeCli('AWS CLI against the embedded endpoint', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  const aws = (...args: string[]): Promise<unknown> => awsCli(h.endpoint.url, h.dataDir, 'athena', ...args);

  it('start-query-execution, get-query-execution and get-query-results read like Athena', async () => {
    const started = (await aws('start-query-execution', '--query-string', 'SELECT symbol, count(*) FROM market.ticks GROUP BY 1 ORDER BY 1')) as {
      QueryExecutionId: string;
    };
    const id = started.QueryExecutionId;
    await waitForState(h.client, id);

    // Each CLI call is a Python start-up of about a second: the independent ones run side by side.
    const [executionOut, resultsOut, firstTwoOut] = await Promise.all([
      aws('get-query-execution', '--query-execution-id', id),
      aws('get-query-results', '--query-execution-id', id),
      // --max-items makes the CLI page for the user and hand back its own NextToken.
      aws('get-query-results', '--query-execution-id', id, '--max-items', '2'),
    ]);
    const execution = executionOut as { QueryExecution: Record<string, unknown> };
    expect(execution.QueryExecution).toMatchObject({
      QueryExecutionId: id,
      StatementType: 'DML',
      WorkGroup: 'primary',
      Status: { State: 'SUCCEEDED' },
    });

    const results = resultsOut as {
      ResultSet: { Rows: { Data: { VarCharValue?: string }[] }[]; ResultSetMetadata: { ColumnInfo: { Name: string; Type: string }[] } };
      UpdateCount: number;
    };
    expect(results.UpdateCount).toBe(0);
    expect(results.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => [c.Name, c.Type])).toStrictEqual([
      ['symbol', 'varchar'],
      ['_col1', 'bigint'],
    ]);
    expect(results.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue))).toStrictEqual([
      ['symbol', '_col1'],
      ['AMZN', '13267'],
      ['GOOG', '11926'],
      ['WORK', '13217'],
    ]);

    const firstTwo = firstTwoOut as {
      ResultSet: { Rows: { Data: { VarCharValue?: string }[] }[] };
      NextToken?: string;
    };
    expect(firstTwo.ResultSet.Rows.map((r) => r.Data[0].VarCharValue)).toStrictEqual(['symbol', 'AMZN']);
    expect(typeof firstTwo.NextToken).toBe('string');
    const rest = (await aws('get-query-results', '--query-execution-id', id, '--max-items', '10', '--starting-token', firstTwo.NextToken!)) as {
      ResultSet: { Rows: { Data: { VarCharValue?: string }[] }[] };
      NextToken?: string;
    };
    expect(rest.ResultSet.Rows.map((r) => r.Data[0].VarCharValue)).toStrictEqual(['GOOG', 'WORK']);
    expect(rest.NextToken).toBeUndefined();
  });

  it('shows an unknown id as the InvalidRequestException Athena sends', async () => {
    const err = await aws('get-query-execution', '--query-execution-id', 'no-such-id').catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr.trim()).toBe(
      'An error occurred (InvalidRequestException) when calling the GetQueryExecution operation: QueryExecution no-such-id was not found',
    );
  });
});
