import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * npm 11 runs no dependency's install script unless package.json allows it, and `npm ci` ends with a warning
 * naming every package it has no decision for. Each such package is decided here (allowed or denied), and
 * README says why, so a fresh `npm ci` is quiet and a new one shows up in this test rather than as noise.
 */
const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

const withScripts = [...new Set(Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript).map(([where]) => where.split('node_modules/').at(-1)!))].sort();

it('decides every dependency’s install script in package.json (allowScripts)', () => {
  expect(withScripts.length).toBeGreaterThan(0);
  const decided = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(?<=.)@[^/]*$/, ''));
  expect(withScripts.filter((name) => !decided.includes(name))).toStrictEqual([]);
  // No entry for a package that no longer has a script (npm install-scripts prune would drop it).
  expect(decided.filter((name) => !withScripts.includes(name))).toStrictEqual([]);
});

it('says in README why each one is allowed or denied', () => {
  const section = /^### Install scripts\n([\s\S]*?)(?=^#)/m.exec(readme)?.[1] ?? '';
  expect(withScripts.filter((name) => !section.includes(`\`${name}\``))).toStrictEqual([]);
});
