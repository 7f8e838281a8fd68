import { StartExecutionCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import pino from 'pino';
import { connectEventBus, RateBudget, type EventBus } from '../../../src/services/events';
import { streamRunEvents } from '../../../src/services/events/run-stream';
import { RunWatcher } from '../../../src/services/events/run-watcher';
import type { TaskHandler } from '../../../src/embedded/server';
import { fullHistory, MACHINE_ARN, sfnClient, startSfn, waitForEnd, waitForEvent, type SfnHarness } from '../../embedded/stepfunctions/helpers';
import { startRedis, type RedisServer } from '../../support/redis';

const logger = pino({ level: process.env.DBG ? "debug" : "silent" });
const item = 'arn:aws:lambda:us-east-1:000000000000:function:test-item';

/** Map items wait at a gate the test opens one by one, so a run moves only when the test says. */
function gatedItems() {
  const waiting: (() => void)[] = [];
  let arrived: () => void = () => {};
  const handler: TaskHandler = (input) =>
    new Promise((resolve, reject) => {
      waiting.push(() => (input === 'bad' ? reject(Object.assign(new Error('bad item'), { name: 'Fatal' })) : resolve(input)));
      arrived();
    });
  return {
    handler,
    /** Opens the gate of the oldest waiting item, waiting for one to arrive if none is there yet. */
    async release(): Promise<void> {
      while (waiting.length === 0) await new Promise<void>((r) => (arrived = r));
      waiting.shift()!();
    },
  };
}

/**
 * The watcher a test's Task handler reports its run's moves to, as backends.ts wires the pipeline's
 * in-process handlers (none: the handler says nothing, as a Lambda function could not).
 */
let announceTo: RunWatcher | undefined;
const announcing =
  (handler: TaskHandler): TaskHandler =>
  (input, context) =>
    announceTo ? announceTo.task(context.executionArn, () => handler(input, context)) : handler(input, context);

/** Every poll interval ten minutes: a run's moves after its first load reach the watcher only through nudges. */
const ONLY_NUDGES = { minIntervalMs: 600_000, maxIntervalMs: 600_000, subscribedIntervalMs: 600_000, nudgedIntervalMs: 600_000 };

/** Counts GetExecutionHistory calls a client makes. */
function counted(client: SFNClient): { client: SFNClient; calls: () => number } {
  let n = 0;
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === 'GetExecutionHistoryCommand') n += 1;
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, calls: () => n };
}

async function collect(it: AsyncIterator<HistoryEvent>): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return out;
    out.push(r.value);
  }
}

