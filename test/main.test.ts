import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The built service as an operator runs it: starts, serves, and on SIGTERM drains and exits 0. */
it('serves on the configured port and exits 0 on SIGTERM', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-main-'));
  const child = spawn(process.execPath, [path.resolve(__dirname, '../dist/src/main.js')], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      GAPWATCH_EMBEDDED_PORT: '0',
      GAPWATCH_DATA_DIR: dataDir,
      GAPWATCH_CONFIG: path.join(dataDir, 'none.yaml'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /serving GraphQL and the explorer at (http:\/\/[^\s"]+)\/graphql/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ health { status } }' }),
    });
    expect(await res.json()).toStrictEqual({ data: { health: { status: 'OK' } } });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
