/**
 * The built service (dist/src/main.js) in a process of its own, as `npm start` runs it, for benchmarks whose
 * clients' CPU and memory must not count as the service's. Its log (stdout) is read to the end, as a log
 * shipper would: a blocked stdout would stall it. However the benchmark ends, the service does not outlive it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface BenchService {
  /** e.g. http://127.0.0.1:41234 (GraphQL at `${url}/graphql`). */
  url: string;
  child: ChildProcessByStdio<null, Readable, null>;
  /** Log lines the service has written so far. */
  logLines(): number;
  /** Its resident memory now, MiB (from /proc). */
  rssMiB(): number;
  /** SIGTERM, then resolves with its exit code once it has exited. */
  stop(): Promise<number | null>;
}

/** Starts the service on loopback port 0 (and an embedded endpoint on port 0) with `env` on top of a bare environment. */
export async function startBuiltService(env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<BenchService> {
  const child = spawn(process.execPath, [...nodeArgs, path.resolve(__dirname, '../src/main.js')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: '0',
      GAPWATCH_EMBEDDED_PORT: '0',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let lines = 0;
  const url = await new Promise<string>((resolve, reject) => {
    let out: string | undefined = '';
    child.stdout.on('data', (chunk: Buffer) => {
      lines += chunk.toString().split('\n').length - 1;
      if (out === undefined) return;
      out += chunk.toString();
      const match = /serving GraphQL and the explorer at (http:\/\/[^\s"]+)\/graphql/.exec(out);
      if (match) {
        out = undefined;
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });
  return {
    url,
    child,
    logLines: () => lines,
    rssMiB: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024,
    stop: async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const code = await exited;
      process.removeListener('exit', kill);
      return code;
    },
  };
}
