/**
 * Results and records on disk (issue 11): a result over its bound fails while it is written and evicts
 * nothing; eviction leaves alone what a reader holds; damaged records and files are errors naming the file,
 * never a failed start, a crash, a short page or an empty success.
 */
import { AthenaServiceException, BatchGetQueryExecutionCommand, GetQueryExecutionCommand, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { startEmbedded } from '../../src/embedded/server';
import { ExecutionStore, ResultWriter, type ExecutionRecord } from '../../src/embedded/athena/store';
import { athenaClient, resultRows, runQuery, startHarness, tempDir } from './helpers';

describe('result size bound', () => {
  it('fails the query that passes its bound while it is written, and evicts nothing to make room', async () => {
    const h = await startHarness({ limits: { maxResultBytesPerQuery: 64 * 1024, maxResultBytes: 256 * 1024 } });
    try {
      const earlier: string[] = [];
      for (let i = 0; i < 3; i++) earlier.push((await runQuery(h.client, `SELECT range AS n FROM range(${1000 + i})`)).id);
      const { id, execution } = await runQuery(h.client, 'SELECT range AS n FROM range(1000000)');
      expect(execution.Status!.State).toBe('FAILED');
      expect(execution.Status!.StateChangeReason).toMatch(
        /^EXCEEDED_RESULT_SIZE_LIMIT: Query result exceeds the embedded endpoint's bound of 65536 bytes per result \(limits\.maxResultBytesPerQuery\)/,
      );
      expect(execution.Status!.AthenaError!.ErrorCategory).toBe(2);
      // Its partial files are gone and every earlier result still answers in full.
      for (const ext of ['rows', 'idx', 'crc']) expect(existsSync(join(h.dataDir, 'athena', 'results', `${id}.${ext}`))).toBe(false);
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
      writer = await ResultWriter.create(paths);
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
    result: { columns: [{ Name: 'a', Label: 'a', Type: 'varchar' } as never], rowCount: 1, header: true, updateCount: 0, bytes, checksums: 'crc32' },
  });

  async function storeResult(store: ExecutionStore, id: string, seq: number): Promise<void> {
    const w = await ResultWriter.create(store.resultPaths(id));
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
      expect(existsSync(store.resultPaths('a').rows)).toBe(false);
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
      for (let i = 0; i < 5; i++) ids.push((await runQuery(h.client, 'SELECT range AS n, \'x\' AS s FROM range(50)')).id);
      const file = (id: string, ext: string): string => join(h.dataDir, 'athena', 'results', `${id}.${ext}`);
      const paths = (id: string) => ({ rows: file(id, 'rows'), idx: file(id, 'idx'), crc: file(id, 'crc') });
      truncateSync(paths(ids[0]).idx, 16);
      truncateSync(paths(ids[1]).rows, 100);
      // One digit changed: still valid JSON of the right shape, so only the checksum can tell.
      const rows = readFileSync(paths(ids[2]).rows);
      expect(rows.toString('utf8', 0, 10)).toBe('["0","x"]\n');
      rows.write('7', 2);
      writeFileSync(paths(ids[2]).rows, rows);
      const idx = readFileSync(paths(ids[3]).idx);
      idx.writeDoubleLE(-5, 8 * 3);
      writeFileSync(paths(ids[3]).idx, idx);
      rmSync(paths(ids[4]).crc);
      const client = athenaClient(h.endpoint.url, 1);
      const expected = [
        `${ids[0]}.idx is 16 bytes, expected 408`,
        `${ids[1]}.rows is 100 bytes, expected`,
        `${ids[2]}.rows row 0 does not match its checksum`,
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
