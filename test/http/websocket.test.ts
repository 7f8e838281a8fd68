import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../support/app';

describe('WebSocket connection bounds', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it('closes a socket that never sends connection_init (4408), instead of holding it open', async () => {
    const socket = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const started = Date.now();
    const [code, reason] = await new Promise<[number, string]>((resolve) => socket.on('close', (c, r) => resolve([c, r.toString()])));
    expect(code).toBe(4408);
    expect(reason).toMatch(/Connection initialisation timeout/);
    // Closed by the server's timer, not by the test ending.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
  });
});
