/**
 * The `datasets:` section of the config file: which time series gapwatch checks and what
 * "complete" means for each. Parsed once at start-up; every mistake is a ConfigError naming the
 * dataset and the key, so an operator can fix the file without reading code.
 */
import { ConfigError } from '../../errors';
import { formatDuration, parseDuration } from '../time/duration';
import { isKnownZone, zoneFor } from '../time/zone';

export type Bucket = '1m' | '5m' | '15m' | '1h' | '1d';
export const BUCKETS: readonly Bucket[] = ['1m', '5m', '15m', '1h', '1d'];
export const BUCKET_MS: Readonly<Record<Bucket, number>> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
/** In Date#getUTCDay order, so a weekday index maps straight to its name. */
export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export interface Calendar {
  /** Trading days, in the dataset zone. */
  readonly days: readonly Weekday[];
  /** Session open/close as written ("09:30"); both absent = the whole day is open. */
  readonly open?: string;
  readonly close?: string;
  /** Minutes after local midnight; 0 and 1440 when open/close are absent. */
  readonly openMinute: number;
  readonly closeMinute: number;
  /** Local dates (YYYY-MM-DD) on which nothing is expected. */
  readonly holidays: readonly string[];
}

/** How the columns of a wide named query map to groups. */
export interface WideShape {
  /** The column holding the bucket time. */
  readonly timeColumn: string;
  /** A pattern with one `{group}` (e.g. `{group}_CNT`), or an explicit group → column map. */
  readonly groupColumns: string | ReadonlyMap<string, string>;
}

/** One field of a partition value's format, or literal text between fields. */
export type PartitionPart = { readonly field: 'year' | 'month' | 'day' | 'hour' } | { readonly literal: string };

/**
 * The table's partition column holding the time (`dt=2024-03-05/`), so a check bounds it by the window and
 * Athena reads only the window's partitions. Values are formatted in UTC.
 */
export interface Partition {
  readonly column: string;
  /** As written: Java-style (`yyyy-MM-dd`) or date_format-style (`%Y-%m-%d`). */
  readonly format: string;
  readonly parts: readonly PartitionPart[];
  /** `string` (Athena's usual partition type: the bound is a varchar literal) or `date` (a DATE literal). */
  readonly type: 'string' | 'date';
}

/** The SQL type of a long dataset's timestamp column, where it changes the query. */
export type TimestampType = 'timestamp' | 'timestamp with time zone' | 'date';
export const TIMESTAMP_TYPES: readonly TimestampType[] = ['timestamp', 'timestamp with time zone', 'date'];

export interface Dataset {
  readonly name: string;
  /** `long`: one row per event in database.table; `wide`: a named query with one count column per group. */
  readonly shape: 'long' | 'wide';
  readonly database?: string;
  readonly table?: string;
  readonly timestampColumn?: string;
  readonly groupColumn?: string;
  /** Long only; absent = `timestamp`. `date` bounds the window by local dates (bucket 1d only). */
  readonly timestampType?: TimestampType;
  /** Long only: the partition column bounded by the window. */
  readonly partition?: Partition;
  /** Named query (namedQueries section) that a wide dataset reads. */
  readonly query?: string;
  readonly wide?: WideShape;
  /** Expected groups; undefined = every group seen in the window. */
  readonly groups?: readonly string[];
  readonly bucket: Bucket;
  readonly bucketMs: number;
  readonly expectedPerBucket: number;
  readonly minRatio: number;
  readonly timezone: string;
  readonly calendar?: Calendar;
  readonly settleMs: number;
  readonly scheduleMs?: number;
  /** As written: one instant for every group, or one per group. */
  readonly startsAt?: string | Readonly<Record<string, string>>;
  /** startsAt resolved to epoch ms: `all` for every group, `byGroup` overriding it per group. */
  readonly startsAtMs?: { readonly all?: number; readonly byGroup: ReadonlyMap<string, number> };
  /**
   * Longest window judged bucket by bucket in the service: a check with `series`, any check of a wide dataset,
   * and a range a pipeline run repairs.
   */
  readonly maxWindowMs: number;
  /** Longest window of a check judged in Athena (a long dataset, without `series`); at least maxWindowMs. */
  readonly maxCheckWindowMs: number;
  readonly seriesLookbackMs: number;
  /** The trailing window a scheduled check (and `gapwatch check` without --from/--last) judges. */
  readonly checkWindowMs: number;
  /**
   * How the pipeline repairs a gap range: `sample` (the embedded sample's built-in), a module path relative to
   * the config file, or a Lambda function ARN. Resolved by the pipeline (services/pipeline/repair.ts).
   */
  readonly repair?: string;
  /** A scheduled check that finds gaps starts a FULL pipeline run for its window (absent = off). */
  readonly autoRepair?: true;
}

