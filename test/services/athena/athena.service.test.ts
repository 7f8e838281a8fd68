/**
 * AthenaService against a loopback endpoint that answers as Athena does in cases the embedded endpoint
 * never produces (a batch partly throttled), through the real SDK client and gapwatch's protocol.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AthenaClient } from '@aws-sdk/client-athena';
import { AthenaService } from '../../../src/services/athena/athena.service';
import { AthenaProtocol } from '../../../src/services/athena/protocol';
import { ATHENA_DEFAULTS } from '../../../src/services/athena/settings';
import { cannedEndpoint } from '../../support/canned-endpoint';

const SETTINGS = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };

const execution = (id: string) => ({
  QueryExecutionId: id,
  Query: `SELECT '${id}'`,
  Status: { State: 'SUCCEEDED', SubmissionDateTime: 1700000000, CompletionDateTime: 1700000001 },
  Statistics: { DataScannedInBytes: 0 },
});

/** Sleeps are recorded and return at once: the backoff's length is not what these tests are about. */
const slept: number[] = [];
const clock = { now: () => 0, sleep: async (ms: number) => void slept.push(ms) };

describe('AthenaService.getMany', () => {
  const endpoint = cannedEndpoint();
  let client: AthenaClient;
  let athena: AthenaService;

  beforeAll(async () => {
    client = new AthenaClient({ ...SETTINGS, endpoint: await endpoint.url, protocol: AthenaProtocol });
    athena = new AthenaService(client, ATHENA_DEFAULTS, clock, () => 0.5);
  });
  afterAll(async () => {
    client.destroy();
    await endpoint.close();
  });
  beforeEach(() => {
    endpoint.requests.length = 0;
    slept.length = 0;
  });

  it('asks again for ids Athena left unprocessed because it was throttled; unknown ids are not found', async () => {
    // Call 1 leaves b and c unprocessed, call 2 only c, call 3 none.
    const throttledOnCall = [new Set(['b', 'c']), new Set(['c']), new Set<string>()];
    let call = 0;
    endpoint.reply('BatchGetQueryExecution', (req) => {
      const throttled = throttledOnCall[Math.min(call++, 2)]!;
      const ids = req.QueryExecutionIds as string[];
      const found = ids.filter((id) => id !== 'nope' && !throttled.has(id));
      const unprocessed = ids
        .filter((id) => id === 'nope' || throttled.has(id))
        .map((id) =>
          id === 'nope'
            ? { QueryExecutionId: id, ErrorCode: 'INVALID_INPUT', ErrorMessage: `QueryExecution ${id} was not found` }
            : { QueryExecutionId: id, ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
        );
      return { status: 200, body: JSON.stringify({ QueryExecutions: found.map(execution), UnprocessedQueryExecutionIds: unprocessed }) };
    });
    const out = await athena.getMany(['a', 'b', 'c', 'nope']);
    expect(out.map((e) => ('id' in e ? e.id : (e as any).extensions))).toStrictEqual(['a', 'b', 'c', { code: 'NOT_FOUND', argument: 'id' }]);
    expect(endpoint.requests.map((r) => r.body.QueryExecutionIds)).toStrictEqual([['a', 'b', 'c', 'nope'], ['b', 'c'], ['c']]);
    expect(slept).toHaveLength(2);
  });

  it('gives up on an id still throttled after a few rounds with BACKEND_UNAVAILABLE in its place, never null', async () => {
    endpoint.reply('BatchGetQueryExecution', (req) => ({
      status: 200,
      body: JSON.stringify({
        QueryExecutions: [],
        UnprocessedQueryExecutionIds: (req.QueryExecutionIds as string[]).map((id) => ({ QueryExecutionId: id, ErrorCode: 'ThrottlingException' })),
      }),
    }));
    const [out] = await athena.getMany(['x']);
    expect((out as any).extensions).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(endpoint.requests.length).toBeGreaterThan(1);
  });
});

describe('AthenaService.close', () => {
  // An endpoint that never answers: what a stopping app's call to a slow Athena looks like.
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    held.push(res);
  });
  let client: AthenaClient;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    // Retries on, as the service's own client has them: a destroyed socket alone would be retried.
    client = new AthenaClient({ ...SETTINGS, maxAttempts: 3, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, protocol: AthenaProtocol });
  });
  afterAll(() => {
    client.destroy();
    server.close();
    server.closeAllConnections();
  });

  it('ends a call Athena keeps waiting instead of letting the SDK retry it, and asks nothing after', async () => {
    const athena = new AthenaService(client, ATHENA_DEFAULTS, clock, () => 0.5);
    const started = athena.start({ sql: 'SELECT 1' });
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5));
    athena.close();
    await expect(started).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(athena.get('q')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(held).toHaveLength(1);
  });
});
