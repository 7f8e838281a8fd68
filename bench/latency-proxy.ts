/**
 * A proxy in front of the embedded stand-in that makes it answer with the latency AWS has, so a ratio of the
 * results benchmarks means something for the deployed shape and not only on loopback. What it models (and
 * why these figures), per request:
 *
 * - `GetQueryResults`: LATENCY.getQueryResultsMs before the request goes on. 250 ms, from PyAthena's published
 *   benchmark: its GetQueryResults cursor read 1,923,322 rows in 506.1 s on AWS (r5.large, us-west-2, 2018),
 *   1,924 calls of 1,000 rows, 263 ms a call with the query's own run time and Python's decoding included.
 *   Athena's other operations: LATENCY.athenaCallMs (they are few in a read).
 * - An S3 `GetObject`: LATENCY.s3FirstByteMs before the response starts (the time to first byte of a GET),
 *   then the body at LATENCY.s3BytesPerSecond per GET (one connection's throughput; AWS's S3 performance
 *   guidance is to fetch byte ranges over parallel connections for more, which gapwatch does not do). These
 *   two are assumptions, not measurements: a first byte within tens of milliseconds and one connection near
 *   a hundred MB/s are what an EC2 instance in the bucket's region typically sees.
 *
 * The model is off (`setModel('none')`) for the plain embedded figures. Only timing changes: bytes pass
 * through untouched.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, pipeline, type TransformCallback } from 'node:stream';

export const LATENCY = {
  getQueryResultsMs: 250,
  athenaCallMs: 20,
  s3FirstByteMs: 50,
  s3BytesPerSecond: 90 * 1024 * 1024,
};

export type Model = 'aws' | 'none';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Passes bytes on no faster than `bytesPerSecond` (paced in slices of at most 64 KiB). */
class Throttle extends Transform {
  private readonly started = performance.now();
  private sent = 0;
  constructor(private readonly bytesPerSecond: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const slices: Buffer[] = [];
    for (let i = 0; i < chunk.length; i += 64 * 1024) slices.push(chunk.subarray(i, i + 64 * 1024));
    const next = (): void => {
      const slice = slices.shift();
      if (!slice) return done();
      this.sent += slice.length;
      this.push(slice);
      const due = (this.sent / this.bytesPerSecond) * 1000 - (performance.now() - this.started);
      if (due > 1) setTimeout(next, due);
      else next();
    };
    next();
  }
}

export async function startLatencyProxy(target: string): Promise<{ url: string; setModel(m: Model): void; close(): Promise<void> }> {
  const to = new URL(target);
  let model: Model = 'aws';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const op = String(req.headers['x-amz-target'] ?? '');
      const s3 = op === '';
      if (model === 'aws') {
        if (op.endsWith('.GetQueryResults')) await sleep(LATENCY.getQueryResultsMs);
        else if (!s3) await sleep(LATENCY.athenaCallMs);
        else await sleep(LATENCY.s3FirstByteMs);
      }
      const upstream = request(
        { hostname: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: to.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          if (model === 'aws' && s3 && req.method === 'GET') pipeline(up, new Throttle(LATENCY.s3BytesPerSecond), res, () => undefined);
          else pipeline(up, res, () => undefined);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      pipeline(req, upstream, () => undefined);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setModel: (m) => (model = m),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
