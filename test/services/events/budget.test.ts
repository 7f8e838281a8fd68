import { RateBudget } from '../../../src/services/events';
import { Priority } from '../../../src/services/events/budget';

describe('RateBudget', () => {
  it('lets a burst through at once, then spaces calls at the refill rate, in order', async () => {
    const budget = new RateBudget(50, 5);
    const start = performance.now();
    const done: number[] = [];
    await Promise.all(Array.from({ length: 15 }, (_, i) => budget.take().then(() => done.push(i))));
    const elapsed = performance.now() - start;
    expect(done).toEqual([...Array(15).keys()]);
    // 10 calls past the burst of 5 at 50/s need at least ~200 ms.
    expect(elapsed).toBeGreaterThanOrEqual(180);
  });

  it('drops a waiter whose signal aborts, without taking its token', async () => {
    const budget = new RateBudget(10, 1);
    await budget.take();
    const ac = new AbortController();
    const waiting = budget.take(ac.signal);
    ac.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(budget.waiting).toBe(0);
    await budget.take(); // the next token is still there for someone else
  });

  it('serves a waiting subscriber first, then subscribed runs, then the rest, each in order', async () => {
    const budget = new RateBudget(100, 1);
    await budget.take();
    const order: string[] = [];
    const signals = Array.from({ length: 6 }, () => new AbortController());
    const waits = [
      budget.take(signals[0]!.signal, Priority.BACKGROUND).then(() => order.push('background 1')),
      budget.take(signals[1]!.signal, Priority.BACKGROUND).then(() => order.push('background 2')),
      budget.take(signals[2]!.signal, Priority.SUBSCRIBED).then(() => order.push('subscribed')),
      budget.take(signals[3]!.signal, Priority.FIRST_EVENTS).then(() => order.push('first events')),
      budget.take(signals[4]!.signal, Priority.BACKGROUND).then(() => order.push('raised')),
    ];
    // A subscriber arrives for the run whose call waits last, as background: it moves up.
    budget.raise(signals[4]!.signal, Priority.FIRST_EVENTS);
    await Promise.all(waits);
    expect(order).toEqual(['first events', 'raised', 'subscribed', 'background 1', 'background 2']);
  });

  it('refuses a non-positive rate', () => {
    expect(() => new RateBudget(0)).toThrow(RangeError);
  });
});
