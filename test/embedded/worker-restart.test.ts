/**
 * If the embedded endpoint's worker dies anyway (issue 20: a flood ended it with ERR_WORKER_OUT_OF_MEMORY,
 * its port closed, and the service's /healthz still answered ok): the host starts it again on the same port,
 * a bounded number of times, and says it is down meanwhile; past the bound it gives up, and the service's
 * /healthz fails so that an orchestrator restarts the process.
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, ListStateMachinesCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { EmbeddedEndpoint } from '../../src/embedded/server';
import { startEmbeddedWorker } from '../../src/embedded/worker-host';
import { startTestApp } from '../support/app';
import { startBuiltService } from '../support/built-service';
import { tempDir } from './helpers';
import { sfnClient } from './stepfunctions/helpers';

/**
 * Pass states carrying a large payload with a Wait between them, so that many such executions run side by
 * side: each stays within its history bound, together they are more than a 64 MiB heap holds.
 */
const WIDE_FLOOD = JSON.stringify({
  StartAt: 'A',
  States: {
    A: { Type: 'Pass', Next: 'W' },
    W: { Type: 'Wait', Seconds: 2, Next: 'C' },
    C: { Type: 'Choice', Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }], Default: 'A' },
    Done: { Type: 'Succeed' },
  },
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts executions of the wide flood (until the endpoint stops answering), then sends nothing more: their
 * memory grows with each 2 s Wait, so the worker runs out of it after the starts are answered. (Node 20 can
 * abort the whole process when a worker is ended for its heap while it parses an HTTP request: `FATAL ERROR:
 * v8::ToLocalChecked Empty MaybeLocal` in llhttp, seen once in bench:flood while a client polled.)
 */
async function overwhelm(sfn: SFNClient, machine: string): Promise<string[]> {
  const input = JSON.stringify({ p: 'x'.repeat(200 * 1024) });
  const started: string[] = [];
  for (let i = 0; i < 40; i++) {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input })).catch(() => undefined);
    if (!out) break;
    started.push(out.executionArn!);
  }
  return started;
}

describe('a worker that dies', () => {
  it('is restarted on the same port; its running executions are closed as interrupted; health says down meanwhile', async () => {
    const dir = tempDir('gapwatch-worker-restart-');
    let endpoint: EmbeddedEndpoint | undefined;
    const sfn = (url: string) => sfnClient(url);
    const downs: boolean[] = [];
    try {
      endpoint = await startEmbeddedWorker({ port: 0, dataDir: dir.path, stepFunctions: { dataDir: dir.path }, heapLimitMiB: 64 });
      const ep = endpoint;
      const watch = setInterval(() => downs.push(!ep.health().up), 10);
      const client = sfn(ep.url);
      try {
        const machine = (await client.send(new CreateStateMachineCommand({ name: 'wide', roleArn: 'arn:aws:iam::000000000000:role/r', definition: WIDE_FLOOD }))).stateMachineArn!;
        const started = await overwhelm(client, machine);
        await until('the worker to die', () => downs.includes(true));
        await until('the worker to serve again', () => ep.health().up);
        clearInterval(watch);
        // The same URL serves again, with what was stored before.
        const machines = await client.send(new ListStateMachinesCommand({}));
        expect(machines.stateMachines!.map((m) => m.name)).toContain('wide');
        const d = await client.send(new DescribeExecutionCommand({ executionArn: started[0] }));
        expect(d.status).toBe('FAILED');
      } finally {
        clearInterval(watch);
        client.destroy();
      }
    } finally {
      await endpoint?.close();
      dir.remove();
    }
  });

  it('past its restarts it stays down and the host is told, once', async () => {
    const dir = tempDir('gapwatch-worker-restart-');
    const gaveUp: Error[] = [];
    const endpoint = await startEmbeddedWorker({
      port: 0,
      dataDir: dir.path,
      stepFunctions: { dataDir: dir.path },
      heapLimitMiB: 64,
      restarts: { maxRestarts: 1 },
      onGiveUp: (err) => gaveUp.push(err),
    });
    const client = sfnClient(endpoint.url);
    try {
      const machine = (await client.send(new CreateStateMachineCommand({ name: 'wide', roleArn: 'arn:aws:iam::000000000000:role/r', definition: WIDE_FLOOD }))).stateMachineArn!;
      await overwhelm(client, machine);
      await until('the first death', () => !endpoint.health().up);
      await until('the restart', () => endpoint.health().up);
      await overwhelm(client, machine);
      await until('giving up', () => gaveUp.length > 0);
      expect(gaveUp).toHaveLength(1);
      expect(gaveUp[0].message).toMatch(/died 2 times within 600 s; not restarting it/);
      expect(endpoint.health()).toStrictEqual({ up: false, reason: gaveUp[0].message });
      await sleep(500);
      expect(endpoint.health().up).toBe(false);
    } finally {
      client.destroy();
      await endpoint.close();
      dir.remove();
    }
  });
});

describe('the service while its embedded endpoint is down', () => {
  it('fails /healthz (503) until the endpoint serves again', async () => {
    const t = await startTestApp({ env: { GAPWATCH_EMBEDDED_HEAP_MIB: '64' } });
    try {
      const healthz = async (): Promise<number> => (await fetch(`${t.url}/healthz`)).status;
      expect(await healthz()).toBe(200);
      const client = sfnClient(t.app.embedded!.url);
      try {
        const machine = (await client.send(new CreateStateMachineCommand({ name: 'wide', roleArn: 'arn:aws:iam::000000000000:role/r', definition: WIDE_FLOOD }))).stateMachineArn!;
        const seen: number[] = [];
        const poll = setInterval(() => void healthz().then((s) => seen.push(s), () => undefined), 20);
        try {
          await overwhelm(client, machine);
          await until('/healthz to fail', () => seen.includes(503));
          await until('/healthz to pass again', async () => (await healthz()) === 200);
        } finally {
          clearInterval(poll);
        }
      } finally {
        client.destroy();
      }
    } finally {
      await t.stop();
    }
  });
});

describe('the service whose embedded endpoint keeps dying', () => {
  it('exits with code 1 once the worker died more often than it is restarted (3 times in 10 minutes)', async () => {
    const dir = tempDir('gapwatch-worker-restart-');
    const service = await startBuiltService({ GAPWATCH_DATA_DIR: dir.path, GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_EMBEDDED_HEAP_MIB: '64', GAPWATCH_CONFIG: `${dir.path}/none.yaml` });
    const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    try {
      const url = /"endpoint":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(service.stdout())![1]!;
      const client = sfnClient(url);
      try {
        const machine = (await client.send(new CreateStateMachineCommand({ name: 'wide', roleArn: 'arn:aws:iam::000000000000:role/r', definition: WIDE_FLOOD }))).stateMachineArn!;
        for (let death = 1; code === undefined; death++) {
          expect(death).toBeLessThanOrEqual(4);
          await overwhelm(client, machine);
          // Down, then either up again (a restart) or gone (the process exited).
          await until(`death ${death}`, async () => code !== undefined || (await fetch(`${service.url}/healthz`).then((r) => r.status, () => 0)) === 503);
          await until(`restart ${death}`, async () => code !== undefined || (await fetch(`${service.url}/healthz`).then((r) => r.status, () => 0)) === 200);
        }
      } finally {
        client.destroy();
      }
      expect(await exited).toBe(1);
      expect(service.stdout()).toMatch(/the embedded AWS endpoint is down for good/);
    } finally {
      if (code === undefined) service.child.kill('SIGKILL');
      dir.remove();
    }
  }, 180_000);
});

