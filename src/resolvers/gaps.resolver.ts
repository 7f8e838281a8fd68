import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { ChecksArgs, DatasetInfo, GapRange, GapReport, GapsArgs, ReadySignal } from '../schema/gaps.type';
import { QueryExecution } from '../schema/query-execution.type';
import type { Execution } from '../services/athena/athena.service';
import type { Dataset } from '../services/gaps/dataset';
import { formatDuration } from '../services/time/duration';
import type { GapCheck, GapsService } from '../services/gaps/gaps.service';
import type { GapScheduler } from '../services/gaps/scheduler';
import { Uses } from './uses';
import type { ReadySignal as ReadySignalRecord } from '../services/gaps/check-store';

function toInfo(d: Dataset): DatasetInfo {
  return {
    name: d.name,
    shape: d.shape,
    database: d.database,
    table: d.table,
    timestampColumn: d.timestampColumn,
    groupColumn: d.groupColumn,
    query: d.query,
    groups: d.groups ? [...d.groups] : undefined,
    bucket: d.bucket,
    expectedPerBucket: d.expectedPerBucket,
    minRatio: d.minRatio,
    timezone: d.timezone,
    calendar: d.calendar ? { days: [...d.calendar.days], open: d.calendar.open, close: d.calendar.close, holidays: [...d.calendar.holidays] } : undefined,
    settle: formatDuration(d.settleMs),
    schedule: d.scheduleMs === undefined ? undefined : formatDuration(d.scheduleMs),
    maxWindow: formatDuration(d.maxWindowMs),
    maxCheckWindow: formatDuration(d.maxCheckWindowMs),
    checkWindow: formatDuration(d.checkWindowMs),
  };
}

/** Whether the operation selected `field` directly under this one (fragments included). */
function selects(info: GraphQLResolveInfo, field: string): boolean {
  const visit = (selections: readonly any[]): boolean =>
    selections.some((s) =>
      s.kind === 'Field' ? s.name.value === field
      : s.kind === 'InlineFragment' ? visit(s.selectionSet.selections)
      : s.kind === 'FragmentSpread' ? visit(info.fragments[s.name.value]?.selectionSet.selections ?? [])
      : false,
    );
  return info.fieldNodes.some((n) => n.selectionSet !== undefined && visit(n.selectionSet.selections));
}

@Uses('gaps', 'scheduler')
@Resolver(() => DatasetInfo)
export class DatasetResolver {
  constructor(
    private readonly gapsService: GapsService,
    private readonly scheduler: GapScheduler,
  ) {}

  @Query(() => [DatasetInfo], { description: 'Every configured dataset.' })
  datasets(): DatasetInfo[] {
    return this.gapsService.datasets().map(toInfo);
  }

  @Query(() => DatasetInfo, { nullable: true })
  dataset(@Arg('name') name: string): DatasetInfo | null {
    const d = this.gapsService.dataset(name);
    return d ? toInfo(d) : null;
  }

  @FieldResolver(() => GapReport, { nullable: true, description: 'The newest check of this dataset, failed ones included.' })
  async lastCheck(@Root() d: DatasetInfo): Promise<GapCheck | null> {
    return (await this.gapsService.lastCheck(d.name)) ?? null;
  }

  @FieldResolver(() => ReadySignal, {
    nullable: true,
    description: 'The newest ready signal (an OK check of every group, or a pipeline run): the last time clients could be told the data is good.',
  })
  async lastReadySignal(@Root() d: DatasetInfo): Promise<ReadySignalRecord | null> {
    return (await this.gapsService.lastReadySignal(d.name)) ?? null;
  }

  @FieldResolver(() => Date, { nullable: true, description: 'When this gapwatch starts the next scheduled check; null without a schedule.' })
  nextCheckAt(@Root() d: DatasetInfo): Date | null {
    const at = this.scheduler.nextCheckAt(d.name);
    return at === undefined ? null : new Date(at);
  }

  @FieldResolver(() => [GapReport], { description: 'Past checks, newest first (bounded history, failed ones included).' })
  checks(@Root() d: DatasetInfo, @Arg('first', () => Int, { defaultValue: 20 }) first: number): Promise<GapCheck[]> {
    return this.gapsService.checks(d.name, first);
  }
}

@Uses('gaps')
@Resolver(() => GapReport)
export class GapReportResolver {
  constructor(private readonly gapsService: GapsService) {}

  @Query(() => GapReport, {
    description: 'Checks a window [from, to) of a dataset now: missing and under-filled buckets per group, merged into ranges.',
  })
  gaps(@Args() { dataset, from, to, groups }: GapsArgs, @Info() info: GraphQLResolveInfo): Promise<GapCheck> {
    return this.gapsService.check(dataset, {
      // The DateTime scalar has already refused anything that is not an RFC 3339 date-time.
      from: from.getTime(),
      to: to.getTime(),
      groups: groups ?? undefined,
      series: selects(info, 'series'),
      trigger: 'API',
    });
  }

  @Query(() => [GapReport], { description: 'Past checks of a dataset, newest first.' })
  checks(@Args() { dataset, first }: ChecksArgs): Promise<GapCheck[]> {
    return this.gapsService.checks(dataset, first);
  }

  /**
   * The engine records `absent` on MISSING ranges only; here every range gets a yes/no, so a person reading
   * ranges side by side sees true or false, never a null beside a false.
   */
  @FieldResolver(() => [GapRange], { description: 'Sorted by group, then start.' })
  ranges(@Root() report: GapCheck): GapRange[] {
    return report.ranges.map((r) => ({ ...r, absent: r.kind === 'MISSING' && r.absent }));
  }

  @FieldResolver(() => [String], {
    nullable: true,
    description: 'The groups judged, sorted: the asked-for or configured ones, or every group seen in the window (and every one whose series began before its end). Null for a check kept before gapwatch recorded them.',
  })
  groups(@Root() report: GapCheck): readonly string[] | null {
    return report.groups ?? null;
  }

  @FieldResolver(() => QueryExecution, { nullable: true })
  async queryExecution(@Root() report: GapCheck, @Ctx() ctx: Context): Promise<Execution | null> {
    if (report.queryExecutionId === null) return null;
    return ctx.loaders.execution.load(report.queryExecutionId);
  }
}