function watcherOn(client: SFNClient, bus: EventBus, leaseTtlMs = 10_000): RunWatcher {
  return new RunWatcher({ sfn: client, pubSub: bus.pubSub, leases: bus.leases, budget: new RateBudget(20, 20), logger }, { minIntervalMs: 20, maxIntervalMs: 200, leaseTtlMs });
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

const ids = (events: HistoryEvent[]) => events.map((e) => e.id);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('run events from Step Functions history (embedded endpoint, real SDK)', () => {
  let sfn: SfnHarness;
  let gate: ReturnType<typeof gatedItems>;
  let bus: EventBus;
  beforeEach(async () => {
    gate = gatedItems();
    sfn = await startSfn(undefined, { taskHandlers: { [item]: announcing(gate.handler) } });
    bus = connectEventBus({ logger });
  });
  afterEach(async () => {
    announceTo = undefined;
    await sfn.stop();
  });

  async function start(items: unknown[]): Promise<string> {
    const out = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'map', items }) }));
    return out.executionArn!;
  }

  it('a subscriber joining mid-run gets every event after afterEventId once, in order, then completion', async () => {
    const watcher = watcherOn(sfn.client, bus);
    const arn = await start([1, 2, 3, 4]);
    await gate.release();
    const sofar = await waitForEvent(sfn.client, arn, 'MapIterationSucceeded');
    const after = sofar.length - 1;
    const got = collect(streamRunEvents(watcher, arn, after));
    for (let i = 0; i < 3; i++) await gate.release();
    const events = await got;
    const full = await fullHistory(sfn.client, arn);
    expect(ids(events)).toEqual(range(after + 1, full.length));
    expect(events.map((e) => e.type)).toEqual(full.slice(after).map((e) => e.type));
    expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(watcher.active).toBe(0);
    await watcher.close();
  });

  it('many subscribers on one run share one poller', async () => {
    const { client, calls } = counted(sfnClient(sfn.endpoint.url));
    const watcher = watcherOn(client, bus);
    const arn = await start([1, 2]);
    const streams = Array.from({ length: 30 }, () => collect(streamRunEvents(watcher, arn)));
    expect(watcher.active).toBe(1);
    await gate.release();
    await gate.release();
    const all = await Promise.all(streams);
    const full = await fullHistory(sfn.client, arn);
    for (const events of all) expect(ids(events)).toEqual(range(1, full.length));
    // One watch polled for all 30; each subscriber on its own would have read the history at least once.
    expect(calls()).toBeLessThan(30);
    client.destroy();
    await watcher.close();
  });

  it('a failing run ends with ExecutionFailed, then completion', async () => {
    const watcher = watcherOn(sfn.client, bus);
    const arn = await start(['bad']);
    const got = collect(streamRunEvents(watcher, arn));
    await gate.release();
    const events = await got;
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed' });
    expect(ids(events)).toEqual(range(1, events.length));
    await watcher.close();
  });

  it('an unknown run is a NOT_FOUND error', async () => {
    const watcher = watcherOn(sfn.client, bus);
    const it = streamRunEvents(watcher, `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:nope`);
    await expect(it.next()).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    expect(watcher.active).toBe(0);
    await watcher.close();
  });

  it('a subscriber that falls behind live events is closed with the limit and where to resume, and resuming loses nothing', async () => {
    const watcher = watcherOn(sfn.client, bus);
    const arn = await start([1, 2, 3, 4]);
    const slow = streamRunEvents(watcher, arn, 0, 3);
    const first = await slow.next();
    expect(first.value.id).toBe(1);
    // The subscriber stops reading while the run moves on by more than 3 events.
    for (let i = 0; i < 4; i++) await gate.release();
    await waitForEnd(sfn.client, arn);
    const full = await fullHistory(sfn.client, arn);
    let error: any;
    try {
      await new Promise((r) => setTimeout(r, 300));
      await collect(slow);
    } catch (err) {
      error = err;
    }
    expect(error?.extensions).toMatchObject({ code: 'SUBSCRIPTION_OVERFLOW', limit: 'maxBufferedEvents', value: 3 });
    const resumed = await collect(streamRunEvents(watcher, arn, error.extensions.lastEventId));
    expect(ids(resumed)).toEqual(range(error.extensions.lastEventId + 1, full.length));
    await watcher.close();
  });

  it('a run with a subscriber is polled at subscribedIntervalMs, however far its watch had backed off', async () => {
    // Unsubscribed, this watcher would poll a run every ten minutes; the test would time out waiting on it.
    const { client, calls } = counted(sfnClient(sfn.endpoint.url));
    const watcher = new RunWatcher(
      { sfn: client, pubSub: bus.pubSub, leases: bus.leases, budget: new RateBudget(20, 20), logger },
      { minIntervalMs: 600_000, maxIntervalMs: 600_000, subscribedIntervalMs: 20 },
    );
    const arn = await start([1, 2]);
    // The instance's own watch (as PipelineService keeps for a run it started) is asleep in its ten-minute wait.
    const own = watcher.watch(arn);
    await own.loaded;
    const before = calls();
    const got = collect(streamRunEvents(watcher, arn));
    // The subscriber cuts that wait short with one poll; let it finish before the run moves, so what the
    // run does next reaches the subscriber only through the quick polls that follow.
    await waitUntil(() => calls() > before);
    await new Promise((r) => setTimeout(r, 300));
    await gate.release();
    await gate.release();
    const events = await got;
    expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(ids(events)).toEqual(range(1, (await fullHistory(sfn.client, arn)).length));
    own.release();
    await watcher.close();
    client.destroy();
  });

  it('a run whose Task handlers run in this process is polled when a handler starts and when it settles', async () => {
    const { client, calls } = counted(sfnClient(sfn.endpoint.url));
    const watcher = new RunWatcher({ sfn: client, pubSub: bus.pubSub, leases: bus.leases, budget: new RateBudget(20, 20), logger }, ONLY_NUDGES);
    announceTo = watcher;
    let nudges = 0;
    const nudge = watcher.nudge.bind(watcher);
    watcher.nudge = (arn, delayMs) => {
      nudges += 1;
      nudge(arn, delayMs);
    };
    const polled: number[][] = [];
    watcher.onEvents((_, events, { polled: read }) => read && polled.push(events.map((e) => e.id!)));
    const arn = await start([1, 2]);
    const got = collect(streamRunEvents(watcher, arn));
    // Loaded before the run moves on: what follows is read only because a handler said the run moved.
    await waitUntil(() => (watcher.history(arn)?.length ?? 0) > 0);
    await gate.release();
    await gate.release();
    // Without the nudges the run's later events would not be read for ten minutes: the test would time out.
    const events = await got;
    const full = await fullHistory(sfn.client, arn);
    expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(ids(events)).toEqual(range(1, full.length));
    // What the polls found is the whole history, each event once, in order; more than the first load found.
    expect(polled.flat()).toEqual(range(1, full.length));
    expect(polled.length).toBeGreaterThan(1);
    // The first load, then at most one poll per nudge (a handler's start and its end, two per call).
    expect(nudges).toBe(2 * 2);
    expect(calls()).toBeLessThanOrEqual(1 + nudges);
    await watcher.close();
    client.destroy();
  });

  it("a finished run's history is read once and kept: later subscribers to it cost no call", async () => {
    const { client, calls } = counted(sfnClient(sfn.endpoint.url));
    const watcher = watcherOn(client, bus);
    const arn = await start([1]);
    await gate.release();
    await waitForEnd(sfn.client, arn);
    const first = await collect(streamRunEvents(watcher, arn));
    expect(first.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(watcher.active).toBe(0);
    const read = calls();
    for (let i = 0; i < 3; i++) expect(ids(await collect(streamRunEvents(watcher, arn)))).toEqual(ids(first));
    expect(calls()).toBe(read);
    await watcher.close();
    client.destroy();
  });

  it('a subscriber waiting for its first events is served before the polls of runs nobody subscribes to', async () => {
    const { client, calls } = counted(sfnClient(sfn.endpoint.url));
    // Ten calls a second for 20 quiet runs that want one every 20 ms: the budget is always behind.
    const watcher = new RunWatcher({ sfn: client, pubSub: bus.pubSub, leases: bus.leases, budget: new RateBudget(10, 1), logger }, { minIntervalMs: 20, maxIntervalMs: 20 });
    const done = await start([1]);
    await gate.release();
    await waitForEnd(sfn.client, done);
    const quiet = await Promise.all(Array.from({ length: 20 }, () => start(['held'])));
    const held = quiet.map((arn) => watcher.watch(arn));
    await Promise.all(held.map((h) => h.loaded));
    // Every quiet run has a poll waiting for the budget now.
    await waitUntil(() => calls() >= 25);
    const before = calls();
    const stream = streamRunEvents(watcher, done);
    const firstEvent = await stream.next();
    expect(firstEvent.value.id).toBe(1);
    // The subscriber's load went first: at most the call already under way came before it.
    expect(calls() - before).toBeLessThanOrEqual(2);
    await stream.return!();
    for (const h of held) h.release();
    await watcher.close();
    client.destroy();
  });

  it('takeReady hands over the events ready without waiting, and nothing past them: the end comes through next', async () => {
    const watcher = watcherOn(sfn.client, bus);
    const arn = await start([1]);
    await gate.release();
    await waitForEnd(sfn.client, arn);
    const full = await fullHistory(sfn.client, arn);
    const stream = streamRunEvents(watcher, arn);
    // Nothing before the history is loaded, which the first next() waits for.
    expect(stream.takeReady()).toBeUndefined();
    const first = await stream.next();
    const taken = [first.value!];
    for (let e = stream.takeReady(); e !== undefined; e = stream.takeReady()) taken.push(e);
    expect(ids(taken)).toEqual(range(1, full.length));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(stream.takeReady()).toBeUndefined();
    await watcher.close();
  });

  it('a replayed history, however long, is not a lag', async () => {
    const watcher = watcherOn(sfn.client, bus);
    const arn = await start([1, 2, 3]);
    for (let i = 0; i < 3; i++) await gate.release();
    await waitForEnd(sfn.client, arn);
    const full = await fullHistory(sfn.client, arn);
    expect(full.length).toBeGreaterThan(3);
    expect(ids(await collect(streamRunEvents(watcher, arn, 0, 3)))).toEqual(range(1, full.length));
    await watcher.close();
  });
});

