import { loadEnvConfig, type Env } from '../config';
import { embeddedKeyPair } from '../embedded/credentials';
import { ConfigError } from '../errors';
import { CliError } from './errors';

/**
 * `gapwatch credentials`: the embedded endpoint's key pair (embedded/credentials.ts) for people who call the
 * endpoint themselves, as shell exports (`eval "$(gapwatch credentials)"`) or JSON. The same data dir and
 * port as the service reads them, so the pair printed is the one the running service's endpoint checks.
 */
export function credentials(env: Env, json: boolean): string {
  let dataDir: string;
  let port: number;
  try {
    ({ dataDir, embeddedPort: port } = loadEnvConfig(env));
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration error: ${err.message}`);
    throw err;
  }
  const pair = (() => {
    try {
      return embeddedKeyPair(dataDir);
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
  })();
  const region = env.AWS_REGION || 'us-east-1';
  const endpoint = `http://127.0.0.1:${port}`;
  if (json) return `${JSON.stringify({ accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey, region, endpoint }, null, 2)}\n`;
  return [
    `# The embedded AWS endpoint's key pair (${dataDir}); use it with --endpoint-url ${endpoint}`,
    `export AWS_ACCESS_KEY_ID='${pair.accessKeyId}'`,
    `export AWS_SECRET_ACCESS_KEY='${pair.secretAccessKey}'`,
    `export AWS_REGION='${region}'`,
    'unset AWS_SESSION_TOKEN',
    '',
  ].join('\n');
}
