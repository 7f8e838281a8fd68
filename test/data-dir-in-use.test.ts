import { execFile } from 'node:child_process';
import path from 'node:path';
import { startTestApp, type TestApp } from './support/app';

/**
 * A second gapwatch on a data dir a running one holds (DuckDB admits one process per file): each entry
 * point, run as built, says so in one line with what to do, instead of DuckDB's IO Error or a stack.
 */
const ROOT = path.resolve(__dirname, '..');

function run(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args.map((a, i) => (i === 0 ? path.join(ROOT, a) : a)),
      {
        cwd: ROOT,
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', PORT: '0', GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('a second gapwatch on the same GAPWATCH_DATA_DIR', () => {
  let held: TestApp;
  beforeAll(async () => {
    held = await startTestApp();
  });
  afterAll(async () => {
    await held.stop();
  });

  it('gapwatch check (in-process) exits 2, pointing at --url', async () => {
    const out = await run(['bin/gapwatch.js', 'check', '--dataset', 'stock_ticks', '--from', '2024-03-10', '--to', '2024-03-11'], held.dataDir);
    expect(out).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `gapwatch: another gapwatch is using the data dir ${held.dataDir}: ask it with --url (e.g. --url http://127.0.0.1:4000), stop it, or set GAPWATCH_DATA_DIR to another directory\n`,
    });
  });

  it('npm run embedded (its entry) exits 1, pointing at the endpoint the running one serves', async () => {
    const out = await run(['dist/src/embedded/main.js'], held.dataDir);
    expect(out).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: `gapwatch embedded: another gapwatch is using the data dir ${held.dataDir}: use the endpoint that gapwatch serves (port GAPWATCH_EMBEDDED_PORT, 4566 by default), stop it, or set GAPWATCH_DATA_DIR to another directory\n`,
    });
  });

  it('npm start (its entry) exits 1 with one line', async () => {
    const out = await run(['dist/src/main.js'], held.dataDir);
    expect({ code: out.code, stderr: out.stderr }).toStrictEqual({
      code: 1,
      stderr: `gapwatch: another gapwatch is using the data dir ${held.dataDir}: stop it, or set GAPWATCH_DATA_DIR to another directory\n`,
    });
  });
});
