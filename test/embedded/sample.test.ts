import { generateSampleTicks, SAMPLE_DEFECTS, SAMPLE_HEALTHY_MIN_TICKS, SAMPLE_RANGE, SAMPLE_SYMBOLS } from '../../src/embedded/athena/sample';
import { resultRows, runQuery, startHarness, type Harness } from './helpers';

const HOUR = 3_600_000;

describe('the built-in sample market.ticks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('is deterministic', () => {
    expect(generateSampleTicks()).toStrictEqual(generateSampleTicks());
  });

  it('has exactly the documented defects: every other hour holds at least 48 ticks', async () => {
    const { id } = await runQuery(
      h.client,
      "SELECT symbol, date_trunc('hour', capture_datetime) AS hour_start, count(*) AS ticks, min(minute(capture_datetime)) AS first_minute FROM ticks GROUP BY 1, 2",
      { QueryExecutionContext: { Database: 'market' } },
    );
    const rows = (await resultRows(h.client, id)).slice(1);
    const counts = new Map(rows.map(([s, hr, c, fm]) => [`${s} ${hr}`, { ticks: Number(c), firstMinute: Number(fm) }]));
    const found: { symbol: string; kind: string; hour: string; ticks: number }[] = [];
    for (const symbol of SAMPLE_SYMBOLS) {
      for (let t = Date.parse(SAMPLE_RANGE.start); t < Date.parse(SAMPLE_RANGE.end); t += HOUR) {
        const hour = new Date(t).toISOString();
        const key = `${symbol} ${hour.replace('T', ' ').replace('Z', '')}`;
        const ticks = counts.get(key)?.ticks ?? 0;
        if (ticks === 0) found.push({ symbol, kind: 'EMPTY', hour, ticks });
        else if (ticks < SAMPLE_HEALTHY_MIN_TICKS) found.push({ symbol, kind: 'THIN', hour, ticks });
      }
    }
    const expected: typeof found = [];
    for (const d of SAMPLE_DEFECTS) {
      if (d.kind === 'STARTS_MID_HOUR') continue;
      for (let t = Date.parse(d.start); t < Date.parse(d.end); t += HOUR) {
        const hour = new Date(t).toISOString();
        expected.push({ symbol: d.symbol, kind: d.kind === 'UNDERFILLED' ? 'THIN' : 'EMPTY', hour, ticks: d.kind === 'UNDERFILLED' ? Number(/exactly (\d+)/.exec(d.note)![1]) : 0 });
      }
    }
    const mid = SAMPLE_DEFECTS.find((d) => d.kind === 'STARTS_MID_HOUR')!;
    const midKey = `${mid.symbol} ${mid.start.replace('T', ' ').replace('Z', '')}`;
    const midHour = counts.get(midKey)!;
    expected.push({ symbol: mid.symbol, kind: 'THIN', hour: mid.start, ticks: midHour.ticks });
    const order = (a: { symbol: string; hour: string }, b: { symbol: string; hour: string }): number =>
      a.symbol.localeCompare(b.symbol) || a.hour.localeCompare(b.hour);
    expect(found.sort(order)).toStrictEqual(expected.sort(order));
    expect(midHour.firstMinute).toBe(new Date(mid.end).getUTCMinutes());
    expect(midHour.ticks).toBeGreaterThanOrEqual(20);
    expect(midHour.ticks).toBeLessThanOrEqual(25);
  });

  it('covers exactly SAMPLE_RANGE with one table schema', async () => {
    const { id } = await runQuery(
      h.client,
      'SELECT min(capture_datetime), max(capture_datetime), count(DISTINCT symbol), typeof(any_value(price)), typeof(any_value(volume)) FROM market.ticks',
    );
    expect((await resultRows(h.client, id))[1]).toStrictEqual(['2024-03-04 00:00:00.000', '2024-03-13 23:59:00.000', '3', 'double', 'bigint']);
  });
});
