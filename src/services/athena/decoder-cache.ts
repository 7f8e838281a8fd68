/**
 * Decoders of recently read results. Every page of a result carries the same ColumnInfo, and a decoder
 * keeps per-column memos (the last date seen) that serve every page alike, so one is built per result
 * (and hints) and kept while the result is being read: its lifetime is this cache's entry, bounded by
 * count, oldest dropped first.
 */
import type { ColumnInfo } from '@aws-sdk/client-athena';
import { createDecoder, type ResultDecoder } from './decode';

/** Results whose decoders are kept (a decoder is small: a function per column). */
const MAX_DECODERS = 256;

export class DecoderCache {
  /** Oldest first. */
  private readonly decoders = new Map<string, ResultDecoder>();

  for(id: string, columns: ColumnInfo[], hints?: Readonly<Record<string, string>>): ResultDecoder {
    const key = JSON.stringify([id, hints ?? null]);
    let decoder = this.decoders.get(key);
    if (decoder === undefined) {
      decoder = createDecoder(columns, hints);
      if (this.decoders.size >= MAX_DECODERS) this.decoders.delete(this.decoders.keys().next().value!);
      this.decoders.set(key, decoder);
    }
    return decoder;
  }
}
