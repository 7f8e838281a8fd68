/**
 * athena-express in its default mode (issue 22): it runs the query through Athena, then reads the result
 * file from S3 (`getObject(…).createReadStream()` piped into csvtojson) with the AWS SDK v2 it is given.
 * Against an endpoint with no S3 API that stream failed with an XMLParserError nobody listened for, which
 * ended the process.
 */
import { startHarness, type Harness } from './helpers';

// The v2 SDK announces its maintenance mode when loaded; this test is about athena-express, not that.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AWS = require('aws-sdk') as typeof import('aws-sdk');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AthenaExpress } = require('athena-express') as {
  AthenaExpress: new (init: Record<string, unknown>) => { query(q: string | Record<string, unknown>): Promise<{ Items: Record<string, unknown>[] }> };
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // athena-express makes its own Athena and S3 clients from the SDK it is given: the endpoint goes in the
  // SDK's global configuration, path-style for S3 as for any endpoint given by address.
  AWS.config.update({
    region: 'us-east-1',
    credentials: new AWS.Credentials({ accessKeyId: 'x', secretAccessKey: 'x' }),
    athena: { endpoint: h.endpoint.url },
    s3: { endpoint: h.endpoint.url, s3ForcePathStyle: true },
  } as never);
});
afterAll(async () => {
  await h.stop();
});

const athenaExpress = (): InstanceType<typeof AthenaExpress> =>
  new AthenaExpress({ aws: AWS, s3: 's3://gapwatch-embedded/athena-express/', db: 'market', retry: 20 });

describe('athena-express (default mode: results read from S3)', () => {
  it('returns typed items read from the result file', async () => {
    const result = await athenaExpress().query(
      "SELECT symbol, count(*) AS ticks, round(avg(price), 2) > 0 AS priced, 'a,\"b\"' AS quoted FROM ticks GROUP BY 1 ORDER BY 1",
    );
    expect(result.Items).toStrictEqual([
      { symbol: 'AMZN', ticks: 13267n, priced: true, quoted: 'a,"b"' },
      { symbol: 'GOOG', ticks: 11926n, priced: true, quoted: 'a,"b"' },
      { symbol: 'WORK', ticks: 13217n, priced: true, quoted: 'a,"b"' },
    ]);
  });

  it('reads a DDL statement’s .txt result line by line', async () => {
    const result = await athenaExpress().query('DESCRIBE ticks');
    expect(result.Items.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(result.Items[0]!)).toStrictEqual(['symbol']);
  });
});
