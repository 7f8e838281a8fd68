/**
 * A cache bounded by an estimate of the bytes its values hold. Results of SUCCEEDED Athena queries never
 * change, so decoded pages can be shared across requests until memory, not time, says otherwise.
 *
 * Without options it is a least-recently-used map. With `probationShare` it resists scans, after the 2Q
 * policy (Johnson and Shasha, VLDB 1994): a new entry waits in a probation queue holding that share of the
 * bound, oldest out first, and hits there do not move it (one reader's requests close together are one
 * use); an entry asked for again after it fell out (its key is remembered for a while) enters the main
 * part, least-recently-used. So a client paging through a million rows once passes through probation and
 * leaves the pages other clients keep coming back to where they were, and it never holds more than the
 * probation share itself: before, such a scan filled the whole bound with pages nobody would read again.
 */
export class ByteBoundedLru<V> {
  /** Entries seen once, oldest first (2Q's A1in); empty without a probation share. */
  private readonly probation = new Map<string, { value: V; bytes: number }>();
  /** Entries wanted again, least recently used first (2Q's Am; the whole cache without a probation share). */
  private readonly main = new Map<string, { value: V; bytes: number }>();
  /** Keys that fell out of probation, oldest first, with what each costs to remember (2Q's A1out). */
  private readonly ghosts = new Map<string, number>();
  private probationBytes = 0;
  private mainBytes = 0;
  private ghostBytes = 0;
  private readonly probationMax: number;
  private readonly ghostMax: number;
  /** Lookups that found their key, and that did not (the result-cache hit ratio in /metrics). */
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxBytes: number,
    options: { probationShare?: number } = {},
  ) {
    this.probationMax = Math.floor(maxBytes * (options.probationShare ?? 0));
    // Remembering a key costs its text: 1/64 of the bound (at least 64 KiB) remembers thousands of page keys.
    this.ghostMax = this.probationMax > 0 ? Math.max(Math.floor(maxBytes / 64), 64 * 1024) : 0;
  }

  get size(): number {
    return this.probation.size + this.main.size;
  }

  get bytes(): number {
    return this.probationBytes + this.mainBytes;
  }

  get(key: string): V | undefined {
    const entry = this.main.get(key);
    if (entry) {
      this.hits++;
      // Re-insert so iteration order is least-recently-used first.
      this.main.delete(key);
      this.main.set(key, entry);
      return entry.value;
    }
    const seen = this.probation.get(key);
    if (seen) {
      this.hits++;
      return seen.value;
    }
    this.misses++;
    return undefined;
  }

  set(key: string, value: V, bytes: number): void {
    this.remove(key);
    if (this.probationMax > 0 && !this.ghosts.has(key)) {
      if (bytes > this.probationMax) {
        // Too big to wait in probation: remembered, so that if it is asked for again it goes to the main part.
        this.remember(key);
        return;
      }
      this.probation.set(key, { value, bytes });
      this.probationBytes += bytes;
      for (const [k, e] of this.probation) {
        if (this.probationBytes <= this.probationMax) break;
        this.probation.delete(k);
        this.probationBytes -= e.bytes;
        this.remember(k);
      }
      return;
    }
    this.forget(key);
    const mainMax = this.maxBytes - this.probationMax;
    if (bytes > mainMax) return; // would evict everything and still not fit
    this.main.set(key, { value, bytes });
    this.mainBytes += bytes;
    for (const [k, e] of this.main) {
      if (this.mainBytes <= mainMax) break;
      this.main.delete(k);
      this.mainBytes -= e.bytes;
    }
  }

  private remove(key: string): void {
    const inMain = this.main.get(key);
    if (inMain) {
      this.main.delete(key);
      this.mainBytes -= inMain.bytes;
    }
    const inProbation = this.probation.get(key);
    if (inProbation) {
      this.probation.delete(key);
      this.probationBytes -= inProbation.bytes;
    }
  }

  private remember(key: string): void {
    const cost = 64 + key.length * 2;
    this.ghosts.set(key, cost);
    this.ghostBytes += cost;
    for (const [k, c] of this.ghosts) {
      if (this.ghostBytes <= this.ghostMax) break;
      this.ghosts.delete(k);
      this.ghostBytes -= c;
    }
  }

  private forget(key: string): void {
    const cost = this.ghosts.get(key);
    if (cost === undefined) return;
    this.ghosts.delete(key);
    this.ghostBytes -= cost;
  }
}