/** Trailing window of scheduled checks: a day of intraday buckets, a week of daily ones. */
export const DEFAULT_CHECK_WINDOW_MS: Readonly<Record<Bucket, number>> = {
  '1m': 86_400_000,
  '5m': 86_400_000,
  '15m': 86_400_000,
  '1h': 86_400_000,
  '1d': 7 * 86_400_000,
};

/** Settle default: Kinesis Firehose, the usual way ticks reach S3, buffers up to 900 s. */
export const DEFAULT_SETTLE_MS = 15 * 60_000;

/**
 * Default longest window per check. The window bounds the bytes Athena scans, which depend on the
 * time span rather than the bucket, so intraday buckets share 31 days (1m: 44,640 buckets per
 * group, under the ~50,000 the engine is sized for); daily buckets get a year.
 */
export const DEFAULT_MAX_WINDOW_MS: Readonly<Record<Bucket, number>> = {
  '1m': 31 * 86_400_000,
  '5m': 31 * 86_400_000,
  '15m': 31 * 86_400_000,
  '1h': 31 * 86_400_000,
  '1d': 366 * 86_400_000,
};

/**
 * Default longest window of a check judged in Athena (gaps-and-islands in its SQL, docs/gaps.md). What comes
 * back grows with the gaps, not the buckets, so the bound is the service's one grid of the window's buckets
 * (group-independent, at most ~530,000 here) and the bytes Athena scans: ten years of 15m/1h/1d, five of 5m,
 * one of 1m.
 */
export const DEFAULT_MAX_CHECK_WINDOW_MS: Readonly<Record<Bucket, number>> = {
  '1m': 366 * 86_400_000,
  '5m': 1830 * 86_400_000,
  '15m': 3660 * 86_400_000,
  '1h': 3660 * 86_400_000,
  '1d': 3660 * 86_400_000,
};

/** Hard ceiling on buckets per group in one window, whatever maxWindow or maxCheckWindow say. */
export const MAX_BUCKETS_PER_GROUP = 1_000_000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CLOCK = /^(\d{2}):(\d{2})$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;

const KNOWN_KEYS = [
  'name', 'shape', 'database', 'table', 'timestampColumn', 'groupColumn', 'query', 'timeColumn',
  'wideColumns', 'groups', 'bucket', 'expectedPerBucket', 'minRatio', 'timezone', 'calendar', 'settle',
  'schedule', 'startsAt', 'maxWindow', 'maxCheckWindow', 'seriesLookback', 'checkWindow', 'timestampType', 'partition', 'repair',
  'autoRepair',
] as const;
const PARTITION_KEYS = ['column', 'format', 'type'] as const;

/** Format tokens, Java-style and date_format-style, and the field each stands for. */
const PARTITION_TOKENS: readonly [string, 'year' | 'month' | 'day' | 'hour'][] = [
  ['yyyy', 'year'], ['%Y', 'year'], ['MM', 'month'], ['%m', 'month'], ['dd', 'day'], ['%d', 'day'], ['HH', 'hour'], ['%H', 'hour'],
];
const FIELD_ORDER = ['year', 'month', 'day', 'hour'] as const;
const CALENDAR_KEYS = ['days', 'open', 'close', 'holidays'] as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** Reads one dataset entry; every failure names `datasets[i] (name).key`. */
class Reader {
  constructor(
    private readonly where: string,
    private readonly raw: Record<string, unknown>,
  ) {}

