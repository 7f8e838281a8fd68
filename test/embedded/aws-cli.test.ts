/**
 * The AWS CLI v2 (Debian package `awscli`, /usr/bin/aws) against the endpoint: a person following the
 * docs uses exactly these commands. Skipped only when the binary is absent; .ci/run installs it.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsCli, awsCliOutput, describeCli, numbers, runQuery, startHarness, waitForState, type Harness } from './helpers';

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
    expect(String((err as { stderr: Buffer }).stderr).trim()).toBe(
      'An error occurred (InvalidRequestException) when calling the GetQueryExecution operation: QueryExecution no-such-id was not found',
    );
  });

  describe('aws s3 (results where Athena writes them)', () => {
    const s3 = (...args: string[]): Promise<Buffer> => awsCliOutput(h.endpoint.url, h.dataDir, 's3', ...args);

    it('aws s3 cp s3://…/<id>.csv - prints the result file, and aws s3 ls lists it', async () => {
      const { id } = await runQuery(h.client, "SELECT symbol, count(*) AS n, NULL AS nothing, '' AS blank FROM market.ticks GROUP BY 1 ORDER BY 1");
      const [csv, listing] = await Promise.all([s3('cp', `s3://gapwatch-embedded/results/${id}.csv`, '-'), s3('ls', 's3://gapwatch-embedded/results/')]);
      expect(csv.toString('utf8')).toBe('"symbol","n","nothing","blank"\n"AMZN","13267",,""\n"GOOG","11926",,""\n"WORK","13217",,""\n');
      expect(listing.toString('utf8')).toMatch(new RegExp(`\\s${csv.length} ${id}\\.csv\\n`));
      expect(listing.toString('utf8')).toContain(`${id}.csv.metadata`);
    });

    it('copies a result larger than its multipart threshold (ranged GETs) byte for byte', async () => {
      const { id } = await runQuery(h.client, `SELECT n, lpad('', 100, 'x') AS pad FROM ${numbers(100_000)} ORDER BY n`);
      const sdk = new S3Client({ endpoint: h.endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, forcePathStyle: true });
      try {
        const whole = Buffer.from(await (await sdk.send(new GetObjectCommand({ Bucket: 'gapwatch-embedded', Key: `results/${id}.csv` }))).Body!.transformToByteArray());
        expect(whole.length).toBeGreaterThan(8 * 1024 * 1024);
        const copied = await s3('cp', `s3://gapwatch-embedded/results/${id}.csv`, '-');
        expect(copied.equals(whole)).toBe(true);
        expect((await h.endpoint.calls()).GetObject).toBeGreaterThan(2);
      } finally {
        sdk.destroy();
      }
    });

    it('shows a missing key as S3’s 404', async () => {
      const err = await s3('cp', 's3://gapwatch-embedded/results/nope.csv', '-').catch((e: { stderr: Buffer }) => e);
      expect((err as { stderr: Buffer }).stderr.toString('utf8')).toContain('(404) when calling the HeadObject operation: Not Found');
    });
  });
});
