/**
 * The service's heap policy, set before the service allocates (main.ts imports this first).
 *
 * V8 lets a heap grow to a multiple of what was live after the last full collection (up to 4×) before it
 * collects again. Paging a large result leaves mostly short-lived garbage (response strings, decoded pages
 * evicted from the result cache), so with a 64 MiB result cache live, the service's RSS reached ~720 MB
 * while a client paged a million rows, of which ~100 MB was live (docs/performance.md). Growing by 30%
 * instead bounds that headroom: the same paging peaked at ~450 MB. The flag is process-wide, so the
 * embedded endpoint's worker thread (its own heap) follows it too. No hard heap limit: a large gap check
 * may need more, and it gets it.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--heap-growing-percent=30');
