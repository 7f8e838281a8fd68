import type { CheckStatus, GapCheck } from '../services/gaps/gaps.service';

/**
 * The report `gapwatch check` prints, the same in-process and over --url: the GraphQL GapReport's scalar
 * fields, with instants as ISO strings and `reason` null where it does not apply (as GraphQL sends it), so a CI script reads one shape whichever way the check ran.
 */
export interface CliRange {
  group: string;
  kind: 'MISSING' | 'UNDERFILLED' | 'PARTIAL_EDGE';
  start: string;
  end: string;
  buckets: number;
  expected: number;
  observed: number;
  absent: boolean;
  reason: string | null;
}

export interface CliReport {
  id: string;
  dataset: string;
  status: CheckStatus;
  from: string;
  to: string;
  bucket: string;
  timezone: string;
  checkedAt: string;
  trigger: string;
  durationMs: number;
  checkedBuckets: number;
  noData: boolean;
  queryExecutionId: string | null;
  nullTimestampRows: number | null;
  nullGroupRows: number;
  outsideCalendarRows: number;
  unlistedGroupRows: number;
  ranges: CliRange[];
}

/** The GraphQL selection that yields a CliReport: remote.ts asks for exactly this. */
export const REPORT_FIELDS = /* GraphQL */ `
  id dataset status from to bucket timezone checkedAt trigger durationMs checkedBuckets noData queryExecutionId
  nullTimestampRows nullGroupRows outsideCalendarRows unlistedGroupRows
  ranges { group kind start end buckets expected observed absent reason }
`;

export function fromGapCheck(check: GapCheck): CliReport {
  return {
    id: check.id,
    dataset: check.dataset,
    status: check.status,
    from: check.from,
    to: check.to,
    bucket: check.bucket,
    timezone: check.timezone,
    checkedAt: check.checkedAt.toISOString(),
    trigger: check.trigger,
    durationMs: check.durationMs,
    checkedBuckets: check.checkedBuckets,
    noData: check.noData,
    queryExecutionId: check.queryExecutionId,
    nullTimestampRows: check.nullTimestampRows,
    nullGroupRows: check.nullGroupRows,
    outsideCalendarRows: check.outsideCalendarRows,
    unlistedGroupRows: check.unlistedGroupRows,
    ranges: check.ranges.map((r) => ({
      group: r.group,
      kind: r.kind,
      start: r.start,
      end: r.end,
      buckets: r.buckets,
      expected: r.expected,
      observed: r.observed,
      absent: r.kind === 'MISSING' && r.absent,
      reason: r.kind === 'PARTIAL_EDGE' ? r.reason : null,
    })),
  };
}

/** Expected counts are products of decimals (60 × 0.8 …): two decimals at most, no trailing zeros. */
function count(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function note(r: CliRange): string {
  if (r.kind === 'MISSING') return r.absent ? 'absent' : '-';
  if (r.kind === 'PARTIAL_EDGE') return r.reason ?? '-';
  return '-';
}

const COLUMNS = ['GROUP', 'KIND', 'START', 'END', 'BUCKETS', 'OBSERVED/EXPECTED', 'ABSENT/REASON'] as const;
/** Numbers read best right-aligned, so their digits line up. */
const RIGHT = new Set<number>([4, 5]);

/**
 * The human-readable report: a header line, then one aligned line per range (or a line saying there are
 * none), then notes about rows the check set aside. Plain ASCII, no colour: CI logs show it as written.
 */
export function formatTable(report: CliReport): string {
  const header = [
    `dataset ${report.dataset}`,
    `window ${report.from} .. ${report.to} (${report.bucket}, ${report.timezone})`,
    `status ${report.status}`,
    `checked ${report.checkedBuckets} buckets`,
    `query ${report.queryExecutionId}`,
  ].join('  ');
  const lines = [header];
  if (report.ranges.length === 0) {
    lines.push('no gap ranges');
  } else {
    const rows = report.ranges.map((r) => [r.group, r.kind, r.start, r.end, String(r.buckets), `${r.observed}/${count(r.expected)}`, note(r)]);
    const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
    const render = (cells: readonly string[]) =>
      cells
        .map((cell, i) => (RIGHT.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push(render(COLUMNS), ...rows.map(render));
  }
  const notes = [
    report.noData ? 'the window holds no rows at all (never a pass)' : '',
    report.nullTimestampRows ? `${report.nullTimestampRows} rows with a NULL timestamp` : '',
    report.nullGroupRows ? `${report.nullGroupRows} rows with a NULL group` : '',
    report.outsideCalendarRows ? `${report.outsideCalendarRows} rows outside the calendar` : '',
    report.unlistedGroupRows ? `${report.unlistedGroupRows} rows of groups not judged` : '',
  ].filter((n) => n !== '');
  for (const n of notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
