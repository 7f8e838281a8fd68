#!/usr/bin/env node
'use strict';
// Runs before tsc (npm run build). tsc never deletes what it once emitted for a source that has since been
// moved or deleted, and a stale output can shadow the new one: after src/embedded/athena/sql.ts became the
// folder sql/, require('./sql') still loaded the old dist/…/sql.js. So outputs without a source go first.
const { existsSync, readdirSync, rmSync, rmdirSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/** The TypeScript source an emitted file came from: dist/src/a/b.js(.map) ← src/a/b.ts. */
function sourceOf(file) {
  const rel = path.relative(dist, file).replace(/\.map$/, '');
  return path.join(root, rel.replace(/\.js$/, '.ts'));
}

function prune(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(full);
      if (readdirSync(full).length === 0) rmdirSync(full);
    } else if (/\.js(\.map)?$/.test(entry.name) && !existsSync(sourceOf(full))) {
      rmSync(full);
    }
  }
}

for (const top of ['src', 'bench']) {
  if (existsSync(path.join(dist, top))) prune(path.join(dist, top));
}
