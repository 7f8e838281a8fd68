import { GraphQLSafeInt } from 'graphql-scalars';
import { ArgsType, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { BucketStatus, GapKind as EngineGapKind } from '../services/gaps/compute';
import { QueryExecution } from './query-execution.type';

export enum GapStatus {
  OK = 'OK',
  GAPS = 'GAPS',
  PENDING = 'PENDING',
  EMPTY = 'EMPTY',
  FAILED = 'FAILED',
}
registerEnumType(GapStatus, {
  name: 'GapStatus',
  description:
    'Only OK is a pass. OK: buckets were judged, all complete, none pending. GAPS: a MISSING or UNDERFILLED range (or data expected in a window with no rows and no group). ' +
    'PENDING: no gap yet, but expected buckets are not settled (inside `settle`, or in the future). EMPTY: nothing was expected in the window. ' +
    'FAILED: the check could not be completed (`error` says why).',
});

export enum GapKind {
  MISSING = 'MISSING',
  UNDERFILLED = 'UNDERFILLED',
  PARTIAL_EDGE = 'PARTIAL_EDGE',
}
registerEnumType(GapKind, {
  name: 'GapKind',
  description: 'MISSING: no rows; UNDERFILLED: fewer than expected × minRatio; PARTIAL_EDGE: informational (a series start or a settling bucket), not a gap.',
});

export enum BucketState {
  OK = 'OK',
  MISSING = 'MISSING',
  UNDERFILLED = 'UNDERFILLED',
  PARTIAL_EDGE = 'PARTIAL_EDGE',
  NOT_EXPECTED = 'NOT_EXPECTED',
  SETTLING = 'SETTLING',
}
registerEnumType(BucketState, { name: 'BucketState' });

export enum CheckTrigger {
  API = 'API',
  SCHEDULE = 'SCHEDULE',
  CLI = 'CLI',
  /** A pipeline run's Check or Validate step. */
  PIPELINE = 'PIPELINE',
}
registerEnumType(CheckTrigger, { name: 'CheckTrigger', description: 'What started a check.' });

@ObjectType({ description: 'A run of adjacent buckets of one group with the same kind of problem.' })
export class GapRange {
  @Field()
  group!: string;

  @Field(() => GapKind)
  kind!: EngineGapKind;

  @Field(() => Date, { description: 'Start of the first bucket.' })
  start!: string;

  @Field(() => Date, { description: 'End of the last bucket (exclusive).' })
  end!: string;

  @Field(() => Int, { description: 'Expected buckets in the range (closed-calendar buckets inside it are not counted).' })
  buckets!: number;

  @Field(() => Float, { description: 'Rows expected over the range.' })
  expected!: number;

  @Field(() => GraphQLSafeInt, { description: 'Rows found over the range.' })
  observed!: number;

  @Field({ description: 'True when the group had no rows at all in the window (then the range is MISSING); false otherwise.' })
  absent!: boolean;

  @Field(() => String, { nullable: true, description: 'PARTIAL_EDGE only: SERIES_START or SETTLING.' })
  reason?: string;
}

@ObjectType()
export class SeriesBucket {
  @Field(() => Date)
  start!: string;

  @Field(() => GraphQLSafeInt)
  count!: number;

  @Field(() => Float)
  expected!: number;

  @Field(() => BucketState)
  status!: BucketStatus;
}

@ObjectType({ description: 'Every bucket of one group, for plotting.' })
export class GroupSeries {
  @Field()
  group!: string;

  @Field(() => [SeriesBucket])
  buckets!: SeriesBucket[];
}

@ObjectType({ description: 'Why a check failed: the code and message a client saw.' })
export class CheckError {
  @Field({ description: 'A code from the error registry (extensions.code).' })
  code!: string;

  @Field()
  message!: string;
}

@ObjectType({ description: 'Where data is missing or thin in one window of a dataset, per group and bucket.' })
export class GapReport {
  @Field(() => ID)
  id!: string;

  @Field()
  dataset!: string;

  @Field(() => GapStatus)
  status!: GapStatus;

  @Field(() => Date, { description: 'The window judged, aligned outward to bucket boundaries in the dataset zone.' })
  from!: string;

  @Field(() => Date)
  to!: string;

  @Field()
  bucket!: string;

  @Field()
  timezone!: string;

  @Field(() => Date)
  checkedAt!: Date;

  @Field(() => CheckTrigger)
  trigger!: CheckTrigger;

  @Field(() => GraphQLSafeInt)
  durationMs!: number;

  @Field(() => Int, { description: 'Expected buckets judged, over all groups.' })
  checkedBuckets!: number;

  @Field(() => Int, { description: 'Expected buckets not judged yet (inside settle, or in the future), over all groups.' })
  pendingBuckets!: number;

  @Field({ description: 'Every group of the dataset was judged (no narrower `groups` restriction): only such a check can be a ready signal.' })
  allGroups!: boolean;

  @Field(() => CheckError, { nullable: true, description: 'FAILED checks only.' })
  error?: CheckError;

  @Field({ description: 'The query returned no rows at all: never a pass.' })
  noData!: boolean;

  // `ranges` is resolved by GapReportResolver, which gives every range its `absent`.

  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description: 'Rows with a NULL timestamp (counted, not dropped) in the partitions of the window; null when the dataset names no partition column (counting them would read the whole table).',
  })
  nullTimestampRows?: number | null;

  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Bytes Athena scanned for this check (all its queries), as Athena reports them.' })
  dataScannedBytes?: number | null;

  @Field(() => GraphQLSafeInt, { description: 'Rows with a NULL group.' })
  nullGroupRows!: number;

  @Field(() => GraphQLSafeInt, { description: 'Rows in buckets the calendar does not expect (not an error).' })
  outsideCalendarRows!: number;

  @Field(() => GraphQLSafeInt, { description: 'Rows of groups not judged (not in `groups`).' })
  unlistedGroupRows!: number;

  @Field(() => ID, {
    nullable: true,
    description: 'The Athena execution behind this report: `queryExecution(id)` shows its raw typed rows. Null when a check failed before running one.',
  })
  queryExecutionId?: string | null;

  @Field(() => QueryExecution, { nullable: true })
  queryExecution?: QueryExecution;

  @Field(() => [GroupSeries], { description: 'Per-group buckets for plotting; built only when selected, and not kept in `checks` history.' })
  series!: GroupSeries[];
}

