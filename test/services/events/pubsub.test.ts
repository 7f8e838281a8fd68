import { LocalEvents } from '../../../src/services/events/pubsub';

describe('the in-process event bus', () => {
  it('delivers each message to every subscriber of its channel, in order, and to no other channel', async () => {
    const events = new LocalEvents();
    const all = events.subscribe('T');
    const one = events.subscribe('T', 'a');
    const other = events.subscribe('T', 'b');
    events.publish('T', 1);
    events.publish('T', 'a', 2);
    events.publish('T', 'a', 3);
    expect(await all.next()).toEqual({ value: 1, done: false });
    expect(await one.next()).toEqual({ value: 2, done: false });
    expect(await one.next()).toEqual({ value: 3, done: false });
    events.publish('T', 'b', 4);
    expect(await other.next()).toEqual({ value: 4, done: false });
    for (const s of [all, one, other]) await s.return!();
    expect(events.size).toBe(0);
  });

  it('an announcement is delivered once per key', async () => {
    const events = new LocalEvents();
    const sub = events.subscribe('RUN_UPDATED');
    events.announce('RUN_UPDATED', 'run-1:SUCCEEDED', 'first');
    events.announce('RUN_UPDATED', 'run-1:SUCCEEDED', 'again');
    events.announce('RUN_UPDATED', 'run-2:SUCCEEDED', 'other');
    expect(await sub.next()).toEqual({ value: 'first', done: false });
    expect(await sub.next()).toEqual({ value: 'other', done: false });
  });

  it('tells its relay when a channel gains its first subscriber and loses its last, once each', async () => {
    const calls: string[] = [];
    const events = new LocalEvents({ onFirst: (c) => calls.push(`+${c}`), onLast: (c) => calls.push(`-${c}`) });
    const subs = Array.from({ length: 3 }, () => events.subscribe('T', 'x'));
    await subs[0]!.return!();
    await subs[0]!.return!();
    await subs[1]!.return!();
    expect(calls).toEqual(['+T:x']);
    await subs[2]!.return!();
    expect(calls).toEqual(['+T:x', '-T:x']);
    events.subscribe('T', 'x');
    expect(calls).toEqual(['+T:x', '-T:x', '+T:x']);
  });

  it('a subscriber that stops reading ends with SUBSCRIPTION_OVERFLOW once past its queue bound, and leaves its channel', async () => {
    const events = new LocalEvents({}, 3);
    const slow = events.subscribe('T');
    const reading = events.subscribe('T');
    // The reader waits for its next message: the first goes straight to it, three wait in its queue.
    const first = reading.next();
    for (let i = 0; i < 4; i++) events.publish('T', i);
    expect(events.size).toBe(1);
    await expect(slow.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIPTION_OVERFLOW', limit: 'maxQueuedMessages', value: 3 } });
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    const got = [(await first).value];
    for (let i = 0; i < 3; i++) got.push((await reading.next()).value);
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('a waiting next ends when the subscription is returned', async () => {
    const events = new LocalEvents();
    const sub = events.subscribe('T');
    const waiting = sub.next();
    await sub.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(events.size).toBe(0);
  });

  it('50,000 subscriptions to one topic join and leave, and none is left behind', () => {
    // How long it takes is the subscriptions benchmark's (bench/subscriptions.bench.ts).
    const events = new LocalEvents();
    const subs = Array.from({ length: 50_000 }, () => events.subscribe('RUN_UPDATED'));
    expect(events.size).toBe(50_000);
    for (const s of subs) void s.return!();
    expect(events.size).toBe(0);
  });
});
