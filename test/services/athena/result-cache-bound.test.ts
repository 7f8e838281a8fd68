import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestApp, type TestApp } from '../../support/app';
import { FIRST_PAGE, nextRef, type PageRef } from '../../../src/services/athena/result-pages';
import { numbers } from '../../embedded/helpers';

// The heap is measured after full collections; `gc` is V8's, exposed for this file.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CACHE_MIB = 8;
// GetQueryResults only: the heap measured here would also hold the S3 client's first use, which is not the
// cache's (a page read from the file holds the same values in smaller arrays, so it is counted high).
const CONFIG = `athena:\n  resultCacheMiB: ${CACHE_MIB}\n  resultsFromS3: false\n`;

/**
 * The result cache's limit bounds what it really holds on the heap, whatever the result's shape: a narrow
 * numeric result and nested values were 2.2-2.5× over it when their size was estimated from their text.
 */
describe('the result cache holds no more heap than athena.resultCacheMiB', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: CONFIG, env: { GAPWATCH_ALLOW_RAW_SQL: 'true' } });
  });
  afterAll(() => t.stop());

  const SHAPES: [string, string][] = [
    ['one bigint column', `SELECT n FROM ${numbers(60000)} ORDER BY n`],
    ['nested arrays and rows', `SELECT n AS id, ARRAY[n, n + 1, n + 2] AS xs, CAST(ROW(n, 'text') AS ROW(a bigint, b varchar)) AS r FROM ${numbers(60000)} ORDER BY id`],
    ['five mixed columns', `SELECT n AS id, 'SYM' || CAST(n % 500 AS VARCHAR) AS s, n * 0.25 AS p, n % 7 = 0 AS f, date_add('day', n % 900, DATE '2024-01-01') AS d FROM ${numbers(60000)} ORDER BY id`],
  ];

  it.each(SHAPES)('%s', async (_name, sql) => {
    const athena = t.app.services.athena;
    const id = await athena.start({ sql });
    const done = await athena.wait(id);
    expect(done.state).toBe('SUCCEEDED');
    // The heap without the cache (the shape before's pages, if any, counted as the cache counts them)...
    gc();
    const before = process.memoryUsage().heapUsed - athena.cacheStats().bytes;
    // Read twice: a page read once waits in the cache's probation quarter, read again it enters the rest.
    let pages = 0;
    for (let pass = 0; pass < 2; pass++) {
      let ref: PageRef = FIRST_PAGE;
      for (;;) {
        const page = await athena.page(id, ref);
        pages++;
        if (page.last) break;
        ref = nextRef(page);
      }
    }
    gc();
    // ...and with it, full of this result's pages.
    const held = process.memoryUsage().heapUsed - before;
    const limit = CACHE_MIB * 2 ** 20;
    expect(pages).toBe(2 * 61);
    // Full, so the bound is what stopped it (60 pages of any of these shapes are well over 8 MiB)...
    expect(athena.cacheStats().bytes).toBeGreaterThan(0.75 * limit);
    // ...and what it holds is within the limit, give or take the heap's own noise.
    expect(held).toBeLessThan(1.15 * limit);
  });
});