export enum ReadySignalKind {
  CHECK = 'CHECK',
  PIPELINE = 'PIPELINE',
}
registerEnumType(ReadySignalKind, { name: 'ReadySignalKind', description: 'CHECK: an OK check of every group; PIPELINE: a pipeline run\'s Initiate step.' });

@ObjectType({ description: 'What declared the window ready.' })
export class ReadySignalSource {
  @Field(() => ReadySignalKind)
  kind!: ReadySignalKind;

  @Field(() => ID, { nullable: true, description: 'CHECK: the check (see `check`).' })
  checkId?: string;

  @Field(() => ID, { nullable: true, description: 'PIPELINE: the pipeline run.' })
  runId?: string;
}

@ObjectType({ description: 'A window of a dataset declared complete: the last time clients could be told the data is good.' })
export class ReadySignal {
  @Field()
  dataset!: string;

  @Field(() => Date, { description: 'The window declared complete, aligned to buckets.' })
  from!: string;

  @Field(() => Date)
  to!: string;

  @Field(() => Date, { description: 'When it was declared.' })
  at!: Date;

  @Field(() => ReadySignalSource, { description: 'A CHECK signal\'s check is in `checks` while the history keeps it.' })
  source!: ReadySignalSource;
}

@ObjectType()
export class DatasetCalendar {
  @Field(() => [String])
  days!: string[];

  @Field(() => String, { nullable: true })
  open?: string;

  @Field(() => String, { nullable: true })
  close?: string;

  @Field(() => [String])
  holidays!: string[];
}

@ObjectType({ description: 'A configured time series that gapwatch checks.' })
export class DatasetInfo {
  @Field()
  name!: string;

  @Field({ description: 'long (one row per event in a table) or wide (a named query with a count column per group).' })
  shape!: string;

  @Field(() => String, { nullable: true })
  database?: string;

  @Field(() => String, { nullable: true })
  table?: string;

  @Field(() => String, { nullable: true })
  timestampColumn?: string;

  @Field(() => String, { nullable: true })
  groupColumn?: string;

  @Field(() => String, { nullable: true, description: 'The named query a wide dataset reads.' })
  query?: string;

  @Field(() => [String], { nullable: true, description: 'Expected groups; null = every group seen in the window.' })
  groups?: string[];

  @Field()
  bucket!: string;

  @Field(() => Float)
  expectedPerBucket!: number;

  @Field(() => Float)
  minRatio!: number;

  @Field()
  timezone!: string;

  @Field(() => DatasetCalendar, { nullable: true })
  calendar?: DatasetCalendar;

  @Field({ description: 'Buckets ending after now − settle are still filling and not judged.' })
  settle!: string;

  @Field(() => String, { nullable: true, description: 'Automatic check cadence; null = on demand only.' })
  schedule?: string;

  @Field({ description: 'Longest window judged bucket by bucket in the service: a check with series, any check of a wide dataset, a range a pipeline run repairs.' })
  maxWindow!: string;

  @Field({ description: 'Longest window of a check without series of a long dataset, which Athena judges (its result grows with the gaps, not the buckets).' })
  maxCheckWindow!: string;

  @Field({ description: 'Trailing window of scheduled checks.' })
  checkWindow!: string;
}

@ArgsType()
export class GapsArgs {
  @Field({ description: 'A configured dataset name.' })
  dataset!: string;

  @Field(() => Date, { description: 'Window start (inclusive), aligned down to a bucket boundary in the dataset zone.' })
  from!: Date;

  @Field(() => Date, { description: 'Window end (exclusive), aligned up to a bucket boundary.' })
  to!: Date;

  @Field(() => [String], { nullable: true, description: 'Judge only these groups (each is then expected).' })
  groups?: string[] | null;
}

@ArgsType()
export class ChecksArgs {
  @Field()
  dataset!: string;

  @Field(() => Int, { defaultValue: 20, description: 'At most 100.' })
  first!: number;
}