describe('run events across instances on a real redis-server', () => {
  let redis: RedisServer;
  let sfn: SfnHarness;
  let gate: ReturnType<typeof gatedItems>;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    gate = gatedItems();
    sfn = await startSfn(undefined, { taskHandlers: { [item]: announcing(gate.handler) } });
  });
  afterEach(async () => {
    announceTo = undefined;
    await sfn.stop();
  });

  async function instance(ttl: number) {
    const bus = connectEventBus({ redisUrl: redis.url, logger });
    await bus.ping();
    const c = counted(sfnClient(sfn.endpoint.url));
    const watcher = watcherOn(c.client, bus, ttl);
    return {
      bus,
      watcher,
      calls: c.calls,
      async close() {
        await watcher.close();
        await bus.close();
        c.client.destroy();
      },
    };
  }

  it('one instance polls a run at a time; when it goes, the other takes over and its subscriber misses nothing', async () => {
    const a = await instance(1_500);
    const b = await instance(1_500);
    const arn = (await sfn.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'map', items: [1, 2, 3] }) }))).executionArn!;
    const holdA = a.watcher.watch(arn);
    await holdA.loaded;
    const onB = collect(streamRunEvents(b.watcher, arn));
    await waitUntil(() => (b.watcher.history(arn)?.length ?? 0) > 0);
    const [aBefore, bBefore] = [a.calls(), b.calls()];
    await gate.release();
    await waitUntil(() => b.watcher.history(arn)!.some((e) => e.type === 'MapIterationSucceeded'));
    // Both watch the run; only the lease holder polls: b read the history once to load it, and what
    // followed came to it from a's polls.
    expect(a.calls()).toBeGreaterThan(aBefore);
    expect(b.calls()).toBe(bBefore);
    // a dies without releasing its lease: b takes over when it expires.
    (a.bus.leases as { release: unknown }).release = async () => {};
    await a.close();
    await gate.release();
    await gate.release();
    const events = await onB;
    const full = await fullHistory(sfn.client, arn);
    expect(ids(events)).toEqual(range(1, full.length));
    expect(b.calls()).toBeGreaterThan(bBefore);
    await b.close();
  });

  it('the poller keeps its lease while its polls wait for the budget longer than a lease lasts: no second instance polls', async () => {
    // One call a second each, and a lease of 400 ms: a renewal only inside a poll came too late every time.
    const make = async () => {
      const bus = connectEventBus({ redisUrl: redis.url, logger });
      await bus.ping();
      const c = counted(sfnClient(sfn.endpoint.url));
      const watcher = new RunWatcher(
        { sfn: c.client, pubSub: bus.pubSub, leases: bus.leases, budget: new RateBudget(1, 1), logger },
        { minIntervalMs: 20, maxIntervalMs: 200, leaseTtlMs: 400 },
      );
      return { bus, c, watcher };
    };
    const a = await make();
    const b = await make();
    const arn = (await sfn.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'map', items: [1, 2, 3] }) }))).executionArn!;
    const own = a.watcher.watch(arn);
    await own.loaded;
    const seen: HistoryEvent[] = [];
    const onB = (async () => {
      for await (const e of streamRunEvents(b.watcher, arn)) seen.push(e);
      return seen;
    })();
    await waitUntil(() => seen.length > 0);
    const bLoaded = b.c.calls();
    // One item at a time, each once b's subscriber has the last: the run lasts several of a's slow polls.
    for (let done = 1; done <= 3; done++) {
      await gate.release();
      await waitUntil(() => seen.filter((e) => e.type === 'MapIterationSucceeded').length >= done);
    }
    const events = await onB;
    expect(ids(events)).toEqual(range(1, (await fullHistory(sfn.client, arn)).length));
    expect(b.c.calls()).toBe(bLoaded);
    own.release();
    for (const i of [a, b]) {
      await i.watcher.close();
      await i.bus.close();
      i.c.client.destroy();
    }
  });

  it('a subscriber on an instance that does not poll the run has the polling instance poll it quickly', async () => {
    // Unsubscribed, a polls every ten minutes; b's subscriber would time the test out unless a hurries.
    const opts = { minIntervalMs: 600_000, maxIntervalMs: 600_000, subscribedIntervalMs: 20, leaseTtlMs: 120_000 };
    const make = async () => {
      const bus = connectEventBus({ redisUrl: redis.url, logger });
      await bus.ping();
      const c = counted(sfnClient(sfn.endpoint.url));
      return { bus, c, watcher: new RunWatcher({ sfn: c.client, pubSub: bus.pubSub, leases: bus.leases, budget: new RateBudget(20, 20), logger }, opts) };
    };
    const a = await make();
    const b = await make();
    const arn = (await sfn.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'map', items: [1, 2] }) }))).executionArn!;
    // a holds the lease (as the instance that started the run would) and sleeps in its ten-minute wait.
    const own = a.watcher.watch(arn);
    await own.loaded;
    const onB = collect(streamRunEvents(b.watcher, arn));
    // b has read the history so far (and found a holding the lease): what follows reaches it only through a's polls.
    await waitUntil(() => (b.watcher.history(arn)?.length ?? 0) > 0);
    await gate.release();
    await gate.release();
    const events = await onB;
    expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(ids(events)).toEqual(range(1, (await fullHistory(sfn.client, arn)).length));
    own.release();
    for (const i of [a, b]) {
      await i.watcher.close();
      await i.bus.close();
    }
  });

  it('a nudge on an instance that does not poll the run reaches the instance that does, over the bus', async () => {
    const make = async () => {
      const bus = connectEventBus({ redisUrl: redis.url, logger });
      await bus.ping();
      const c = counted(sfnClient(sfn.endpoint.url));
      return { bus, c, watcher: new RunWatcher({ sfn: c.client, pubSub: bus.pubSub, leases: bus.leases, budget: new RateBudget(20, 20), logger }, { ...ONLY_NUDGES, leaseTtlMs: 120_000 }) };
    };
    const a = await make();
    const b = await make();
    // The handlers run "on" b, which watches the run for a subscriber but does not poll it; a does.
    announceTo = b.watcher;
    const arn = (await sfn.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'map', items: [1, 2, 3] }) }))).executionArn!;
    const own = a.watcher.watch(arn);
    await own.loaded;
    const seen: HistoryEvent[] = [];
    const onB = (async () => {
      for await (const e of streamRunEvents(b.watcher, arn)) seen.push(e);
      return seen;
    })();
    await waitUntil(() => seen.length > 0);
    const bLoaded = b.c.calls();
    // One item at a time, each once b's subscriber has the last: the run lasts several of a's slow polls.
    for (let done = 1; done <= 3; done++) {
      await gate.release();
      await waitUntil(() => seen.filter((e) => e.type === 'MapIterationSucceeded').length >= done);
    }
    const events = await onB;
    expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(ids(events)).toEqual(range(1, (await fullHistory(sfn.client, arn)).length));
    // b read the history once to load it; everything after came from a's nudged polls.
    expect(b.c.calls()).toBe(bLoaded);
    own.release();
    for (const i of [a, b]) {
      await i.watcher.close();
      await i.bus.close();
      i.c.client.destroy();
    }
  });

  it('Redis stopped and restarted during a run: no crash, and the subscriber ends with the full history', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const a = await instance(1_500);
    const b = await instance(1_500);
    try {
      const arn = (await sfn.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input: JSON.stringify({ mode: 'map', items: [1, 2, 3] }) }))).executionArn!;
      const holdA = a.watcher.watch(arn);
      await holdA.loaded;
      const onB = collect(streamRunEvents(b.watcher, arn));
      await gate.release();
      await redis.stop(true);
      await gate.release();
      await new Promise((r) => setTimeout(r, 300));
      await redis.start();
      await gate.release();
      const events = await onB;
      const full = await fullHistory(sfn.client, arn);
      expect(ids(events)).toEqual(range(1, full.length));
      holdA.release();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await a.close();
      await b.close();
    }
  });
});
