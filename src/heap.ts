/**
 * The service's heap policy, set before the service allocates (main.ts imports this first).
 *
 * V8 lets a heap grow to a multiple of what was live after the last full collection (up to 4×) before it
 * collects again. Paging a large result leaves mostly short-lived garbage (response strings, decoded pages
 * evicted from the result cache), so with a 64 MiB result cache live, the service's RSS reached ~720 MB
 * while a client paged a million rows, of which ~100 MB was live (docs/performance.md). Growing by 30%
 * bounded that to ~450 MB, but made paging's major collections frequent enough to cost ~10% of its time;
 * now that the cache resists scans and DuckDB's memory is handed back after a query (peak ~280 MB), 70%
 * keeps the peak at ~285 MB and paging at the speed of V8's default (embedded paging vs the raw SDK,
 * interleaved: 1.43/1.35/1.29× at 30%, 1.28/1.31/1.34× at 70%). The flag is process-wide, so the
 * embedded endpoint's worker thread (its own heap) follows it too. No hard heap limit: a large gap check
 * may need more, and it gets it.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--heap-growing-percent=70');
