import { resolveWindow, settledEnd } from '../../src/cli/window';
import { parseDatasets } from '../../src/services/gaps/dataset';
import { trailingWindow } from '../../src/services/gaps/scheduler';

const datasets = parseDatasets(
  [
    { name: 'hourly', database: 'market', table: 'ticks', timestampColumn: 'ts', groupColumn: 'symbol', bucket: '1h', expectedPerBucket: 60, settle: '15m' },
    {
      name: 'daily',
      database: 'market',
      table: 'closes',
      timestampColumn: 'ts',
      groupColumn: 'symbol',
      bucket: '1d',
      expectedPerBucket: 1,
      timezone: 'America/New_York',
      settle: '2h',
    },
  ],
  new Set(),
);
const hourly = datasets[0]!;
const daily = datasets[1]!;

const at = (iso: string) => Date.parse(iso);

describe('the window gapwatch check judges', () => {
  it('ends where the scheduler would: at the last bucket boundary before now − settle, in the dataset zone', () => {
    const nows = [
      '2024-03-10T10:20:00Z', // 10:00 bucket still settling → ends 10:00
      '2024-03-10T10:15:00Z', // exactly settled → ends 10:00
      '2024-03-10T10:14:59Z', // → ends 09:00
      '2024-03-10T06:59:00Z', // New York 01:59 EST, DST starts at 07:00Z that day
      '2024-03-11T05:30:00Z', // after the spring-forward night: the New York day began at 04:00Z
      '2024-11-03T05:00:00Z', // the fall-back day in New York
    ].map(at);
    for (const dataset of [hourly, daily]) {
      for (const now of nows) {
        const scheduled = trailingWindow(dataset, now);
        expect(settledEnd(dataset, now)).toBe(scheduled.to);
        expect(resolveWindow({ kind: 'default' }, dataset, now)).toStrictEqual(scheduled);
      }
    }
  });

  it('places --last DURATION before the settled end', () => {
    expect(resolveWindow({ kind: 'last', ms: 24 * 3_600_000 }, hourly, at('2024-03-10T10:20:00Z'))).toStrictEqual({
      from: at('2024-03-09T10:00:00Z'),
      to: at('2024-03-10T10:00:00Z'),
    });
    // Daily buckets in New York end at local midnight (05:00Z in winter); 2h of settle after it must have passed.
    expect(resolveWindow({ kind: 'last', ms: 7 * 86_400_000 }, daily, at('2024-03-06T07:00:00Z'))).toStrictEqual({
      from: at('2024-02-28T05:00:00Z'),
      to: at('2024-03-06T05:00:00Z'),
    });
    expect(resolveWindow({ kind: 'last', ms: 7 * 86_400_000 }, daily, at('2024-03-06T06:59:59Z'))).toStrictEqual({
      from: at('2024-02-27T05:00:00Z'),
      to: at('2024-03-05T05:00:00Z'),
    });
  });

  it('takes --from/--to as given: the service aligns them outward', () => {
    expect(resolveWindow({ kind: 'range', from: 1, to: 2 }, hourly, 0)).toStrictEqual({ from: 1, to: 2 });
  });
});
