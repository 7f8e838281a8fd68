import { Arg, ID, Int, Resolver, Root, Subscription } from 'type-graphql';
import { CodedError, ErrorCode } from '../errors';
import { PipelineRun as PipelineRunType, RunEvent as RunEventType } from '../schema/pipeline.type';
import type { RunEvent } from '../services/pipeline/history';
import type { PipelineService } from '../services/pipeline/pipeline.service';
import type { PipelineRun } from '../services/pipeline/run';
import { GapReport, ReadySignal } from '../schema/gaps.type';
import type { ReadySignal as ReadySignalRecord } from '../services/gaps/check-store';
import type { GapCheck } from '../services/gaps/gaps.service';
import { Topic } from '../services/events/topics';
import { resolverFor, Uses } from './uses';

interface DatasetFilter {
  dataset?: string | null;
}

/** Events that crossed Redis are JSON: their instants come back as strings. */
const instant = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/** Dataset events as they happen, on every instance of the fleet (the bus crosses instances when REDIS_URL is set). */
@Uses()
@Resolver()
export class DatasetEventsResolver {
  @Subscription(() => GapReport, {
    topics: Topic.CHECK_COMPLETED,
    filter: ({ payload, args }: { payload: GapCheck; args: DatasetFilter }) => !args.dataset || payload.dataset === args.dataset,
    description: 'Every finished check (scheduled or on demand, failed ones included), of one dataset or all.',
  })
  checkCompleted(@Root() check: GapCheck, @Arg('dataset', () => String, { nullable: true }) _dataset?: string | null): GapCheck {
    return { ...check, checkedAt: instant(check.checkedAt) };
  }

  @Subscription(() => ReadySignal, {
    topics: Topic.DATASET_READY,
    filter: ({ payload, args }: { payload: ReadySignalRecord; args: DatasetFilter }) => !args.dataset || payload.dataset === args.dataset,
    description: 'Every ready signal (a pipeline run\'s Initiate, or an OK check of every group), of one dataset or all.',
  })
  datasetReady(@Root() signal: ReadySignalRecord, @Arg('dataset', () => String, { nullable: true }) _dataset?: string | null): ReadySignalRecord {
    return { ...signal, at: instant(signal.at) };
  }
}

interface RunEventsArgs {
  runId: string;
  afterEventId?: number | null;
}

/** Runs as they move: each run's state transitions, and every run's status changes. */
@Uses('pipeline')
@Resolver()
export class RunEventsResolver {
  constructor(private readonly pipelineService: PipelineService | undefined) {}

  /** The source of `runEvents`: the run's history after `afterEventId`, then its live events. */
  subscribe({ runId, afterEventId }: RunEventsArgs): AsyncIterableIterator<RunEvent> {
    if (!this.pipelineService) throw new CodedError(ErrorCode.FORBIDDEN, 'this gapwatch does not serve the pipeline');
    return this.pipelineService.streamEvents(runId, afterEventId ?? 0);
  }

  @Subscription(() => RunEventType, {
    subscribe: ({ args, info }) => resolverFor(info, RunEventsResolver).subscribe(args as RunEventsArgs),
    description:
      'A run\'s state transitions: its history after `afterEventId` (from the start when omitted), then live events; each id once, strictly increasing; completes after the run\'s last event. A subscriber that falls more than 1000 events behind gets SUBSCRIPTION_OVERFLOW with the id to resume after.',
  })
  runEvents(
    @Root() event: RunEvent,
    @Arg('runId', () => ID) _runId: string,
    @Arg('afterEventId', () => Int, { nullable: true }) _afterEventId?: number | null,
  ): RunEvent {
    return event;
  }

  @Subscription(() => PipelineRunType, {
    topics: Topic.RUN_UPDATED,
    filter: ({ payload, args }: { payload: PipelineRun; args: DatasetFilter }) => !args.dataset || payload.dataset === args.dataset,
    description: 'Every status change of any run (of one dataset or all): started by any client, by the schedule, or on any instance.',
  })
  runUpdated(@Root() run: PipelineRun, @Arg('dataset', () => String, { nullable: true }) _dataset?: string | null): PipelineRun {
    return { ...run, startedAt: instant(run.startedAt), stoppedAt: run.stoppedAt === null ? null : instant(run.stoppedAt) };
  }
}
