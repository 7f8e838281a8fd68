import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBuiltService, untilServing } from './support/built-service';

/** The built service as an operator runs it: starts, serves, and on SIGTERM drains and exits 0. */
it('serves on the configured port and exits 0 on SIGTERM', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-main-'));
  const { child, url } = await startBuiltService({
    PORT: '0',
    GAPWATCH_EMBEDDED_PORT: '0',
    GAPWATCH_DATA_DIR: dataDir,
    GAPWATCH_CONFIG: path.join(dataDir, 'none.yaml'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  try {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ health { status } }' }),
    });
    expect(await res.json()).toStrictEqual({ data: { health: { status: 'OK' } } });
    // It answered one health query of its own before it said it was serving (the first caller's path is warm).
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^gapwatch_graphql_operation_duration_seconds_count\{operation="WarmUp",type="query",transport="http",outcome="ok"\} 1$/m);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * `npm start` as a person runs it: npm 11 runs the script through `sh -c`, which does not pass a SIGTERM on
 * to node, so a server left behind would keep the port and the DuckDB lock. The start script execs node.
 * Its prestart build must not rewrite dist when nothing changed, and must drop outputs of deleted sources.
 */
it('npm start stops on SIGTERM to npm, and its build leaves an unchanged dist alone', async () => {
  const root = path.resolve(__dirname, '..');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-npm-start-'));
  // Whatever the state of dist, after one build a second (npm start's prestart) must find nothing to do.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
  const built = path.join(root, 'dist/src/main.js');
  const builtAt = statSync(built).mtimeMs;
  // An output whose source has gone (moved or deleted since it was built) must not survive to shadow anything.
  const orphan = path.join(root, 'dist/src/embedded/orphan-of-a-moved-source.js');
  writeFileSync(orphan, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    GAPWATCH_EMBEDDED_PORT: '0',
    GAPWATCH_DATA_DIR: dataDir,
  };
  const child = spawn('npm', ['start', '--silent'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const { url, stdout, stderr } = await untilServing(child);
    // The repo's config checks the March 2024 sample on demand only: a first start has nothing to alarm about.
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ datasets { name schedule lastCheck { status } } }' }),
    });
    expect(await res.json()).toStrictEqual({
      data: {
        datasets: [
          { name: 'stock_ticks', schedule: null, lastCheck: null },
          { name: 'stock_ticks_hourly_wide', schedule: null, lastCheck: null },
        ],
      },
    });
    // 'close': npm has exited and its output is all read.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const out = stdout();
    expect(out).not.toContain('"status":"GAPS"');
    expect(out).not.toContain('"level":50');
    // npm has gone; the server must have gone with it rather than keep the port.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(out).toContain('"msg":"stopped"');
    expect(statSync(built).mtimeMs).toBe(builtAt);
    expect(existsSync(orphan)).toBe(false);
    // The AWS SDK's Node-version notice is at most one of gapwatch's log lines, never its own stderr print.
    expect(stderr()).not.toContain('NodeVersionSupportWarning');
    expect(out.match(/AWS SDK for JavaScript versions published/g)?.length ?? 0).toBe(Number(process.versions.node.split('.')[0]) < 22 ? 1 : 0);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
