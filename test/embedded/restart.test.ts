import { GetQueryExecutionCommand, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { startEmbedded } from '../../src/embedded/server';
import { allPages, athenaClient, numbers, runQuery, SLOW_QUERY, tempDir } from './helpers';

describe('persistence across restarts', () => {
  it('answers an old execution id with its results after a restart on the same dataDir', async () => {
    const dir = tempDir();
    try {
      const first = await startEmbedded({ port: 0, dataDir: dir.path });
      let client = athenaClient(first.url);
      const { id } = await runQuery(client, `SELECT n, CASE WHEN n % 2 = 0 THEN NULL ELSE 'odd' END AS o FROM ${numbers(1500)} ORDER BY n`);
      const failed = await runQuery(client, 'SELECT 1 / 0');
      const before = await allPages(client, id, 700);
      client.destroy();
      await first.close();

      const second = await startEmbedded({ port: 0, dataDir: dir.path });
      client = athenaClient(second.url);
      try {
        const after = await allPages(client, id, 700);
        expect(after.map((p) => p.ResultSet)).toStrictEqual(before.map((p) => p.ResultSet));
        expect(after.map((p) => p.ResultSet!.Rows!.length)).toStrictEqual([700, 700, 101]);
        const exec = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: failed.id }));
        expect(exec.QueryExecution!.Status!.State).toBe('FAILED');
        expect(exec.QueryExecution!.Status!.StateChangeReason).toBe(failed.execution.Status!.StateChangeReason);
        // The sample table is created once and reused, not duplicated.
        const count = await runQuery(client, 'SELECT count(*) FROM market.ticks');
        const res = await client.send(new GetQueryResultsCommand({ QueryExecutionId: count.id }));
        expect(res.ResultSet!.Rows![1]).toStrictEqual({ Data: [{ VarCharValue: '38410' }] });
      } finally {
        client.destroy();
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });

  it('marks an execution that was running when the endpoint stopped as FAILED (retryable)', async () => {
    const dir = tempDir();
    try {
      const first = await startEmbedded({ port: 0, dataDir: dir.path });
      let client = athenaClient(first.url);
      const { StartQueryExecutionCommand } = await import('@aws-sdk/client-athena');
      const { QueryExecutionId } = await client.send(
        new StartQueryExecutionCommand({ QueryString: SLOW_QUERY }),
      );
      client.destroy();
      await first.close();
      const second = await startEmbedded({ port: 0, dataDir: dir.path });
      client = athenaClient(second.url);
      try {
        const exec = await client.send(new GetQueryExecutionCommand({ QueryExecutionId }));
        expect(exec.QueryExecution!.Status).toMatchObject({
          State: 'FAILED',
          AthenaError: { ErrorCategory: 1, Retryable: true },
        });
      } finally {
        client.destroy();
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });

  it('keeps storage bounded: the oldest executions are evicted past maxExecutions', async () => {
    const dir = tempDir();
    const ep = await startEmbedded({ port: 0, dataDir: dir.path, limits: { maxExecutions: 3, maxResultBytes: 1 << 30 } });
    const client = athenaClient(ep.url);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await runQuery(client, `SELECT ${i}`)).id);
      const err = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: ids[0] })).catch((e: Error) => e);
      expect((err as Error).name).toBe('InvalidRequestException');
      const kept = await client.send(new GetQueryResultsCommand({ QueryExecutionId: ids[4] }));
      expect(kept.ResultSet!.Rows![1]).toStrictEqual({ Data: [{ VarCharValue: '4' }] });
    } finally {
      client.destroy();
      await ep.close();
      dir.remove();
    }
  });
});
