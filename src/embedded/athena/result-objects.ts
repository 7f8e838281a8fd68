/**
 * The embedded Athena's results as S3 objects, where Athena puts them: for each SUCCEEDED execution, its
 * OutputLocation `s3://<bucket>/<prefix><id>.csv` (`.txt` for DDL and UTILITY statements) and beside it
 * `<that>.metadata`. Objects exist from the moment the execution SUCCEEDED until it is evicted, like the
 * result itself; a bucket exists while an execution names it, and the default one always.
 *
 * - `.csv` is the stored result file itself (store.ts), byte for byte: the header line, then the rows, each
 *   cell exactly the text GetQueryResults sends.
 * - `.txt` is each row's cells joined by tabs, a line a row, no header and no quoting, as Athena writes DDL
 *   results (PyAthena reads it tab-separated, athena-express line by line); made from the stored rows as it
 *   is read.
 * - `.metadata` is the ColumnInfo in the binary form Athena uses (metadata.ts), made when asked for.
 * - An execution whose statement returns no rows (INSERT, CTAS, CREATE …) has an empty result object.
 *   What Athena writes there is not documented.
 *
 * An object being read holds its execution (the store's `hold`), so eviction waits for the read to end.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ObjectSource, OpenedObject, S3ObjectInfo } from '../s3/handler';
import { parseS3Uri } from '../../services/athena/s3-location';
import { DEFAULT_OUTPUT_LOCATION } from './engine';
import { engineQueryId, resultMetadata } from './metadata';
import { textLine, type ExecutionRecord, type ExecutionStore, type StoredResult } from './store';

const METADATA = '.metadata';
/** Rows read from the store at a time when a `.txt` object is streamed. */
const TEXT_BATCH = 1000;

const DEFAULT_BUCKET = parseS3Uri(DEFAULT_OUTPUT_LOCATION)!.bucket;

const EMPTY_MD5 = createHash('md5').digest('hex');

function csvBytes(result: StoredResult): number {
  return result.bytes === 0 ? 0 : result.bytes - (result.rowCount + 1) * 8 - (result.checksums === 'crc32' ? result.rowCount * 4 : 0);
}

export class ResultObjects implements ObjectSource {
  constructor(private readonly store: ExecutionStore) {}

  bucketExists(bucket: string): boolean {
    return bucket === DEFAULT_BUCKET || this.store.withOutputLocationIn(`s3://${bucket}/`).length > 0;
  }

  buckets(): { name: string; created: number }[] {
    const created = new Map<string, number>([[DEFAULT_BUCKET, 0]]);
    for (const rec of this.store.list()) {
      const bucket = parseS3Uri(rec.outputLocation)?.bucket;
      if (bucket !== undefined) created.set(bucket, Math.min(created.get(bucket) ?? Infinity, rec.submittedAt));
    }
    return [...created].map(([name, at]) => ({ name, created: at }));
  }

  list(bucket: string): S3ObjectInfo[] {
    const out: S3ObjectInfo[] = [];
    for (const rec of this.store.withOutputLocationIn(`s3://${bucket}/`)) {
      const data = this.dataInfo(rec);
      if (!data) continue;
      out.push(data, this.metadataInfo(rec, data.key).info);
    }
    return out;
  }

  async open(bucket: string, key: string): Promise<OpenedObject | undefined> {
    const isMetadata = key.endsWith(METADATA);
    const rec = this.store.byOutputLocation(`s3://${bucket}/${isMetadata ? key.slice(0, -METADATA.length) : key}`);
    if (!rec) return undefined;
    const data = this.dataInfo(rec);
    if (!data) return undefined;
    const release = this.store.hold(rec.id);
    if (isMetadata) {
      const { info, bytes } = this.metadataInfo(rec, data.key);
      return { ...info, read: (start, end) => Readable.from([bytes.subarray(start, end + 1)]), release };
    }
    const result = rec.result!;
    const id = rec.id;
    const read =
      result.text !== undefined
        ? (start: number, end: number) => Readable.from(this.textBytes(id, result, start, end))
        : data.size === 0
          ? () => Readable.from([])
          : (start: number, end: number) => createReadStream(this.store.resultPaths(id).csv, { start, end });
    return { ...data, read, release };
  }

  /** The result object of a SUCCEEDED execution, undefined otherwise (Athena writes none before). */
  private dataInfo(rec: ExecutionRecord): S3ObjectInfo | undefined {
    const result = rec.result;
    const location = parseS3Uri(rec.outputLocation);
    if (rec.state !== 'SUCCEEDED' || !result || !location) return undefined;
    const text = result.text;
    return {
      key: location.key,
      size: text ? text.bytes : csvBytes(result),
      md5: text ? text.md5 : (result.md5 ?? EMPTY_MD5),
      lastModified: rec.completedAt ?? rec.submittedAt,
      contentType: text ? 'text/plain' : 'text/csv',
    };
  }

  private metadataInfo(rec: ExecutionRecord, dataKey: string): { info: S3ObjectInfo; bytes: Buffer } {
    const bytes = resultMetadata(engineQueryId(rec.submittedAt, rec.seq, rec.id), rec.result!.columns);
    return {
      bytes,
      info: {
        key: dataKey + METADATA,
        size: bytes.length,
        md5: createHash('md5').update(bytes).digest('hex'),
        lastModified: rec.completedAt ?? rec.submittedAt,
        contentType: 'application/octet-stream',
      },
    };
  }

  /** Bytes [start, end] of a `.txt` object, made from the stored rows a batch at a time. */
  private async *textBytes(id: string, result: StoredResult, start: number, end: number): AsyncGenerator<Buffer> {
    let at = 0;
    for (let from = 0; from < result.rowCount && at <= end; from += TEXT_BATCH) {
      const rows = await this.store.readRows(id, from, Math.min(result.rowCount, from + TEXT_BATCH));
      const chunk = Buffer.from(rows.map(textLine).join(''), 'utf8');
      const [s, e] = [Math.max(0, start - at), Math.min(chunk.length, end + 1 - at)];
      if (s < e) yield chunk.subarray(s, e);
      at += chunk.length;
    }
  }
}
