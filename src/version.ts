import { readFileSync } from 'node:fs';
import path from 'node:path';

function findVersion(): string {
  // src/version.ts runs from src/ under jest and from dist/src/ when built: walk up to package.json.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version as string;
    } catch {
      if (path.dirname(dir) === dir) return '0.0.0';
    }
  }
}

export const VERSION = findVersion();
