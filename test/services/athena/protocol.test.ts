/**
 * gapwatch's Athena protocol (src/services/athena/protocol.ts) against the SDK's default one, both real
 * SDK clients over loopback: GetQueryResults must come out the same, errors must be the SDK's own, and
 * every other operation must be untouched.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsOutput,
} from '@aws-sdk/client-athena';
import { createDecoder } from '../../../src/services/athena/decode';
import { columnsOf, dataRows, pageCells } from '../../../src/services/athena/pages';
import { cellsOf } from '../../../src/services/athena/result-json';
import { ErrorCode } from '../../../src/errors';
import { FIRST_PAGE } from '../../../src/services/athena/result-pages';
import { AthenaService } from '../../../src/services/athena/athena.service';
import { AthenaProtocol } from '../../../src/services/athena/protocol';
import { ATHENA_DEFAULTS } from '../../../src/services/athena/settings';
import { cannedEndpoint } from '../../support/canned-endpoint';
import { HOURLY_COUNTS, readFixture } from '../../support/fixtures';

const SETTINGS = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };

describe('AthenaProtocol', () => {
  const endpoint = cannedEndpoint();
  let sdk: AthenaClient;
  let ours: AthenaClient;

  beforeAll(async () => {
    const url = await endpoint.url;
    sdk = new AthenaClient({ ...SETTINGS, endpoint: url });
    ours = new AthenaClient({ ...SETTINGS, endpoint: url, protocol: AthenaProtocol });
  });
  afterAll(async () => {
    sdk.destroy();
    ours.destroy();
    await endpoint.close();
  });

  async function both(command: () => GetQueryResultsCommand | GetQueryExecutionCommand): Promise<[any, any]> {
    const a = await sdk.send(command() as never);
    const b = await ours.send(command() as never);
    delete (a as any).$metadata;
    delete (b as any).$metadata;
    return [a, b];
  }

  const results = () => new GetQueryResultsCommand({ QueryExecutionId: 'q', MaxResults: 1000 });

  it('gives the same GetQueryResults output as the SDK for a real Athena response', async () => {
    const fixture = readFixture(HOURLY_COUNTS);
    endpoint.reply('GetQueryResults', { status: 200, body: JSON.stringify(fixture) });
    const [a, b] = await both(results);
    expect(b).toEqual(a);
    expect(b.ResultSet.Rows).toHaveLength(21);
    expect(cellsOf(b.ResultSet)).toHaveLength(21);
    expect(b.ResultSet.ResultSetMetadata.ColumnInfo[0].Nullable).toBe(a.ResultSet.ResultSetMetadata.ColumnInfo[0].Nullable);
  });

  it('gives the same output for pages with NULLs, empty strings, escapes and non-ASCII text', async () => {
    const page = {
      UpdateCount: 0,
      NextToken: 'tok/+=',
      ResultSet: {
        Rows: [
          { Data: [{ VarCharValue: 'a' }, { VarCharValue: 'b' }] },
          { Data: [{}, { VarCharValue: '' }] },
          { Data: [{ VarCharValue: 'quote " backslash \\ tab \t' }, { VarCharValue: 'zürich ✓ 東京' }] },
        ],
        ResultSetMetadata: {
          ColumnInfo: [
            { CatalogName: 'hive', SchemaName: '', TableName: '', Name: 'a', Label: 'a', Type: 'varchar', Precision: 2147483647, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true },
            { CatalogName: 'hive', SchemaName: '', TableName: '', Name: 'b', Label: 'b', Type: 'varchar', Precision: 2147483647, Scale: 0, Nullable: 'NULLABLE', CaseSensitive: true },
          ],
        },
      },
    };
    endpoint.reply('GetQueryResults', { status: 200, body: JSON.stringify(page) });
    const [a, b] = await both(results);
    // The rows were read as cells (no Row objects made) and still read back as the SDK's Rows.
    expect(cellsOf(b.ResultSet)).toStrictEqual([['a', 'b'], [null, ''], ['quote " backslash \\ tab \t', 'zürich ✓ 東京']]);
    expect(cellsOf(a.ResultSet)).toBeUndefined();
    expect(b).toEqual(a);
    expect(pageCells(b)).toStrictEqual(pageCells(a));
  });

  it('decodes to the same rows where it keeps what the SDK would drop (null members, unknown keys)', async () => {
    const body = JSON.stringify({
      ResultSet: {
        Rows: [
          { Data: [{ VarCharValue: 'n' }] },
          { Data: [{ VarCharValue: null }] },
          { Data: [{ VarCharValue: '7', Extra: 1 }] },
          { Data: null },
          {},
        ],
        ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Label: 'n', Type: 'integer' }] },
      },
      SomethingNew: { x: 1 },
    });
    endpoint.reply('GetQueryResults', { status: 200, body });
    const [a, b] = await both(results);
    expect(b.SomethingNew).toBeUndefined();
    // The scanner does not know `Extra`, so this body was parsed whole and its rows kept as parsed; the
    // SDK's copy drops the unknown member.
    expect(b.ResultSet.Rows[2].Data[0].Extra).toBe(1);
    expect(a.ResultSet.Rows[2].Data[0].Extra).toBeUndefined();
    const decode = (page: GetQueryResultsOutput) => createDecoder(columnsOf(page)).decodeRows(dataRows(page, true));
    expect(decode(b)).toEqual(decode(a));
    expect(decode(b)).toEqual([[null], [7], [null], [null]]);
  });

  it('raises the SDK\'s own errors: a modelled error and a body that is not JSON', async () => {
    endpoint.reply('GetQueryResults', {
      status: 400,
      body: JSON.stringify({ __type: 'InvalidRequestException', Message: 'Query has not yet finished. Current state: RUNNING' }),
    });
    const errA = (await sdk.send(results()).catch((e: Error) => e)) as Error;
    const errB = (await ours.send(results()).catch((e: Error) => e)) as Error;
    expect(errB).toBeInstanceOf(Error);
    expect([errB.name, errB.message]).toEqual([errA.name, errA.message]);
    expect(errB.name).toBe('InvalidRequestException');

    endpoint.reply('GetQueryResults', { status: 200, body: '{"ResultSet": {"Rows": [' });
    const badA = (await sdk.send(results()).catch((e: Error) => e)) as Error;
    const badB = (await ours.send(results()).catch((e: Error) => e)) as Error;
    expect(badB).toBeInstanceOf(Error);
    expect(badB.name).toBe(badA.name);
  });

  it('returns NextToken at once and reads the rows on first use: a body whose inside is not JSON fails there', async () => {
    endpoint.reply('GetQueryResults', { status: 200, body: '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"x"}]},]},"NextToken":"next"}' });
    const out = await ours.send(results());
    expect(out.NextToken).toBe('next');
    expect(() => out.ResultSet!.Rows).toThrow(SyntaxError);
    // The SDK reads it before returning, and fails there.
    await expect(sdk.send(results())).rejects.toThrow();
    // gapwatch's service turns the late failure into a coded error, like any other failed call.
    const athena = new AthenaService(ours, ATHENA_DEFAULTS);
    await expect(athena.page('q', null)).rejects.toMatchObject({
      extensions: { code: ErrorCode.BACKEND_UNAVAILABLE },
      message: expect.stringContaining('Athena GetQueryResults failed: SyntaxError'),
    });
  });

  it('lets a prefetch chain ask for the next page before this one is read', async () => {
    // Page 0 answers with a NextToken but rows that cannot be read; page 1 (p1) is fine. The chain learns
    // p1 from page 0's bytes and asks for it even though page 0 itself then fails.
    const page = (token: string | null, rows: string) =>
      `{"UpdateCount":0,"ResultSet":{"Rows":${rows},"ResultSetMetadata":{"ColumnInfo":[{"Name":"n","Label":"n","Type":"integer"}]}}${token ? `,"NextToken":"${token}"` : ''}}`;
    endpoint.reply('GetQueryResults', (request) =>
      request['NextToken'] === undefined
        ? { status: 200, body: page('p1', '[{"Data":[{"VarCharValue":"1"}]},]') }
        : { status: 200, body: page(null, '[{"Data":[{"VarCharValue":"2"}]}]') },
    );
    const athena = new AthenaService(ours, ATHENA_DEFAULTS);
    const from = endpoint.requests.length;
    athena.prefetch('q', FIRST_PAGE, undefined, 2);
    await expect(athena.page('q', FIRST_PAGE)).rejects.toMatchObject({ extensions: { code: ErrorCode.BACKEND_UNAVAILABLE } });
    const asked = () => endpoint.requests.slice(from).map((r) => r.body['NextToken']);
    for (let i = 0; i < 100 && asked().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(asked()).toStrictEqual([undefined, 'p1']);
    // p1 came from the chain: reading it asks Athena nothing more.
    expect((await athena.page('q', { page: 1, token: 'p1' })).values).toStrictEqual([[2]]);
    expect(asked()).toStrictEqual([undefined, 'p1']);
  });

  it('leaves every other operation to the SDK', async () => {
    endpoint.reply('GetQueryExecution', {
      status: 200,
      body: JSON.stringify({
        QueryExecution: {
          QueryExecutionId: 'q',
          Query: 'SELECT 1',
          Status: { State: 'SUCCEEDED', SubmissionDateTime: 1.7e9, CompletionDateTime: 1.7e9 + 1.5 },
          Statistics: { DataScannedInBytes: 10 },
        },
      }),
    });
    const [a, b] = await both(() => new GetQueryExecutionCommand({ QueryExecutionId: 'q' }));
    expect(b).toEqual(a);
    expect(b.QueryExecution.Status.SubmissionDateTime).toBeInstanceOf(Date);
  });
});
