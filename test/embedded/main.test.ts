import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, PortInUseError } from '../../src/errors';
import { helpText, startEmbeddedFromEnv, startupFailure } from '../../src/embedded/main';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { athenaClient, resultRows, runQuery, tempDir } from './helpers';
import { sfnClient } from './stepfunctions/helpers';

/** Collects what the entry point prints. */
function sink(): { write(text: string): void; text(): string } {
  let out = '';
  return { write: (t) => void (out += t), text: () => out };
}

describe('npm run embedded (src/embedded/main.ts)', () => {
  it('takes port, data dir and local tables from the same settings as the app and prints the endpoint', async () => {
    const dir = tempDir();
    writeFileSync(join(dir.path, 'prices.csv'), 'symbol,price\nAMZN,1.5\nGOOG,2.5\n');
    writeFileSync(
      join(dir.path, 'gapwatch.config.yaml'),
      'embedded:\n  tables:\n    - { database: lake, name: prices, location: prices.csv, format: csv }\n',
    );
    const out = sink();
    const { endpoint } = await startEmbeddedFromEnv(
      { GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_DATA_DIR: join(dir.path, 'data'), GAPWATCH_CONFIG: join(dir.path, 'gapwatch.config.yaml'), GAPWATCH_LOG_LEVEL: 'silent' },
      out,
    );
    const client = athenaClient(endpoint.url);
    try {
      expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out.text()).toBe(helpText(endpoint.url, join(dir.path, 'data')));
      expect(out.text()).toContain(`Embedded Athena endpoint: ${endpoint.url}   (data in ${join(dir.path, 'data')})`);
      const { id } = await runQuery(client, 'SELECT symbol, price FROM lake.prices ORDER BY symbol');
      expect(await resultRows(client, id)).toStrictEqual([
        ['symbol', 'price'],
        ['AMZN', '1.5'],
        ['GOOG', '2.5'],
      ]);
      // Step Functions answers on the same endpoint, with no machines until one is created.
      const sfn = sfnClient(endpoint.url);
      expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines).toStrictEqual([]);
      sfn.destroy();
    } finally {
      client.destroy();
      await endpoint.close();
      dir.remove();
    }
  });

  it('refuses bad settings with the ConfigError src/config.ts gives, before listening', async () => {
    const dir = tempDir();
    try {
      const out = sink();
      const bad = startEmbeddedFromEnv({ GAPWATCH_EMBEDDED_PORT: '70000', GAPWATCH_DATA_DIR: dir.path }, out);
      await expect(bad).rejects.toStrictEqual(new ConfigError("GAPWATCH_EMBEDDED_PORT: expected a port number from 0 to 65535, got '70000'"));
      const config = join(dir.path, 'gapwatch.config.yaml');
      writeFileSync(config, 'embeded:\n  tables: []\n');
      await expect(startEmbeddedFromEnv({ GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_DATA_DIR: dir.path, GAPWATCH_CONFIG: config }, out)).rejects.toStrictEqual(
        new ConfigError(`${config}: unknown section 'embeded'; expected athena, namedQueries, datasets, embedded, limits`),
      );
      expect(out.text()).toBe('');
    } finally {
      dir.remove();
    }
  });

  it('exits 2 on a configuration error and 1 on any other start-up failure, with one line on stderr', () => {
    expect(startupFailure(new ConfigError("GAPWATCH_EMBEDDED_PORT: expected a port number from 0 to 65535, got 'x'"))).toStrictEqual({
      exitCode: 2,
      line: "gapwatch embedded: configuration error: GAPWATCH_EMBEDDED_PORT: expected a port number from 0 to 65535, got 'x'\n",
    });
    expect(startupFailure(new PortInUseError(4566, '127.0.0.1', 'GAPWATCH_EMBEDDED_PORT'))).toStrictEqual({
      exitCode: 1,
      line: 'gapwatch embedded: port 4566 on 127.0.0.1 (the embedded AWS endpoint) is in use (another gapwatch, or npm run embedded?): stop it, or set GAPWATCH_EMBEDDED_PORT to another port (0 = any free port)\n',
    });
    const unforeseen = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), { code: 'EACCES' });
    expect(startupFailure(unforeseen)).toStrictEqual({
      exitCode: 1,
      line: 'gapwatch embedded: failed to start: Error: listen EACCES: permission denied 127.0.0.1:80\n',
    });
  });
});
