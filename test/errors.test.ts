import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ErrorCode } from '../src/errors';

describe('the error-code registry', () => {
  it('spells every code one way: UPPER_SNAKE_CASE, the key as its value', () => {
    for (const [key, code] of Object.entries(ErrorCode)) {
      expect(code).toBe(key);
      expect(code).toMatch(/^[A-Z][A-Z_]*[A-Z]$/);
    }
  });

  it('is listed whole in the README, where clients read it', () => {
    const readme = readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
    const paragraph = readme.slice(readme.indexOf('Errors carry a code'), readme.indexOf('\n\n', readme.indexOf('Errors carry a code')));
    expect(Object.values(ErrorCode).filter((code) => !paragraph.includes(`\`${code}\``))).toStrictEqual([]);
  });

  it('means by BAD_REQUEST what Apollo Server does, since clients see both', () => {
    expect(ErrorCode.BAD_REQUEST).toBe(ApolloServerErrorCode.BAD_REQUEST);
  });

  it('is the only place a code is spelled out: no literal extensions.code elsewhere in src', () => {
    const root = path.resolve(__dirname, '../src');
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && f !== 'errors.ts');
    const literal = /\bcode:\s*['"`]/;
    const offenders = files.filter((f) => {
      const text = readFileSync(path.join(root, f), 'utf8');
      return text.split('\n').some((line) => line.includes('extensions') && literal.test(line));
    });
    expect(offenders).toStrictEqual([]);
  });
});
