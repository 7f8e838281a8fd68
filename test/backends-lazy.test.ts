import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { STOCK_TICKS_YAML, WITHOUT_SAMPLE_REPAIR } from './support/config';

const run = promisify(execFile);

/** Builds the built app (dist/) in a fresh process with `env`, then prints every module its thread loaded. */
const LOADED = `
const { createApp } = require(${JSON.stringify(path.resolve(__dirname, '../dist/src/app.js'))});
const { loadEnvConfig } = require(${JSON.stringify(path.resolve(__dirname, '../dist/src/config.js'))});
createApp({ env: loadEnvConfig() }).then(async (app) => {
  const loaded = Object.keys(require.cache);
  await app.stop();
  process.stdout.write(JSON.stringify(loaded));
  process.exit(0);
}, (err) => { process.stderr.write(String(err.stack)); process.exit(1); });
`;

/**
 * What belongs to the embedded backend: DuckDB, the ASL interpreter, and gapwatch's own wiring of them.
 * (The config file's `embedded.tables` section is validated on every backend, by embedded/tables.js alone.)
 */
const EMBEDDED = /node_modules\/(@duckdb\/|aws-local-stepfunctions\/)|dist\/src\/embedded-backend\/|dist\/src\/embedded\/(?!tables\.js$)/;

describe('the embedded backend is loaded only when GAPWATCH_BACKEND=embedded', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-lazy-'));
    writeFileSync(path.join(dir, 'gapwatch.config.yaml'), WITHOUT_SAMPLE_REPAIR(STOCK_TICKS_YAML));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const loaded = async (env: Record<string, string>): Promise<string[]> => {
    const { stdout } = await run(process.execPath, ['-e', LOADED], {
      env: { PATH: process.env.PATH, GAPWATCH_CONFIG: path.join(dir, 'gapwatch.config.yaml'), GAPWATCH_LOG_LEVEL: 'silent', ...env },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as string[];
  };

  it('an aws-mode service loads no DuckDB, no aws-local-stepfunctions and nothing of src/embedded', async () => {
    const modules = await loaded({
      GAPWATCH_BACKEND: 'aws',
      GAPWATCH_DATA_DIR: path.join(dir, 'aws'),
      GAPWATCH_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline',
      // Nothing answers here: building the app calls no AWS API before it serves.
      AWS_ENDPOINT_URL_ATHENA: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:9',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
    expect(modules.some((m) => m.endsWith('dist/src/backends.js'))).toBe(true);
    expect(modules.filter((m) => EMBEDDED.test(m))).toStrictEqual([]);
  });

  it('an embedded-mode service does load them (the check above can fail)', async () => {
    const modules = await loaded({ GAPWATCH_DATA_DIR: path.join(dir, 'embedded'), GAPWATCH_EMBEDDED_PORT: '0' });
    expect(modules.some((m) => /dist\/src\/embedded-backend\/index\.js$/.test(m))).toBe(true);
    expect(modules.some((m) => /node_modules\/@duckdb\//.test(m))).toBe(true);
  });
});
