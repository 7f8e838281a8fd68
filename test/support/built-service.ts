import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';

export interface BuiltService {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** e.g. http://127.0.0.1:41234 (GraphQL at `${url}/graphql`). */
  url: string;
  /** Everything the process has written so far. */
  stdout(): string;
  stderr(): string;
}

/**
 * Resolves once `child` (the built service, or `npm start` running it) says where it serves; rejects if
 * it exits first. Keeps collecting its output after that. The caller kills it.
 */
export function untilServing(child: ChildProcessByStdio<null, Readable, Readable>): Promise<BuiltService> {
  let out = '';
  let err = '';
  return new Promise<BuiltService>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving GraphQL and the explorer at (http:\/\/[^\s"]+)\/graphql/.exec(out);
      if (match) resolve({ child, url: match[1]!, stdout: () => out, stderr: () => err });
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}${err}`)));
  });
}

/**
 * Starts the built service (dist/src/main.js, as `npm test` builds it before the tests) with only `env`
 * (and PATH), node given `nodeArgs`, and resolves once it says where it serves. The caller kills it.
 */
export function startBuiltService(env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<BuiltService> {
  const child = spawn(process.execPath, [...nodeArgs, path.resolve(__dirname, '../../dist/src/main.js')], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return untilServing(child);
}
