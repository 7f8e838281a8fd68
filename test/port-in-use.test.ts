import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A port held by another process (a second gapwatch, say): each entry point, run as built, says in one line
 * which port and which variable moves it, and exits 1 as for a data dir in use; no stack, no graphql-ws
 * "internal error".
 */
const ROOT = path.resolve(__dirname, '..');

function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-port-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, entry)],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          GAPWATCH_DATA_DIR: dataDir,
          GAPWATCH_CONFIG: path.join(dataDir, 'none.yaml'),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...env,
        },
      },
      (err, _stdout, stderr) => {
        rmSync(dataDir, { recursive: true, force: true });
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
      },
    );
  });
}

describe('a taken port', () => {
  let held: Server;
  let port: number;
  beforeAll(async () => {
    held = createServer().listen(0, '127.0.0.1');
    await once(held, 'listening');
    port = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => held.close(r)));

  it('PORT: npm start (its entry) exits 1 naming the port and PORT', async () => {
    expect(await run('dist/src/main.js', { PORT: String(port), GAPWATCH_EMBEDDED_PORT: '0' })).toStrictEqual({
      code: 1,
      stderr: `gapwatch: port ${port} on 127.0.0.1 is in use (another gapwatch?): stop it, or set PORT to another port\n`,
    });
  });

  it('GAPWATCH_EMBEDDED_PORT: npm start exits 1 naming the port and GAPWATCH_EMBEDDED_PORT', async () => {
    expect(await run('dist/src/main.js', { PORT: '0', GAPWATCH_EMBEDDED_PORT: String(port) })).toStrictEqual({
      code: 1,
      stderr: `gapwatch: port ${port} on 127.0.0.1 (the embedded AWS endpoint) is in use (another gapwatch, or npm run embedded?): stop it, or set GAPWATCH_EMBEDDED_PORT to another port (0 = any free port)\n`,
    });
  });

  it('GAPWATCH_EMBEDDED_PORT: npm run embedded (its entry) exits 1 with the same line', async () => {
    expect(await run('dist/src/embedded/main.js', { GAPWATCH_EMBEDDED_PORT: String(port) })).toStrictEqual({
      code: 1,
      stderr: `gapwatch embedded: port ${port} on 127.0.0.1 (the embedded AWS endpoint) is in use (another gapwatch, or npm run embedded?): stop it, or set GAPWATCH_EMBEDDED_PORT to another port (0 = any free port)\n`,
    });
  });
});
