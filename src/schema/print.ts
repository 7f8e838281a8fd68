import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printGapwatchSchema } from './build';

/** `npm run schema`: rewrites schema.graphql from the code. */
printGapwatchSchema().then((sdl) => {
  const file = path.resolve(__dirname, '../../../schema.graphql');
  writeFileSync(file, sdl);
  process.stdout.write(`wrote ${file}\n`);
});
