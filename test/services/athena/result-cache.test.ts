import { ByteBoundedLru } from '../../../src/services/athena/result-cache';

describe('ByteBoundedLru without a probation share: least recently used', () => {
  it('evicts the least recently used entry past its bound', () => {
    const c = new ByteBoundedLru<number>(30);
    c.set('a', 1, 10);
    c.set('b', 2, 10);
    c.set('c', 3, 10);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('d', 4, 10);
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c'), c.get('d')]).toEqual([1, 3, 4]);
    expect(c.bytes).toBe(30);
  });

  it('refuses an entry larger than the bound and keeps what it had', () => {
    const c = new ByteBoundedLru<number>(30);
    c.set('a', 1, 10);
    c.set('huge', 2, 31);
    expect(c.get('huge')).toBeUndefined();
    expect(c.get('a')).toBe(1);
  });
});

describe('ByteBoundedLru with a probation share: a scan does not flush what others use (2Q)', () => {
  const page = 10;

  it('a one-off scan holds at most the probation share', () => {
    const c = new ByteBoundedLru<number>(100 * page, { probationShare: 0.25 });
    for (let i = 0; i < 1000; i++) c.set(`scan-${i}`, i, page);
    expect(c.bytes).toBe(25 * page);
    expect(c.size).toBe(25);
    // The newest pages of the scan are the ones kept (a prefetched page waits there for its reader).
    expect(c.get('scan-999')).toBe(999);
    expect(c.get('scan-974')).toBeUndefined();
  });

  it('hits while in probation do not promote (one reader asking for a page several times is one use)', () => {
    const c = new ByteBoundedLru<number>(100 * page, { probationShare: 0.25 });
    c.set('p', 1, page);
    for (let i = 0; i < 5; i++) expect(c.get('p')).toBe(1);
    for (let i = 0; i < 25; i++) c.set(`scan-${i}`, i, page);
    expect(c.get('p')).toBeUndefined();
  });

  it('a page asked for again after it left probation enters the main part, and a later scan leaves it there', () => {
    const c = new ByteBoundedLru<number>(100 * page, { probationShare: 0.25 });
    c.set('first-page', 1, page);
    for (let i = 0; i < 25; i++) c.set(`scan-a-${i}`, i, page);
    expect(c.get('first-page')).toBeUndefined(); // fell out, remembered
    c.set('first-page', 1, page); // fetched again: wanted twice
    for (let i = 0; i < 10_000; i++) c.set(`scan-b-${i}`, i, page);
    expect(c.get('first-page')).toBe(1);
    expect(c.bytes).toBeLessThanOrEqual(100 * page);
  });

  it('the main part is least recently used within the rest of the bound', () => {
    const c = new ByteBoundedLru<number>(8 * page, { probationShare: 0.25 }); // probation 2 pages, main 6
    const promote = (k: string) => {
      c.set(k, 0, page);
      c.set(`${k}-x`, 0, page);
      c.set(`${k}-y`, 0, page); // k falls out of probation
      c.set(k, 0, page); // and comes back: main
    };
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) promote(k);
    expect(c.get('a')).toBe(0); // a is now the most recent in main
    promote('g');
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(0);
    expect(c.bytes).toBeLessThanOrEqual(8 * page);
  });

  it('a page too big for probation is cached when asked for again, if it fits the main part', () => {
    const c = new ByteBoundedLru<number>(100, { probationShare: 0.25 }); // probation 25 bytes, main 75
    c.set('big', 1, 60);
    expect(c.get('big')).toBeUndefined();
    c.set('big', 1, 60);
    expect(c.get('big')).toBe(1);
    c.set('huge', 2, 80);
    c.set('huge', 2, 80);
    expect(c.get('huge')).toBeUndefined();
    expect(c.get('big')).toBe(1);
  });

  it('forgets old keys within its bound', () => {
    const c = new ByteBoundedLru<number>(64 * 100, { probationShare: 0.25 }); // remembers 64 KiB of keys: ~900 of these
    c.set('old', 1, 100);
    for (let i = 0; i < 2_000; i++) c.set(`k-${i}`, i, 100);
    c.set('old', 1, 100); // no longer remembered: back to probation, not main
    for (let i = 0; i < 100; i++) c.set(`m-${i}`, i, 100);
    expect(c.get('old')).toBeUndefined();
  });
});
