import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  /** The operation, from X-Amz-Target (`StartQueryExecution`). */
  target: string;
  body: Record<string, unknown>;
}

/**
 * A loopback stand-in for an AWS endpoint that records every request it is sent (operation and JSON body)
 * and forwards it unchanged — headers, signature and all — to `upstream`, answering with upstream's reply.
 * Pointed at by AWS_ENDPOINT_URL_<SERVICE>, it shows exactly what gapwatch asked of that service.
 */
export async function recordingProxy(upstream: string): Promise<{ url: string; requests: Recorded[]; close(): Promise<void>; server: Server }> {
  const target = new URL(upstream);
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // Recorded as empty: the upstream answers a body it cannot parse.
      }
      requests.push({ target: String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '', body: parsed });
      const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    server,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The SQL of every StartQueryExecution the proxy saw. */
export function statements(requests: readonly Recorded[]): string[] {
  return requests.filter((r) => r.target === 'StartQueryExecution').map((r) => String(r.body.QueryString));
}
