import { readFileSync } from 'node:fs';
import path from 'node:path';
import { printGapwatchSchema } from '../src/schema/build';

it('schema.graphql is the SDL the code builds (run `npm run schema` after an API change)', async () => {
  const committed = readFileSync(path.resolve(__dirname, '../schema.graphql'), 'utf8');
  expect(await printGapwatchSchema()).toBe(committed);
});
