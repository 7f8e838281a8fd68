import { Arg, Resolver, Root, Subscription } from 'type-graphql';
import { GapReport, ReadySignal } from '../schema/gaps.type';
import type { ReadySignal as ReadySignalRecord } from '../services/gaps/check-store';
import type { GapCheck } from '../services/gaps/gaps.service';
import { Topic } from '../services/events/topics';
import { Uses } from './uses';

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
