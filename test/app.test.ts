import { startTestApp, take, type TestApp } from './support/app';

describe('the app on one port: HTTP, WebSocket, health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it('answers { health } over HTTP', async () => {
    const body = await t.gql(/* GraphQL */ `{ health { status version backend } }`);
    expect(body).toStrictEqual({ data: { health: { status: 'OK', version: expect.any(String), backend: 'embedded' } } });
  });

  it('streams a subscription over graphql-ws on the same port and path', async () => {
    const events = await take(t.ws(), /* GraphQL */ `subscription { heartbeat(intervalMs: 100) { seq at } }`, 3);
    expect(events.map((e) => e.data.heartbeat.seq)).toStrictEqual([1, 2, 3]);
    expect(Date.parse(events[0].data.heartbeat.at)).not.toBeNaN();
  });

  it('rejects an out-of-range subscription argument with a coded error naming it', async () => {
    expect(await take(t.ws(), /* GraphQL */ `subscription { heartbeat(intervalMs: 5) { seq } }`, 1)).toStrictEqual([
      {
        errors: [
          {
            message: 'intervalMs: expected 100 to 60000, got 5',
            locations: [{ line: 1, column: 16 }],
            path: ['heartbeat'],
            extensions: { code: 'BAD_USER_INPUT', argument: 'intervalMs' },
          },
        ],
      },
    ]);
  });

  it('serves liveness and readiness', async () => {
    const live = await fetch(`${t.url}/healthz`);
    expect([live.status, await live.json()]).toStrictEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', notReady: [] });
  });

  it('answers bad requests with coded errors, never HTTP 500', async () => {
    const badJson = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toStrictEqual({ errors: [{ message: 'the request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });

    expect(await t.gql('{ nope }')).toStrictEqual({
      errors: [
        {
          message: 'Cannot query field "nope" on type "Query".',
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ],
    });
    // An operationName the document does not hold (an explorer tab switched under a stale name) is the client's.
    const named = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query Gaps { health { status } }', operationName: 'Health' }),
    });
    expect(named.status).toBeLessThan(500);
    expect(((await named.json()) as any).errors).toMatchObject([{ message: 'Unknown operation named "Health".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
    const huge = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ health { status } } # ${'x'.repeat(2 * 1024 * 1024)}` }),
    });
    expect(huge.status).toBe(413);
    const missing = await fetch(`${t.url}/nowhere`);
    expect(missing.status).toBe(404);
  });

  it('tags every response with a request id, echoing a sane one', async () => {
    const res = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'ci-check-42' } });
    expect(res.headers.get('x-request-id')).toBe('ci-check-42');
    const other = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('shutdown', () => {
  it('closes open WebSocket subscriptions and stops listening', async () => {
    const t = await startTestApp();
    const client = t.ws();
    const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()));
    const first = new Promise((resolve) => {
      client.subscribe({ query: 'subscription { heartbeat(intervalMs: 100) { seq } }' }, { next: resolve, error: () => {}, complete: () => {} });
    });
    await first;
    await t.stop();
    await closed;
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
  });
});
