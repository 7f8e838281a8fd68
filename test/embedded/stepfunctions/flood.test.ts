/**
 * A history flood (issue 20): a machine looping Pass states with a large payload wrote ≈100 MB/s of
 * history until the endpoint's worker ran out of memory, and the multi-GB history then failed every later
 * start. Each execution's history is bounded in bytes as well as events; the flood fails that execution,
 * never the endpoint, and a history too large to read is skipped at start.
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, ListStateMachinesCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { MAX_HISTORY_BYTES } from '../../../src/embedded/stepfunctions/engine';
import { tempDir } from '../helpers';
import { fullHistory, startSfn, waitForEnd, type SfnHarness } from './helpers';

const LOOP = JSON.stringify({
  StartAt: 'A',
  States: {
    A: { Type: 'Pass', Next: 'B' },
    B: { Type: 'Choice', Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }], Default: 'A' },
    Done: { Type: 'Succeed' },
  },
});

async function flood(h: SfnHarness, payloadBytes: number): Promise<string> {
  const m = await h.client.send(new CreateStateMachineCommand({ name: 'flood', roleArn: 'arn:aws:iam::000000000000:role/r', definition: LOOP }));
  const input = JSON.stringify({ p: 'x'.repeat(payloadBytes) });
  return (await h.client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, input }))).executionArn!;
}

const historyFile = (h: SfnHarness, seq: number): string => path.join(h.dataDir, 'stepfunctions', 'executions', `${seq}.events`);

describe('a history flood', () => {
  it('fails the execution at the byte bound (States.Runtime naming it), well before 25,000 events', async () => {
    const h = await startSfn(undefined, { maxHistoryBytes: 1024 * 1024 });
    try {
      const arn = await flood(h, 4096);
      const d = await waitForEnd(h.client, arn);
      expect(d.status).toBe('FAILED');
      expect(d.error).toBe('States.Runtime');
      expect(d.cause).toBe('The execution reached the embedded endpoint\'s limit of 1048576 bytes of history (maxHistoryBytes)');
      const events = await fullHistory(h.client, arn, { maxResults: 1000 });
      expect(events.length).toBeLessThan(300);
      expect(events[events.length - 1].type).toBe('ExecutionFailed');
      const size = statSync(historyFile(h, 1)).size;
      expect(size).toBeLessThanOrEqual(1024 * 1024 + 4096);
      // The endpoint serves on.
      expect((await h.client.send(new ListStateMachinesCommand({}))).stateMachines!.length).toBe(2);
    } finally {
      await h.stop();
    }
  });

  it(`bounds a 200 KiB payload loop at the default ${MAX_HISTORY_BYTES} bytes`, async () => {
    const h = await startSfn();
    try {
      const arn = await flood(h, 200 * 1024);
      const d = await waitForEnd(h.client, arn);
      expect(d).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
      expect(d.cause).toMatch(new RegExp(`limit of ${MAX_HISTORY_BYTES} bytes of history`));
      expect(statSync(historyFile(h, 1)).size).toBeLessThanOrEqual(MAX_HISTORY_BYTES + 300 * 1024);
    } finally {
      await h.stop();
    }
  });
});

describe('many floods, each under the bound', () => {
  const historyBytes = (h: SfnHarness): number => {
    const dir = path.join(h.dataDir, 'stepfunctions', 'executions');
    return readdirSync(dir).filter((f) => f.endsWith('.events')).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
  };

  it('hold at most maxTotalHistoryBytes in all: the oldest finished histories go first, and a run that finds none to drop fails', async () => {
    const h = await startSfn(undefined, { maxHistoryBytes: 256 * 1024, maxTotalHistoryBytes: 1024 * 1024 });
    const dir = h.dataDir;
    try {
      // One after another: each ends at its own bound, and the oldest are forgotten to make room.
      const first = await flood(h, 4096);
      expect(await waitForEnd(h.client, first)).toMatchObject({ status: 'FAILED', cause: expect.stringMatching(/limit of 262144 bytes of history \(maxHistoryBytes\)$/) });
      const machine = first.replace(/:execution:(flood):.*$/, ':stateMachine:$1');
      const start = async () => (await h.client.send(new StartExecutionCommand({ stateMachineArn: machine, input: JSON.stringify({ p: 'x'.repeat(4096) }) }))).executionArn!;
      for (let i = 0; i < 5; i++) expect(await waitForEnd(h.client, await start())).toMatchObject({ status: 'FAILED', cause: expect.stringMatching(/\(maxHistoryBytes\)$/) });
      expect(historyBytes(h)).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
      await expect(h.client.send(new DescribeExecutionCommand({ executionArn: first }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });

      // At once: running histories cannot be dropped, so runs fail at the endpoint's total instead (and,
      // finished, are the oldest to drop when the others need room: a run may be forgotten by its end).
      const together = await Promise.all(Array.from({ length: 6 }, start));
      const ends = await Promise.all(
        together.map((arn) => waitForEnd(h.client, arn).then((d) => d.cause!, (err: Error) => (err.name === 'ExecutionDoesNotExist' ? 'forgotten' : Promise.reject(err)))),
      );
      expect(ends.every((cause) => cause === 'forgotten' || /\((maxHistoryBytes|maxTotalHistoryBytes)\)$/.test(cause))).toBe(true);
      expect(ends.filter((cause) => cause === 'forgotten' || /bytes of history in all \(maxTotalHistoryBytes\)$/.test(cause)).length).toBeGreaterThan(0);
      expect(historyBytes(h)).toBeLessThanOrEqual(1024 * 1024 + 6 * 64 * 1024);
      expect((await h.client.send(new ListStateMachinesCommand({}))).stateMachines!.length).toBe(2);
      await h.close();

      // A restart counts what is on disk: the next flood still makes room rather than adding to it.
      const again = await startSfn(dir, { maxHistoryBytes: 256 * 1024, maxTotalHistoryBytes: 1024 * 1024 });
      try {
        const m = await again.client.send(new CreateStateMachineCommand({ name: 'flood2', roleArn: 'arn:aws:iam::000000000000:role/r', definition: LOOP }));
        const arn = (await again.client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, input: JSON.stringify({ p: 'x'.repeat(4096) }) }))).executionArn!;
        expect(await waitForEnd(again.client, arn)).toMatchObject({ status: 'FAILED', cause: expect.stringMatching(/\(maxHistoryBytes\)$/) });
        expect(historyBytes(again)).toBeLessThanOrEqual(1024 * 1024 + 6 * 64 * 1024);
      } finally {
        await again.close();
      }
    } finally {
      await h.stop();
    }
  });
});

describe('the endpoint under floods', () => {
  it('answers StopExecution promptly: a state loop yields between states, so a flood is stopped mid-way', async () => {
    const h = await startSfn();
    try {
      const arns = [await flood(h, 1024)];
      for (let i = 0; i < 3; i++) arns.push((await h.client.send(new StartExecutionCommand({ stateMachineArn: arns[0].replace(/:execution:(flood):.*$/, ':stateMachine:$1'), input: JSON.stringify({ p: 'y'.repeat(1024) }) }))).executionArn!);
      // Requests are answered while the four loop: history grows between two reads of it.
      const first = (await h.client.send(new GetExecutionHistoryCommand({ executionArn: arns[0], reverseOrder: true, maxResults: 1 }))).events![0].id!;
      const second = (await h.client.send(new GetExecutionHistoryCommand({ executionArn: arns[0], reverseOrder: true, maxResults: 1 }))).events![0].id!;
      expect(second).toBeGreaterThan(first);
      for (const arn of arns) await h.client.send(new StopExecutionCommand({ executionArn: arn }));
      for (const arn of arns) {
        const d = await waitForEnd(h.client, arn);
        expect(d.status).toBe('ABORTED');
        const events = await fullHistory(h.client, arn, { maxResults: 1000 });
        expect(events.length).toBeLessThan(25_000);
        expect(events[events.length - 1].type).toBe('ExecutionAborted');
      }
    } finally {
      await h.stop();
    }
  });
});

describe('a history too large to read at start', () => {
  it('is skipped with a log line: the start succeeds, the run is closed FAILED, its history refused with a coded error', async () => {
    const dir = tempDir('gapwatch-sfn-');
    try {
      const first = await startSfn(dir.path);
      const arn = await flood(first, 10);
      await waitForEnd(first.client, arn);
      await first.close();
      // As the flood left it: a history past what one string can hold (sparse: no disk is used), and the
      // record still RUNNING because the worker died before it could close it.
      const rec = path.join(dir.path, 'stepfunctions', 'executions', '1.json');
      writeFileSync(rec, JSON.stringify({ ...JSON.parse(readFileSync(rec, 'utf8')), status: 'RUNNING', stopDate: undefined, error: undefined, cause: undefined }));
      const events = path.join(dir.path, 'stepfunctions', 'executions', '1.events');
      truncateSync(events, 600 * 1024 * 1024);
      appendFileSync(events, '\n');

      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
      const second = await startSfn(dir.path, { logger });
      try {
        expect(lines.some((l) => /history over the bound/.test(l) && /1\.events/.test(l))).toBe(true);
        const d = await waitForEnd(second.client, arn);
        expect(d).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
        expect(d.cause).toMatch(/its history is 629145601 bytes, over the embedded endpoint's limit of \d+ bytes, so it was not read/);
        const err = (await second.client.send(new GetExecutionHistoryCommand({ executionArn: arn })).catch((e: unknown) => e)) as Error & { $metadata?: { httpStatusCode?: number } };
        expect(err.name).toBe('InternalServerException');
        expect(err.message).toMatch(/over the embedded endpoint's limit/);
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
