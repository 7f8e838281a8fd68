import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadEnvConfig } from '../src/config';
import { ConfigError } from '../src/errors';

describe('configuration from the environment', () => {
  it('has the documented defaults', () => {
    expect(loadEnvConfig({})).toStrictEqual({
      port: 4000,
      host: '127.0.0.1',
      backend: 'embedded',
      dataDir: path.resolve('.gapwatch'),
      configFile: path.resolve('gapwatch.config.yaml'),
      logLevel: 'info',
      embeddedPort: 4566,
      allowRawSql: false,
    });
  });

  it.each([
    [{ PORT: 'abc' }, "PORT: expected a port number from 0 to 65535, got 'abc'"],
    [{ PORT: '70000' }, "PORT: expected a port number from 0 to 65535, got '70000'"],
    [{ GAPWATCH_BACKEND: 'gcp' }, "GAPWATCH_BACKEND: expected one of embedded | aws, got 'gcp'"],
    [{ GAPWATCH_LOG_LEVEL: 'loud' }, "GAPWATCH_LOG_LEVEL: expected one of fatal | error | warn | info | debug | trace | silent, got 'loud'"],
    [{ GAPWATCH_ALLOW_RAW_SQL: 'yes' }, "GAPWATCH_ALLOW_RAW_SQL: expected one of true | false, got 'yes'"],
    [{ GAPWATCH_EMBEDDED_PORT: '-1' }, "GAPWATCH_EMBEDDED_PORT: expected a port number from 0 to 65535, got '-1'"],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadEnvConfig(env)).toThrow(new ConfigError(message));
  });

  it('makes the service exit 2 with that message and no stack trace', () => {
    const run = spawnSync(process.execPath, [path.resolve(__dirname, '../dist/src/main.js')], {
      env: { PATH: process.env.PATH, PORT: 'abc' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("gapwatch: configuration error: PORT: expected a port number from 0 to 65535, got 'abc'\n");
  });
});
