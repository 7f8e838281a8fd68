import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { batchWrites, flushWrites, sendNext } from '../../src/http/ws-writes';

/** A ws server on loopback port 0 whose sockets batch their writes, and a client connected to it. */
async function pair(): Promise<{ server: WebSocket; client: WebSocket; received: string[]; close: () => Promise<void> }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  const accepted = new Promise<WebSocket>((resolve) =>
    wss.on('connection', (socket, req) => {
      batchWrites(socket, req.socket);
      resolve(socket);
    }),
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (m) => received.push(m.toString()));
  await new Promise((r) => client.once('open', r));
  const server = await accepted;
  return {
    server,
    client,
    received,
    close: async () => {
      client.terminate();
      wss.close();
      await new Promise((r) => http.close(r));
    },
  };
}

const sendAcked = (ws: WebSocket, data: string) => {
  let acked = false;
  const promise = new Promise<void>((resolve, reject) =>
    ws.send(data, (err?: Error) => {
      acked = true;
      if (err) reject(err);
      else resolve();
    }),
  );
  return { synchronously: acked, promise };
};

describe('batchWrites', () => {
  it('acknowledges sends to a socket that keeps up as soon as they are queued, and delivers them all in order', async () => {
    const t = await pair();
    try {
      const sends = Array.from({ length: 7 }, (_, i) => sendAcked(t.server, `event ${i + 1}`));
      expect(sends.map((s) => s.synchronously)).toEqual(Array(7).fill(true));
      await Promise.all(sends.map((s) => s.promise));
      while (t.received.length < 7) await new Promise((r) => setTimeout(r, 5));
      expect(t.received).toEqual(Array.from({ length: 7 }, (_, i) => `event ${i + 1}`));
    } finally {
      await t.close();
    }
  });

  it('sendNext sends a graphql-ws next message around a serialised payload while the socket keeps up, and nothing once it does not', async () => {
    const t = await pair();
    try {
      expect(sendNext(t.server, 'sub "1"', '{"data":{"n":1}}')).toBe(true);
      while (t.received.length < 1) await new Promise((r) => setTimeout(r, 5));
      expect(JSON.parse(t.received[0]!)).toEqual({ id: 'sub "1"', type: 'next', payload: { data: { n: 1 } } });
      (t.client as unknown as { _socket: import('node:net').Socket })._socket.pause();
      const payload = JSON.stringify({ data: { x: 'x'.repeat(64 * 1024) } });
      let sent = 0;
      while (sent < 400 && sendNext(t.server, '1', payload)) {
        sent++;
        await new Promise((r) => setImmediate(r));
      }
      // It stopped on its own, with the socket's buffer past the point where graphql-ws waits for writes.
      expect(sent).toBeLessThan(400);
      expect(t.server.bufferedAmount).toBeGreaterThanOrEqual(16 * 1024);
    } finally {
      await t.close();
    }
  });

  it('flushWrites writes what a socket holds at once, before the end of the tick', async () => {
    const t = await pair();
    try {
      const tcp = (t.server as unknown as { _socket: import('node:net').Socket })._socket;
      sendNext(t.server, '1', '{"data":{"n":1}}');
      expect(tcp.writableCorked).toBe(1);
      flushWrites(t.server);
      expect(tcp.writableCorked).toBe(0);
      // The end-of-tick flush that was due finds nothing left to do.
      await new Promise((r) => setImmediate(r));
      expect(tcp.writableCorked).toBe(0);
      while (t.received.length < 1) await new Promise((r) => setTimeout(r, 5));
      expect(JSON.parse(t.received[0]!).payload).toEqual({ data: { n: 1 } });
    } finally {
      await t.close();
    }
  });

  it('leaves a client that does not read to ws\'s callback: once its buffer fills, sends wait for the write', async () => {
    const t = await pair();
    try {
      // The client stops reading: the kernel buffers fill, then the server socket's own buffer grows.
      (t.client as unknown as { _socket: import('node:net').Socket })._socket.pause();
      const chunk = 'x'.repeat(64 * 1024);
      let early = 0;
      let sent = 0;
      for (; sent < 400 && t.server.bufferedAmount < 1024 * 1024; sent++) {
        const s = sendAcked(t.server, chunk);
        s.promise.catch(() => {}); // the unwritten rest fails when the test closes the connection
        if (s.synchronously) early++;
        await new Promise((r) => setImmediate(r));
      }
      expect(t.server.bufferedAmount).toBeGreaterThanOrEqual(1024 * 1024);
      expect(early).toBeLessThan(sent);
    } finally {
      await t.close();
    }
  });
});
