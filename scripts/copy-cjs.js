#!/usr/bin/env node
'use strict';
// Runs after tsc (npm run build): tsc emits only what it compiles, and the Trino grammar is a checked-in
// CommonJS file (src/embedded/athena/sql/trino/grammar.cjs, see scripts/trino-grammar.js) that the compiled
// code requires beside it. So every .cjs under src is copied to the same place under dist/src.
const { copyFileSync, mkdirSync, readdirSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function copy(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) copy(full);
    else if (entry.name.endsWith('.cjs')) {
      const target = path.join(root, 'dist', path.relative(root, full));
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(full, target);
    }
  }
}

copy(path.join(root, 'src'));
