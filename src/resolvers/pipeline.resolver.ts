import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { CodedError, ErrorCode } from '../errors';
import {
  Pipeline,
  PipelineRun,
  RunConnection,
  RunEventConnection,
  RunsArgs,
  StartCheckArgs,
  StartRepairArgs,
  RunWindowArgs,
} from '../schema/pipeline.type';
import type { PipelineService, Page } from '../services/pipeline/pipeline.service';
import type { PipelineRun as Run } from '../services/pipeline/run';
import { Uses } from './uses';

function connection<T>(page: Page<T>) {
  return {
    edges: page.items,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: page.items[0]?.cursor ?? null,
      endCursor: page.items.at(-1)?.cursor ?? page.endCursor ?? null,
    },
  };
}

/** The pipeline is served by the app; only a one-off CLI check builds services without it. */
function served(pipeline: PipelineService | undefined): PipelineService {
  if (!pipeline) throw new CodedError(ErrorCode.FORBIDDEN, 'this gapwatch does not serve the pipeline');
  return pipeline;
}

@Uses('pipeline')
@Resolver(() => PipelineRun)
export class PipelineResolver {
  constructor(private readonly pipelineService: PipelineService | undefined) {}

  @Mutation(() => PipelineRun, {
    description: 'Starts a run that checks [from, to): mode CHECK, or FULL (repair what it finds, validate) with repair: true. The same request while its run is going returns that run.',
  })
  startCheck(@Args() { dataset, from, to, repair }: StartCheckArgs): Promise<Run> {
    return served(this.pipelineService).start({ dataset, from: from.getTime(), to: to.getTime(), mode: repair ? 'FULL' : 'CHECK' });
  }

  @Mutation(() => PipelineRun, { description: 'Starts a run that repairs the given ranges (mode REPAIR), or, with ranges omitted, what a check of the window finds (FULL); then validates them, and initiates (declares the window ready) only when the whole window is complete: else the run ends SUCCEEDED with output.notReady.reason saying why.' })
  startRepair(@Args() { dataset, from, to, ranges }: StartRepairArgs): Promise<Run> {
    return served(this.pipelineService).start({
      dataset,
      from: from.getTime(),
      to: to.getTime(),
      ...(ranges ? { mode: 'REPAIR' as const, ranges: ranges.map((r) => ({ group: r.group, start: r.start.toISOString(), end: r.end.toISOString() })) } : { mode: 'FULL' as const }),
    });
  }

  @Mutation(() => PipelineRun, { description: 'Starts a run that re-checks [from, to) and initiates if it is complete (mode VALIDATE).' })
  startValidation(@Args() { dataset, from, to }: RunWindowArgs): Promise<Run> {
    return served(this.pipelineService).start({ dataset, from: from.getTime(), to: to.getTime(), mode: 'VALIDATE' });
  }

  @Mutation(() => PipelineRun, { nullable: true, description: 'Stops a run: it ends ABORTED and the running step is cancelled. Null when no such run exists.' })
  stopRun(@Arg('id', () => ID) id: string, @Arg('cause', () => String, { nullable: true }) cause: string | null): Promise<Run | null> {
    return served(this.pipelineService).stop(id, cause ?? undefined);
  }

  @Query(() => PipelineRun, { nullable: true, description: 'A run by id (its execution ARN); null when there is no such run.' })
  run(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Run | null> {
    served(this.pipelineService);
    return ctx.loaders.run.load(id);
  }

  @Query(() => Pipeline, { nullable: true, description: 'The pipeline\'s state machine; null where this gapwatch serves no pipeline.' })
  async pipeline(): Promise<Pipeline | null> {
    if (!this.pipelineService) return null;
    return { stateMachineArn: this.pipelineService.stateMachineArn, definition: await this.pipelineService.definition() };
  }

  @Query(() => RunConnection, { description: 'Pipeline runs, newest first.' })
  async runs(@Args() { dataset, status, first, after }: RunsArgs, @Ctx() ctx: Context) {
    const page = await served(this.pipelineService).list({ dataset: dataset ?? undefined, status: status ?? undefined, first, after: after ?? undefined });
    // Fields read later in this request find these runs in the loader instead of asking again.
    for (const { node } of page.items) ctx.loaders.run.prime(node.id, node);
    return connection(page);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The state the run entered last: where a running run is now.' })
  currentState(@Root() run: Run): Promise<string | null> {
    return served(this.pipelineService).currentState(run.id);
  }

  @FieldResolver(() => RunEventConnection, { description: 'The run\'s history, oldest first; `after` is an event id.' })
  async events(
    @Root() run: Run,
    @Arg('first', () => Int, { defaultValue: 100, description: 'At most 1000.' }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return connection(await served(this.pipelineService).events(run.id, first, after ?? undefined));
  }
}
