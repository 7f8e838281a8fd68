import { startTestApp, type TestApp } from '../support/app';

/**
 * A subscription sent as an HTTP request cannot run there (it streams): the answer says where it can, not
 * INTERNAL_SERVER_ERROR.
 */
describe('a subscription sent over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it.each([
    ['POST', 'subscription Heartbeat { heartbeat { seq } }', undefined],
    ['POST, the subscription named among others', 'query Q { health { status } } subscription S { heartbeat { seq } }', 'S'],
  ])('%s: 400 BAD_REQUEST naming graphql-ws and the WebSocket URL', async (_how, query, operationName) => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, operationName }),
    });
    expect(res.status).toBe(400);
    const ws = `${t.url.replace('http:', 'ws:')}/graphql`;
    expect(await res.json()).toStrictEqual({
      errors: [
        {
          message: `subscriptions need a WebSocket: connect with the graphql-ws protocol (graphql-transport-ws) to ${ws}; HTTP runs queries and mutations`,
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
  });

  it('GET: the same answer', async () => {
    const res = await fetch(`${t.url}/graphql?query=${encodeURIComponent('subscription { heartbeat { seq } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0].message).toMatch(/^subscriptions need a WebSocket: connect with the graphql-ws protocol/);
  });
});
