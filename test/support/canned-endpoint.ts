import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Reply {
  status: number;
  body: string;
  type?: string;
}

/**
 * A loopback endpoint answering each request with the reply set for its X-Amz-Target (a fixed reply, or
 * one made from the request's JSON body), and keeping the bodies it was sent.
 */
export function cannedEndpoint(): {
  url: Promise<string>;
  reply(target: string, r: Reply | ((request: Record<string, unknown>) => Reply)): void;
  requests: { target: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
  server: Server;
} {
  const replies = new Map<string, Reply | ((request: Record<string, unknown>) => Reply)>();
  const requests: { target: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      requests.push({ target, body });
      const set = replies.get(target);
      const r = (typeof set === 'function' ? set(body) : set) ?? { status: 400, body: '{"__type":"InvalidRequestException","Message":"no canned reply"}' };
      res.writeHead(r.status, { 'content-type': r.type ?? 'application/x-amz-json-1.1' });
      res.end(r.body);
    });
  });
  const url = new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
  return {
    url,
    server,
    requests,
    reply: (target, r) => replies.set(target, r),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
