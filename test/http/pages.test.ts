import { startTestApp, type TestApp } from '../support/app';

/**
 * gapwatch's two browser pages, the explorer and the status page, and their assets carry the same security
 * headers: nothing loads from off the machine, no other site may frame them (the status page has a Repair
 * button), no MIME sniffing, no referrer.
 */
describe('browser pages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  const headersOf = async (path: string, accept = '*/*') => {
    const res = await fetch(`${t.url}${path}`, { headers: { accept } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return {
      csp: res.headers.get('content-security-policy'),
      frame: res.headers.get('x-frame-options'),
      sniff: res.headers.get('x-content-type-options'),
      referrer: res.headers.get('referrer-policy'),
    };
  };

  it('serves the explorer, the status page and every asset with one set of security headers', async () => {
    const host = new URL(t.url).host;
    const expected = {
      csp: `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws://${host} wss://${host}; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      frame: 'DENY',
      sniff: 'nosniff',
      referrer: 'no-referrer',
    };
    expect(await headersOf('/graphql', 'text/html')).toStrictEqual(expected);
    expect(await headersOf('/status', 'text/html')).toStrictEqual(expected);
    for (const asset of ['/explorer/explorer.js', '/explorer/graphiql.css', '/status/status.js', '/status/series-worker.js', '/status/graphql-ws.js', '/status/status.css']) {
      expect({ asset, ...(await headersOf(asset)) }).toStrictEqual({ asset, ...expected });
    }
  });

  it('answers 404 for a file of the page folder it does not list, and for any path outside it', async () => {
    for (const path of ['/status/index.html', '/status/../package.json', '/status/%2e%2e/package.json', '/status/status.ts', '/status/']) {
      expect({ path, status: (await fetch(`${t.url}${path}`)).status }).toStrictEqual({ path, status: 404 });
    }
  });
});
