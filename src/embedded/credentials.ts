/**
 * The embedded endpoint's own key pair. When gapwatch has API keys its clients must prove who they are, and
 * so must anyone else on the machine who calls the embedded endpoint (server.ts verifies SigV4 then): the
 * pair is generated at first start and kept in the data dir, readable by its owner only, so the service's
 * own SDK clients, an in-process `gapwatch check` and `gapwatch credentials` (for the AWS CLI) all use the
 * same one, and another user of the machine cannot.
 */
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError } from '../errors';
import type { KeyPair } from './sigv4';

export const CREDENTIALS_FILE = 'embedded-credentials.json';

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function generate(): KeyPair {
  // AWS's look: a 20-character upper-case id and a 40-character secret.
  const id = [...randomBytes(18)].map((b) => BASE32[b % 32]).join('');
  return { accessKeyId: `GW${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

function isKeyPair(v: unknown): v is KeyPair {
  const k = v as KeyPair | null;
  return typeof k === 'object' && k !== null && typeof k.accessKeyId === 'string' && ACCESS_KEY_ID.test(k.accessKeyId) && typeof k.secretAccessKey === 'string' && k.secretAccessKey.length >= 16;
}

/**
 * The data dir's key pair, created (mode 0600) when there is none. Two processes starting at once agree:
 * the file appears whole or not at all (written aside, then linked in place, which fails if one is there).
 */
export function embeddedKeyPair(dataDir: string): KeyPair {
  const file = path.join(dataDir, CREDENTIALS_FILE);
  mkdirSync(dataDir, { recursive: true });
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`GAPWATCH_DATA_DIR: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (text === undefined) {
    const pair = generate();
    const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(aside, `${JSON.stringify(pair, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(aside, file);
      return pair;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      text = readFileSync(file, 'utf8');
    } finally {
      rmSync(aside, { force: true });
    }
  }
  let pair: unknown;
  try {
    pair = JSON.parse(text);
  } catch {
    pair = undefined;
  }
  if (!isKeyPair(pair)) throw new ConfigError(`GAPWATCH_DATA_DIR: ${file} is not a key pair gapwatch wrote; delete it and gapwatch makes a new one at its next start`);
  // Kept private even if someone loosened it: the pair is what stands between other users and the endpoint.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return { accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey };
}