  fail(key: string, message: string): never {
    throw new ConfigError(`${this.where}.${key}: ${message}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  string(key: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '') this.fail(key, `expected a non-empty string, got ${describe(value)}`);
    return value;
  }

  identifier(key: string): string | undefined {
    const value = this.string(key);
    if (value !== undefined && !IDENTIFIER.test(value)) {
      this.fail(key, `expected a plain SQL identifier [A-Za-z_][A-Za-z0-9_]*, got '${value}'`);
    }
    return value;
  }

  required<T>(key: string, value: T | undefined, why: string): T {
    if (value === undefined) this.fail(key, `required ${why}`);
    return value;
  }

  number(key: string, check: (n: number) => boolean, expected: string): number | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
      this.fail(key, `expected ${expected}, got ${describe(value)}`);
    }
    return value;
  }

  duration(key: string, min = 0): number | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return undefined;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) this.fail(key, `expected a duration like 15m, 1h or 7d, got ${describe(value)}`);
    if (ms < min) this.fail(key, `expected at least ${formatDuration(min)}, got '${String(value)}'`);
    return ms;
  }
}

/** A YAML date may arrive as a Date when a YAML 1.1 schema was used; accept it as its UTC date. */
function dateText(value: unknown): string | undefined {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
  if (typeof value === 'string' && DATE.test(value)) {
    const [, y, m, d] = DATE.exec(value)!;
    const check = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    if (check.toISOString().slice(0, 10) === value) return value;
  }
  return undefined;
}

function clockMinutes(value: string): number | undefined {
  const match = CLOCK.exec(value);
  if (match === null) return undefined;
  const h = Number(match[1]);
  const m = Number(match[2]);
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return undefined;
  return h * 60 + m;
}

/**
 * An instant written in the config: ISO with Z or an offset is absolute; a date or date-time
 * without one is wall time in the dataset zone (so `2024-01-02` is local midnight).
 */
export function parseLocalInstant(text: string, timezone: string): number | undefined {
  const match = LOCAL_TIME.exec(text.trim());
  if (match === null) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', ms = '0', zone] = match;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0')));
  const check = new Date(wall);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return undefined;
  }
  if (zone === undefined) return zoneFor(timezone).instantOfWall(wall);
  if (zone === 'Z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return wall - offset;
}

function parseCalendar(r: Reader, raw: unknown): Calendar | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) r.fail('calendar', `expected a mapping, got ${describe(raw)}`);
  const c = raw as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!(CALENDAR_KEYS as readonly string[]).includes(key)) {
      r.fail(`calendar.${key}`, `unknown key (known: ${CALENDAR_KEYS.join(', ')})`);
    }
  }
  let days: Weekday[] = [...WEEKDAYS];
  if (c.days !== undefined && c.days !== null) {
    if (!Array.isArray(c.days) || c.days.length === 0) r.fail('calendar.days', `expected a non-empty list of ${WEEKDAYS.join(' | ')}, got ${describe(c.days)}`);
    days = c.days.map((day, i) => {
      const name = typeof day === 'string' ? day.toLowerCase().slice(0, 3) : '';
      if (typeof day !== 'string' || !(WEEKDAYS as readonly string[]).includes(name)) {
        r.fail(`calendar.days[${i}]`, `expected one of ${WEEKDAYS.join(' | ')}, got ${describe(day)}`);
      }
      return name as Weekday;
    });
    days = WEEKDAYS.filter((d) => days.includes(d));
  }
  const clock = (key: 'open' | 'close'): string | undefined => {
    const value = c[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || clockMinutes(value) === undefined) {
      r.fail(`calendar.${key}`, `expected a quoted local time "HH:MM" (00:00 to 24:00), got ${describe(value)}`);
    }
    return value;
  };
  const open = clock('open');
  const close = clock('close');
  if ((open === undefined) !== (close === undefined)) r.fail(open === undefined ? 'calendar.open' : 'calendar.close', 'open and close go together');
  const openMinute = open === undefined ? 0 : clockMinutes(open)!;
  const closeMinute = close === undefined ? 1440 : clockMinutes(close)!;
  if (closeMinute <= openMinute) {
    r.fail('calendar.close', `expected a time after open ${open} (sessions across midnight are not supported), got '${close}'`);
  }
  let holidays: string[] = [];
  if (c.holidays !== undefined && c.holidays !== null) {
    if (!Array.isArray(c.holidays)) r.fail('calendar.holidays', `expected a list of dates YYYY-MM-DD, got ${describe(c.holidays)}`);
    holidays = c.holidays.map((h, i) => {
      const text = dateText(h);
      if (text === undefined) r.fail(`calendar.holidays[${i}]`, `expected a date YYYY-MM-DD, got ${describe(h)}`);
      return text;
    });
  }
  return {
    days,
    ...(open !== undefined ? { open } : {}),
    ...(close !== undefined ? { close } : {}),
    openMinute,
    closeMinute,
    holidays,
  };
}

function parseGroups(r: Reader, raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) r.fail('groups', `expected a non-empty list of group names, got ${describe(raw)}`);
  const seen = new Set<string>();
  return raw.map((g, i) => {
    // YAML reads `groups: [1, 2]` as numbers; groups are compared as the strings Athena returns.
    const name = typeof g === 'number' && Number.isFinite(g) ? String(g) : g;
    if (typeof name !== 'string' || name === '') r.fail(`groups[${i}]`, `expected a group name, got ${describe(g)}`);
    if (seen.has(name)) r.fail(`groups[${i}]`, `duplicate group '${name}'`);
    seen.add(name);
    return name;
  });
}

function parseStartsAt(r: Reader, raw: unknown, timezone: string): Pick<Dataset, 'startsAt' | 'startsAtMs'> {
  if (raw === undefined || raw === null) return {};
  const instant = (key: string, value: unknown): number => {
    const text = value instanceof Date ? value.toISOString() : value;
    const ms = typeof text === 'string' ? parseLocalInstant(text, timezone) : undefined;
    if (ms === undefined) r.fail(key, `expected an ISO date or date-time (zone optional, default ${timezone}), got ${describe(value)}`);
    return ms;
  };
  if (typeof raw === 'string' || raw instanceof Date) {
    const all = instant('startsAt', raw);
    return { startsAt: typeof raw === 'string' ? raw : raw.toISOString(), startsAtMs: { all, byGroup: new Map() } };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) r.fail('startsAt', `expected an instant or a mapping group → instant, got ${describe(raw)}`);
  const written: Record<string, string> = {};
  // Group names are data: a Map, so a group called `constructor` or `toString` is not an Object property.
  const byGroup = new Map<string, number>();
  for (const [group, value] of Object.entries(raw as Record<string, unknown>)) {
    byGroup.set(group, instant(`startsAt.${group}`, value));
    Object.defineProperty(written, group, { value: value instanceof Date ? value.toISOString() : String(value), enumerable: true, writable: true, configurable: true });
  }
  return { startsAt: written, startsAtMs: { byGroup } };
}

/**
 * A partition format: fields from year down, none skipped (`yyyy`, `yyyy-MM`, `yyyy-MM-dd`, `yyyy-MM-dd-HH`,
 * or `%Y/%m/%d`), separated by literal text. Big-endian and fixed-width, so comparing values as strings
 * orders them in time, which is what bounding the column by the window relies on.
 */
export function parsePartitionFormat(format: string): PartitionPart[] | string {
  const parts: PartitionPart[] = [];
  let literal = '';
  for (let i = 0; i < format.length; ) {
    const token = PARTITION_TOKENS.find(([t]) => format.startsWith(t, i));
    if (token !== undefined) {
      if (literal !== '') parts.push({ literal });
      literal = '';
      parts.push({ field: token[1] });
      i += token[0].length;
      continue;
    }
    const c = format[i]!;
    if (/[A-Za-z%']/.test(c)) return `unsupported '${format.slice(i, i + 2)}' (fields: yyyy MM dd HH, or %Y %m %d %H; separators: digits-free punctuation)`;
    literal += c;
    i++;
  }
  if (literal !== '') parts.push({ literal });
  const fields = parts.flatMap((p) => ('field' in p ? [p.field] : []));
  if (fields.length === 0 || fields.some((f, i) => f !== FIELD_ORDER[i])) {
    return `fields must run from the year down without gaps (yyyy, yyyy-MM, yyyy-MM-dd or yyyy-MM-dd-HH), got '${format}'`;
  }
  if (parts.some((p) => 'literal' in p && /\d/.test(p.literal))) return `separators must not hold digits, got '${format}'`;
  return parts;
}

function parsePartition(r: Reader, raw: unknown): Partition | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) r.fail('partition', `expected a mapping { column, format }, got ${describe(raw)}`);
  const p = raw as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!(PARTITION_KEYS as readonly string[]).includes(key)) r.fail(`partition.${key}`, `unknown key (known: ${PARTITION_KEYS.join(', ')})`);
  }
  if (typeof p.column !== 'string' || !IDENTIFIER.test(p.column)) {
    r.fail('partition.column', `expected a plain SQL identifier [A-Za-z_][A-Za-z0-9_]*, got ${describe(p.column)}`);
  }
  const format = p.format ?? 'yyyy-MM-dd';
  if (typeof format !== 'string') r.fail('partition.format', `expected a format like yyyy-MM-dd or %Y-%m-%d, got ${describe(format)}`);
  const parts = parsePartitionFormat(format);
  if (typeof parts === 'string') r.fail('partition.format', parts);
  const type = p.type ?? 'string';
  if (type !== 'string' && type !== 'date') r.fail('partition.type', `expected string | date, got ${describe(type)}`);
  // A DATE literal is read as YYYY-MM-DD, whatever the format says.
  if (type === 'date' && parts.map((x) => ('field' in x ? x.field : x.literal)).join(' ') !== 'year - month - day') {
    r.fail('partition.format', `a date partition is formatted yyyy-MM-dd, got '${format}'`);
  }
  return { column: p.column, format, parts, type };
}

function parseWideColumns(r: Reader, raw: unknown): string | Map<string, string> {
  if (raw === undefined || raw === null) return '{group}_CNT';
  if (typeof raw === 'string') {
    if (raw.split('{group}').length !== 2) r.fail('wideColumns', `expected a pattern with exactly one {group}, got '${raw}'`);
    return raw;
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) r.fail('wideColumns', `expected a pattern like "{group}_CNT" or a mapping group → column, got ${describe(raw)}`);
  // Group names are data: a Map, so a group called `__proto__` or `constructor` is a group like any other.
  const map = new Map<string, string>();
  for (const [group, column] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof column !== 'string' || column === '') r.fail(`wideColumns.${group}`, `expected a column name, got ${describe(column)}`);
    map.set(group, column);
  }
  if (map.size === 0) r.fail('wideColumns', 'expected at least one group → column');
  return map;
}

function parseOne(raw: unknown, index: number, namedQueryNames: ReadonlySet<string>): Dataset {
  const label = (name: string | undefined) => `datasets[${index}]${name === undefined ? '' : ` (${name})`}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${label(undefined)}: expected a mapping, got ${describe(raw)}`);
  }
  const obj = raw as Record<string, unknown>;
  const rawName = typeof obj.name === 'string' && obj.name.trim() !== '' ? obj.name : undefined;
  const r = new Reader(label(rawName), obj);
  const name = r.required('name', r.string('name'), '(a unique dataset name)');
  for (const key of Object.keys(obj)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) r.fail(key, `unknown key (known: ${KNOWN_KEYS.join(', ')})`);
  }

  const shapeText: string = r.string('shape') ?? (r.has('query') ? 'wide' : 'long');
  if (shapeText !== 'long' && shapeText !== 'wide') r.fail('shape', `expected one of long | wide, got '${shapeText}'`);
  const shape = shapeText as 'long' | 'wide';

  const bucketText = r.required('bucket', r.string('bucket'), `(one of ${BUCKETS.join(' | ')})`);
  if (!(BUCKETS as readonly string[]).includes(bucketText)) r.fail('bucket', `expected one of ${BUCKETS.join(' | ')}, got '${bucketText}'`);
  const bucket = bucketText as Bucket;
  const bucketMs = BUCKET_MS[bucket];

  const expectedPerBucket = r.required(
    'expectedPerBucket',
    r.number('expectedPerBucket', (n) => n > 0, 'a number > 0'),
    '(rows expected in a full bucket)',
  );
  const minRatio = r.number('minRatio', (n) => n > 0 && n <= 1, 'a number in (0, 1]') ?? 1;
  const timezone = r.string('timezone') ?? 'UTC';
  if (!isKnownZone(timezone)) r.fail('timezone', `expected an IANA zone like UTC or America/New_York, got '${timezone}'`);

  const base = {
    name,
    shape,
    bucket,
    bucketMs,
    expectedPerBucket,
    minRatio,
    timezone,
  };

  let source: Partial<Dataset>;
  if (shape === 'long') {
    const timestampType = r.string('timestampType');
    if (timestampType !== undefined && !(TIMESTAMP_TYPES as readonly string[]).includes(timestampType)) {
      r.fail('timestampType', `expected one of ${TIMESTAMP_TYPES.join(' | ')}, got '${timestampType}'`);
    }
    if (timestampType === 'date' && bucket !== '1d') r.fail('timestampType', `a date column holds whole days: bucket must be 1d, got '${bucket}'`);
    const partition = parsePartition(r, obj.partition);
    source = {
      ...(r.identifier('database') !== undefined ? { database: r.identifier('database') } : {}),
      table: r.required('table', r.identifier('table'), 'for a long dataset'),
      timestampColumn: r.required('timestampColumn', r.identifier('timestampColumn'), 'for a long dataset'),
      groupColumn: r.required('groupColumn', r.identifier('groupColumn'), 'for a long dataset'),
      ...(timestampType !== undefined ? { timestampType: timestampType as TimestampType } : {}),
      ...(partition !== undefined ? { partition } : {}),
    };
    for (const key of ['query', 'timeColumn', 'wideColumns']) {
      if (r.has(key)) r.fail(key, 'only for shape: wide');
    }
  } else {
    const query = r.required('query', r.string('query'), 'for a wide dataset (a namedQueries name)');
    if (!namedQueryNames.has(query)) {
      const known = [...namedQueryNames].sort().join(', ');
      r.fail('query', `unknown named query '${query}' (known: ${known === '' ? 'none' : known})`);
    }
    for (const key of ['database', 'table', 'timestampColumn', 'groupColumn', 'timestampType', 'partition']) {
      if (r.has(key)) r.fail(key, 'only for shape: long (a wide dataset reads its named query)');
    }
    source = {
      query,
      wide: {
        timeColumn: r.required('timeColumn', r.string('timeColumn'), 'for a wide dataset (the bucket time column)'),
        groupColumns: parseWideColumns(r, obj.wideColumns),
      },
    };
  }

  const groups = parseGroups(r, obj.groups);
  const calendar = parseCalendar(r, obj.calendar);
  if (calendar !== undefined && bucket === '1d' && calendar.open !== undefined) {
    // Daily buckets judge whole trading days; the session hours would silently mean nothing.
    r.fail('calendar.open', 'not used with bucket 1d (a daily bucket is a whole trading day); remove open/close');
  }
  const settleMs = r.duration('settle') ?? DEFAULT_SETTLE_MS;
  const scheduleMs = r.duration('schedule', 60_000);
  const maxWindowMs = r.duration('maxWindow', bucketMs) ?? DEFAULT_MAX_WINDOW_MS[bucket];
  if (maxWindowMs / bucketMs > MAX_BUCKETS_PER_GROUP) {
    r.fail('maxWindow', `at most ${MAX_BUCKETS_PER_GROUP} buckets of ${bucket} (${formatDuration(MAX_BUCKETS_PER_GROUP * bucketMs)}), got '${String(obj.maxWindow)}'`);
  }
  const maxCheckWindowMs = r.duration('maxCheckWindow', bucketMs) ?? Math.max(maxWindowMs, DEFAULT_MAX_CHECK_WINDOW_MS[bucket]);
  if (maxCheckWindowMs / bucketMs > MAX_BUCKETS_PER_GROUP) {
    r.fail('maxCheckWindow', `at most ${MAX_BUCKETS_PER_GROUP} buckets of ${bucket} (${formatDuration(MAX_BUCKETS_PER_GROUP * bucketMs)}), got '${String(obj.maxCheckWindow)}'`);
  }
  if (maxCheckWindowMs < maxWindowMs) r.fail('maxCheckWindow', `must be at least maxWindow (${formatDuration(maxWindowMs)}), got '${String(obj.maxCheckWindow)}'`);
  const seriesLookbackMs = r.duration('seriesLookback', 60_000) ?? maxWindowMs;
  const checkWindowMs = r.duration('checkWindow', bucketMs) ?? Math.min(maxWindowMs, DEFAULT_CHECK_WINDOW_MS[bucket]);
  if (checkWindowMs > maxWindowMs) r.fail('checkWindow', `must not exceed maxWindow (${formatDuration(maxWindowMs)}), got '${String(obj.checkWindow)}'`);
  const starts = parseStartsAt(r, obj.startsAt, timezone);
  const repair = r.string('repair');
  if (obj.autoRepair !== undefined && obj.autoRepair !== null && typeof obj.autoRepair !== 'boolean') {
    r.fail('autoRepair', `expected true or false, got ${describe(obj.autoRepair)}`);
  }
  const autoRepair = obj.autoRepair === true;
  if (autoRepair && scheduleMs === undefined) r.fail('autoRepair', 'needs a schedule: only scheduled checks start repairs');

  return {
    ...base,
    ...source,
    ...(groups !== undefined ? { groups } : {}),
    ...(calendar !== undefined ? { calendar } : {}),
    settleMs,
    ...(scheduleMs !== undefined ? { scheduleMs } : {}),
    ...starts,
    maxWindowMs,
    maxCheckWindowMs,
    seriesLookbackMs,
    checkWindowMs,
    ...(repair !== undefined ? { repair } : {}),
    ...(autoRepair ? { autoRepair } : {}),
  } as Dataset;
}

/**
 * Parses the `datasets:` list (absent = no datasets). `namedQueryNames` are the names in the
 * `namedQueries:` section, so a wide dataset naming a query that does not exist fails at start-up.
 */
export function parseDatasets(raw: unknown, namedQueryNames: ReadonlySet<string>): Dataset[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ConfigError(`datasets: expected a list of datasets, got ${describe(raw)}`);
  const datasets = raw.map((entry, i) => parseOne(entry, i, namedQueryNames));
  const seen = new Map<string, number>();
  datasets.forEach((d, i) => {
    const first = seen.get(d.name);
    if (first !== undefined) throw new ConfigError(`datasets[${i}] (${d.name}).name: duplicate of datasets[${first}]`);
    seen.set(d.name, i);
  });
  return datasets;
}
