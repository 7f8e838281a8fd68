#!/usr/bin/env node
'use strict';
// The CLI is compiled TypeScript (npm run build); this file only finds it and says so when it is missing.
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    process.stderr.write(`gapwatch: ${entry} is missing; run 'npm run build' first\n`);
    process.exit(2);
  }
  throw err;
}
cli.run(process.argv.slice(2));
