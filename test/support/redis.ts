import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';

/** A free loopback port: bind port 0, read it, let it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL when `hard`); `start()` brings it back on the same port. */
  stop(hard?: boolean): Promise<void>;
  start(): Promise<void>;
}

/**
 * A real redis-server (Debian's `redis-server`, installed by .ci/run) on a loopback port of its own, with
 * nothing saved to disk.
 */
export async function startRedis(program = 'redis-server'): Promise<RedisServer> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn(program, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${program} did not start within 10 s: ${out || '(it printed nothing)'}`)), 10_000);
      // Not installed: say so at once, with the remedy, instead of a bare timeout.
      proc!.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          err.code === 'ENOENT'
            ? new Error(`${program} is not installed (or not on PATH): the Redis tests need it; apt-get install redis-server (README, Development)`)
            : err,
        );
      });
      proc!.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${program} exited with ${code}: ${out}`));
      });
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop(hard = false) {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      p.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await once(p, 'exit');
    },
  };
}
