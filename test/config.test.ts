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
      access: { keys: [], allowAnonymous: false, corsOrigins: [], introspection: true, explorer: true },
      drainMs: 10_000,
      historyCallsPerSecond: 20,
    });
  });

  it.each([
    [{ PORT: 'abc' }, "PORT: expected a port number from 0 to 65535, got 'abc'"],
    [{ PORT: '70000' }, "PORT: expected a port number from 0 to 65535, got '70000'"],
    [{ GAPWATCH_BACKEND: 'gcp' }, "GAPWATCH_BACKEND: expected one of embedded | aws, got 'gcp'"],
    [{ GAPWATCH_LOG_LEVEL: 'loud' }, "GAPWATCH_LOG_LEVEL: expected one of fatal | error | warn | info | debug | trace | silent, got 'loud'"],
    [{ GAPWATCH_ALLOW_RAW_SQL: 'yes' }, "GAPWATCH_ALLOW_RAW_SQL: expected one of true | false, got 'yes'"],
    [{ REDIS_URL: 'http://cache:6379' }, "REDIS_URL: expected the redis: or rediss: scheme, got 'http:'"],
    [{ REDIS_URL: 'redis//no-scheme' }, 'REDIS_URL: expected redis://[user:password@]host:port[/db] or rediss://…, got a value that is not a URL'],
    [{ GAPWATCH_HISTORY_CALLS_PER_SECOND: '0' }, "GAPWATCH_HISTORY_CALLS_PER_SECOND: expected calls per second above 0 and at most 1000, got '0'"],
    [{ GAPWATCH_EMBEDDED_PORT: '-1' }, "GAPWATCH_EMBEDDED_PORT: expected a port number from 0 to 65535, got '-1'"],
    [{ GAPWATCH_API_KEYS: 'ci:admin:0123456789abcdef' }, "GAPWATCH_API_KEYS: entry 1 (ci): role must be one of reader | operator, got 'admin'"],
    [{ GAPWATCH_API_KEYS: 'ci:reader:short' }, 'GAPWATCH_API_KEYS: entry 1 (ci): secret must be at least 16 characters'],
    [{ GAPWATCH_API_KEYS: 'ci:reader' }, 'GAPWATCH_API_KEYS: entry 1: expected id:role:secret'],
    [{ GAPWATCH_API_KEYS: 'a:reader:0123456789abcdef,a:operator:fedcba9876543210' }, "GAPWATCH_API_KEYS: entry 2: id 'a' appears twice"],
    [{ GAPWATCH_CORS_ORIGINS: 'https://app.example.com/path' }, "GAPWATCH_CORS_ORIGINS: expected origins like https://app.example.com (scheme, host, optional port, no path), got 'https://app.example.com/path'"],
    [{ GAPWATCH_DRAIN_MS: 'soon' }, "GAPWATCH_DRAIN_MS: expected milliseconds from 0 to 120000, got 'soon'"],
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
