/**
 * Results and records on disk (issue 11): a result over its bound fails while it is written and evicts
 * nothing; eviction leaves alone what a reader holds; damaged records and files are errors naming the file,
 * never a failed start, a crash, a short page or an empty success.
 */
import { AthenaServiceException, BatchGetQueryExecutionCommand, GetQueryExecutionCommand, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import pino from 'pino';
import { startEmbedded } from '../../src/embedded/server';
import { ExecutionStore, ResultWriter, type ExecutionRecord } from '../../src/embedded/athena/store';
import { athenaClient, numbers, resultRows, runQuery, startHarness, tempDir } from './helpers';

describe('result size bound', () => {
  it('fails the query that passes its bound while it is written, and evicts nothing to make room', async () => {
    const h = await startHarness({ limits: { maxResultBytesPerQuery: 64 * 1024, maxResultBytes: 256 * 1024 } });
    try {
      const earlier: string[] = [];
      for (let i = 0; i < 3; i++) earlier.push((await runQuery(h.client, `SELECT n FROM ${numbers(1000 + i)}`)).id);
      const { id, execution } = await runQuery(h.client, `SELECT n FROM ${numbers(1_000_000)}`);
      expect(execution.Status!.State).toBe('FAILED');
      expect(execution.Status!.StateChangeReason).toMatch(
        /^EXCEEDED_RESULT_SIZE_LIMIT: Query result exceeds the embedded endpoint's bound of 65536 bytes per result \(limits\.maxResultBytesPerQuery\)/,
      );
      expect(execution.Status!.AthenaError!.ErrorCategory).toBe(2);
      // Its partial files are gone and every earlier result still answers in full.
      for (const ext of ['csv', 'idx', 'crc']) expect(existsSync(join(h.dataDir, 'athena', 'results', `${id}.${ext}`))).toBe(false);
      for (const [i, e] of earlier.entries()) expect(await resultRows(h.client, e)).toHaveLength(1000 + i + 1);
    } finally {
      await h.stop();
    }
  });
});

describe('an execution interrupted while it wrote its result', () => {
  it('is FAILED on the next load, and the fragment of its result it had written is removed', async () => {
    const dir = tempDir();
    let writer: ResultWriter | undefined;
    try {
      const store = new ExecutionStore(dir.path);
      const paths = store.resultPaths('cut');
      writer = await ResultWriter.create(paths, ['x']);
      await writer.append([['a'], ['b']]); // written, never finished: the process died here
      store.save({ id: 'cut', seq: 1, query: 'SELECT 1', workGroup: 'primary', outputLocation: 's3://x/cut.csv', fingerprint: 'cut', statementType: 'DML', state: 'RUNNING', submittedAt: 0, dataScannedInBytes: 0 });
      for (const file of Object.values(paths)) expect(existsSync(file)).toBe(true);
      const [rec] = new ExecutionStore(dir.path).load(1);
      expect(rec).toMatchObject({ id: 'cut', state: 'FAILED', stateChangeReason: 'Query was interrupted because the embedded Athena endpoint stopped' });
      for (const file of Object.values(paths)) expect(existsSync(file)).toBe(false);
    } finally {
      await writer?.abort(); // closes what the "dead" process left open
      dir.remove();
    }
  });
});

describe('results stored by an older gapwatch (a JSON array per line in <id>.rows)', () => {
  /** Writes a result as gapwatch did before results were Athena's CSV: `.rows`, an index from 0, CRC-32s. */
  function writeLegacy(dir: string, id: string, rows: (string | null)[][], damage?: 'checksum'): void {
    const lines = rows.map((r) => JSON.stringify(r) + '\n');
    const results = join(dir, 'athena', 'results');
    const offsets = new Float64Array(rows.length + 1);
    lines.forEach((l, i) => (offsets[i + 1] = offsets[i]! + Buffer.byteLength(l)));
    const sums = new Uint32Array(lines.map((l) => crc32(l)));
    if (damage === 'checksum') sums[0] = sums[0]! ^ 1;
    writeFileSync(join(results, `${id}.rows`), lines.join(''));
    writeFileSync(join(results, `${id}.idx`), new Uint8Array(offsets.buffer));
    writeFileSync(join(results, `${id}.crc`), new Uint8Array(sums.buffer));
    const bytes = offsets[rows.length]! + offsets.byteLength + sums.byteLength;
    const column = (name: string) => ({ CatalogName: 'hive', SchemaName: '', TableName: '', Name: name, Label: name, Type: 'varchar', Precision: 2147483647, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true });
    const record = {
      id,
      seq: id === 'old' ? 1 : 2,
      query: 'SELECT …',
      workGroup: 'primary',
      outputLocation: `s3://gapwatch-embedded/results/${id}.csv`,
      fingerprint: id,
      statementType: 'DML',
      state: 'SUCCEEDED',
      submittedAt: 1,
      completedAt: 2,
      dataScannedInBytes: 0,
      result: { columns: [column('a'), column('b')], rowCount: rows.length, header: true, updateCount: 0, bytes, checksums: 'crc32' },
    };
    writeFileSync(join(dir, 'athena', 'executions', `${id}.json`), JSON.stringify(record));
  }

  it('are rewritten as Athena’s CSV when the endpoint starts: same cells from GetQueryResults, and an S3 object', async () => {
    const dir = tempDir();
    try {
      new ExecutionStore(dir.path); // makes the folders
      const rows = [['x', null], ['', 'say "hi"'], ['two\nlines', '東']];
      writeLegacy(dir.path, 'old', rows);
      writeLegacy(dir.path, 'torn', rows, 'checksum');
      const ep = await startEmbedded({ port: 0, dataDir: dir.path, logger: pino({ level: 'silent' }) });
      const client = athenaClient(ep.url, 1);
      try {
        expect(await resultRows(client, 'old')).toStrictEqual([['a', 'b'], ['x', undefined], ['', 'say "hi"'], ['two\nlines', '東']]);
        const results = join(dir.path, 'athena', 'results');
        expect(readFileSync(join(results, 'old.csv'), 'utf8')).toBe('"a","b"\n"x",\n"","say ""hi"""\n"two\nlines","東"\n');
        expect(existsSync(join(results, 'old.rows'))).toBe(false);
        // One that cannot be read as it was written keeps its files, and says why instead of answering.
        const err = await client.send(new GetQueryResultsCommand({ QueryExecutionId: 'torn' })).catch((e: unknown) => e);
        expect((err as Error).name).toBe('InternalServerException');
        expect((err as Error).message).toMatch(/^The result of query execution torn was stored by an older gapwatch and could not be rewritten: .*torn\.rows row 0 does not match its checksum/);
        expect(existsSync(join(results, 'torn.rows'))).toBe(true);
      } finally {
        client.destroy();
        await ep.close();
      }
      // Rewritten once: a second start finds CSV and leaves it be.
      const again = await startEmbedded({ port: 0, dataDir: dir.path });
      const client2 = athenaClient(again.url, 1);
      try {
        expect(await resultRows(client2, 'old')).toHaveLength(4);
      } finally {
        client2.destroy();
        await again.close();
      }
    } finally {
      dir.remove();
    }
  });
});

describe('eviction and readers', () => {
  const record = (id: string, seq: number, bytes: number): ExecutionRecord => ({
    id,
    seq,
    query: 'SELECT 1',
    workGroup: 'primary',
    outputLocation: `s3://x/${id}.csv`,
    fingerprint: id,
    statementType: 'DML',
    state: 'SUCCEEDED',
    submittedAt: 0,
    dataScannedInBytes: 0,
    result: { columns: [{ Name: 'a', Label: 'a', Type: 'varchar' } as never], rowCount: 1, header: true, updateCount: 0, bytes, checksums: 'crc32', format: 'csv' },
  });

  async function storeResult(store: ExecutionStore, id: string, seq: number): Promise<void> {
    const w = await ResultWriter.create(store.resultPaths(id), ['a']);
    await w.append([['v']]);
    store.save(record(id, seq, (await w.finish()).bytes));
  }

  it('never removes an execution while a reader holds it, and removes it once released', async () => {
    const dir = tempDir();
    try {
      const store = new ExecutionStore(dir.path, { maxExecutions: 1, maxResultBytes: 1 << 30, maxResultBytesPerQuery: 1 << 20 });
      await storeResult(store, 'a', 1);
      const release = store.hold('a');
      await storeResult(store, 'b', 2);
      expect(store.evict()).toStrictEqual([]);
      expect(await store.readRows('a', 0, 1)).toStrictEqual([['v']]);
      release();
      expect(store.get('a')).toBeUndefined();
      expect(existsSync(store.resultPaths('a').csv)).toBe(false);
      expect(await store.readRows('b', 0, 1)).toStrictEqual([['v']]);
    } finally {
      dir.remove();
    }
  });
});

describe('damaged records and result files', () => {
  const logged: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });

  it('starts despite damaged records, logs each by file name, and answers their ids with an error', async () => {
    const dir = tempDir();
    try {
      let good: string;
      let bad: string[];
      {
        const ep = await startEmbedded({ port: 0, dataDir: dir.path });
        const client = athenaClient(ep.url);
        good = (await runQuery(client, 'SELECT 1')).id;
        bad = [];
        for (const n of [2, 3, 4, 5]) bad.push((await runQuery(client, `SELECT ${n}`)).id);
        client.destroy();
        await ep.close();
      }
      const file = (id: string): string => join(dir.path, 'athena', 'executions', `${id}.json`);
      writeFileSync(file(bad[0]), 'null');
      writeFileSync(file(bad[1]), '{"id": "garbage');
      writeFileSync(file(bad[2]), JSON.stringify({ ...JSON.parse(readFileSync(file(bad[2]), 'utf8')), state: 'EXPLODED' }));
      writeFileSync(file(bad[3]), JSON.stringify({ ...JSON.parse(readFileSync(file(bad[3]), 'utf8')), result: undefined }));

      const ep = await startEmbedded({ port: 0, dataDir: dir.path, logger });
      const client = athenaClient(ep.url, 1);
      try {
        expect((await client.send(new GetQueryExecutionCommand({ QueryExecutionId: good }))).QueryExecution!.Status!.State).toBe('SUCCEEDED');
        for (const id of bad) {
          const err = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(AthenaServiceException);
          expect((err as Error).name).toBe('InternalServerException');
          expect((err as Error).message).toMatch(new RegExp(`^The record of query execution ${id} is damaged \\(`));
          expect(logged.some((l) => l.includes(file(id)) && l.includes('damaged execution record'))).toBe(true);
        }
        const batch = await client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: [good, bad[0]] }));
        expect(batch.QueryExecutions!.map((q) => q.QueryExecutionId)).toStrictEqual([good]);
        expect(batch.UnprocessedQueryExecutionIds).toStrictEqual([
          { QueryExecutionId: bad[0], ErrorCode: 'INTERNAL_FAILURE', ErrorMessage: `The record of query execution ${bad[0]} is damaged (expected a JSON object, got null)` },
        ]);
        // New work goes on as usual.
        const after = await runQuery(client, 'SELECT 6');
        expect(await resultRows(client, after.id)).toStrictEqual([['_col0'], ['6']]);
      } finally {
        client.destroy();
        await ep.close();
      }
    } finally {
      dir.remove();
    }
  });

  it('answers a truncated or garbled result file with an error naming it, never a short or empty page', async () => {
    const h = await startHarness({ logger });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await runQuery(h.client, `SELECT n, 'x' AS s FROM ${numbers(50)}`)).id);
      const file = (id: string, ext: string): string => join(h.dataDir, 'athena', 'results', `${id}.${ext}`);
      const paths = (id: string) => ({ csv: file(id, 'csv'), idx: file(id, 'idx'), crc: file(id, 'crc') });
      truncateSync(paths(ids[0]).idx, 16);
      truncateSync(paths(ids[1]).csv, 100);
      // One digit changed: still a valid CSV row of the right shape, so only the checksum can tell.
      const rows = readFileSync(paths(ids[2]).csv);
      expect(rows.toString('utf8', 0, 16)).toBe('"n","s"\n"0","x"\n');
      rows.write('7', 9);
      writeFileSync(paths(ids[2]).csv, rows);
      const idx = readFileSync(paths(ids[3]).idx);
      idx.writeDoubleLE(-5, 8 * 3);
      writeFileSync(paths(ids[3]).idx, idx);
      rmSync(paths(ids[4]).crc);
      const client = athenaClient(h.endpoint.url, 1);
      const expected = [
        `${ids[0]}.idx is 16 bytes, expected 408`,
        `${ids[1]}.csv is 100 bytes, expected`,
        `${ids[2]}.csv row 0 does not match its checksum`,
        `${ids[3]}.idx entry 3 (-5) is not an offset into the rows file`,
        `${ids[4]}.crc is missing`,
      ];
      try {
        for (const [i, id] of ids.entries()) {
          const err = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id })).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(AthenaServiceException);
          expect((err as Error).name).toBe('InternalServerException');
          expect((err as Error).message).toContain(`The result of query execution ${id} is damaged: ${expected[i]}`);
          expect(logged.some((l) => l.includes(id) && l.includes('damaged result file'))).toBe(true);
        }
      } finally {
        client.destroy();
      }
    } finally {
      await h.stop();
    }
  });
});
