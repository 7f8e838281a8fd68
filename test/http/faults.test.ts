import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../support/app';

/**
 * Faults only a real AWS account shows (an IAM refusal naming an ARN; a query Athena keeps waiting), played
 * by a loopback endpoint that speaks the Athena JSON protocol's error shape: gapwatch runs in `aws` mode
 * against it with the real SDK client, as it would against AWS.
 */
const ARN = 'arn:aws:iam::123456789012:user/ci-bot';

type Mode = 'deny' | 'hang';

async function startFaultyAthena(mode: Mode): Promise<{ url: string; server: Server; held: ServerResponse[]; targets: string[] }> {
  const held: ServerResponse[] = [];
  const targets: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    targets.push(String(req.headers['x-amz-target']));
    if (mode === 'hang') return void held.push(res);
    const body = JSON.stringify({ __type: 'AccessDeniedException', Message: `User: ${ARN} is not authorized to perform: athena:StartQueryExecution on resource: arn:aws:athena:us-east-1:123456789012:workgroup/primary` });
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, held, targets };
}

const CONFIG = `
athena:
  database: market
  outputLocation: s3://results/
datasets:
  - name: stock_ticks
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    groups: [AMZN, GOOG, WORK]
    bucket: 1h
    expectedPerBucket: 60
`;

const GAPS = '{ gaps(dataset: "stock_ticks", from: "2024-03-04T00:00:00Z", to: "2024-03-05T00:00:00Z") { status } }';

// The SDK reads these when a client is built and again when it first signs a request: they stay set for the
// whole file (restored after it).
const saved = { ...process.env };
beforeAll(() => {
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '1' });
});
afterAll(() => {
  process.env = saved;
});

/** The pipeline's state machine an aws-mode gapwatch requires; its Step Functions calls go to the same faulty endpoint. */
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:gapwatch-pipeline';

function withAwsEnv<T>(endpoint: string, run: () => Promise<T>): Promise<T> {
  process.env.AWS_ENDPOINT_URL_ATHENA = endpoint;
  process.env.AWS_ENDPOINT_URL_SFN = endpoint;
  return run();
}

describe('backend errors stay in the log', () => {
  let athena: Awaited<ReturnType<typeof startFaultyAthena>>;
  let t: TestApp;
  beforeAll(async () => {
    athena = await startFaultyAthena('deny');
    t = await withAwsEnv(athena.url, () => startTestApp({ env: { GAPWATCH_BACKEND: 'aws', GAPWATCH_STATE_MACHINE_ARN: STATE_MACHINE }, config: CONFIG }));
  });
  afterAll(async () => {
    await t?.stop();
    athena.server.close();
  });

  it('/readyz and health name what is not ready with a fixed reason, not the backend text', async () => {
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = await ready.text();
    expect(body).not.toContain('arn:');
    const notReady = { ready: false, message: 'answered with an error; details are in the service log' };
    // The faulty endpoint answers Step Functions (the pipeline's state machine) as it answers Athena.
    expect(JSON.parse(body).notReady).toStrictEqual([{ name: 'athena', message: notReady.message }, { name: 'stepfunctions', message: notReady.message }]);

    const health = await t.gql('{ health { status checks { name ready message } } }');
    expect(health.data.health).toStrictEqual({
      status: 'DEGRADED',
      checks: [{ name: 'athena', ...notReady }, { name: 'stepfunctions', ...notReady }],
    });
  });

  it('an SDK refusal reaches the client as BACKEND_UNAVAILABLE without its ARNs', async () => {
    const body = await t.gql(GAPS, undefined, { 'x-request-id': 'faults-check-1' });
    expect(JSON.stringify(body)).not.toContain('arn:');
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].message).toBe('athena did not answer as expected; details are in the service log');
    // The id the log has the details under: the request's own.
    expect(body.errors[0].extensions).toMatchObject({ code: 'BACKEND_UNAVAILABLE', requestId: 'faults-check-1' });
  });
});

describe('shutdown while requests wait on Athena', () => {
  it('answers the waiting request 503 with Retry-After within the drain time, and stops', async () => {
    const athena = await startFaultyAthena('hang');
    const t = await withAwsEnv(athena.url, () => startTestApp({ env: { GAPWATCH_BACKEND: 'aws', GAPWATCH_STATE_MACHINE_ARN: STATE_MACHINE, GAPWATCH_DRAIN_MS: '200' }, config: CONFIG }));
    try {
      const waiting = fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: GAPS }) });
      // The request has reached Athena (and waits there) before the shutdown starts.
      while (!athena.targets.includes('AmazonAthena.StartQueryExecution')) await new Promise((r) => setTimeout(r, 10));
      const stopping = t.stop();
      const res = await waiting;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toStrictEqual({
        errors: [{ message: 'gapwatch is stopping and this request did not finish within 200 ms; retry shortly', extensions: { code: 'SHUTTING_DOWN' } }],
      });
      await stopping;
      await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
    } finally {
      // Every connection, not only the requests seen so far: the stopped app's SDK call is retried (its
      // socket was destroyed with the client), and a retry that reached this endpoint after the held ones
      // were let go was held for ever, an open socket that kept Jest from exiting after the suite.
      athena.server.close();
      athena.server.closeAllConnections();
    }
  });
});
