import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The checked-in grammar bundle is what scripts/trino-grammar.js makes from the installed dt-sql-parser: a
// dependency bump that changes the grammar fails here until the file is regenerated.
it('src/embedded/athena/sql/trino/grammar.cjs is up to date (node scripts/trino-grammar.js)', () => {
  const { generate } = require('../../../scripts/trino-grammar.js') as { generate(): string };
  const checkedIn = readFileSync(join(__dirname, '../../../src/embedded/athena/sql/trino/grammar.cjs'), 'utf8');
  expect(checkedIn === generate()).toBe(true);
});
