import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { RunStatus as ServiceRunStatus } from '../services/pipeline/run';
import type { PipelineMode as ServicePipelineMode } from '../services/pipeline/types';
import { PageInfo } from './query-execution.type';

export enum RunStatus {
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  TIMED_OUT = 'TIMED_OUT',
  ABORTED = 'ABORTED',
}
registerEnumType(RunStatus, { name: 'RunStatus', description: 'A pipeline run\'s Step Functions execution status.' });

export enum PipelineMode {
  CHECK = 'CHECK',
  FULL = 'FULL',
  REPAIR = 'REPAIR',
  VALIDATE = 'VALIDATE',
}
registerEnumType(PipelineMode, {
  name: 'PipelineMode',
  description:
    'Where a run enters the state machine. CHECK: check, then Initiate if OK (gaps found end the run). FULL: check, repair what it finds, validate, initiate. REPAIR: repair the given ranges, validate, initiate. VALIDATE: re-check, initiate if OK.',
});

@InputType({ description: 'A window of one group to repair: [start, end), inside the run\'s window.' })
export class GapRangeInput {
  @Field()
  group!: string;

  @Field(() => Date)
  start!: Date;

  @Field(() => Date)
  end!: Date;
}

@ObjectType({ description: 'A window of one group a run repaired.' })
export class RunRange {
  @Field()
  group!: string;

  @Field(() => Date)
  start!: string;

  @Field(() => Date)
  end!: string;

  @Field(() => String, { nullable: true, description: 'MISSING or UNDERFILLED when the range came from a check.' })
  kind?: string;
}

@ObjectType({ description: 'One event of a run\'s Step Functions history.' })
export class RunEvent {
  @Field(() => Int, { description: 'Step Functions\' event id: 1..n in order.' })
  id!: number;

  @Field(() => Int, { nullable: true })
  previousId!: number | null;

  @Field({ description: 'Step Functions\' event type, e.g. TaskStateEntered, LambdaFunctionFailed, MapIterationStarted, ExecutionSucceeded.' })
  type!: string;

  @Field(() => String, { nullable: true, description: 'The state the event belongs to.' })
  state!: string | null;

  @Field(() => Date)
  at!: Date;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The event\'s details as Step Functions gives them (input and output as JSON text; error and cause on failures).' })
  detail!: Record<string, unknown> | null;
}

@ObjectType()
export class RunEventEdge {
  @Field()
  cursor!: string;

  @Field(() => RunEvent)
  node!: RunEvent;
}

@ObjectType()
export class RunEventConnection {
  @Field(() => [RunEventEdge])
  edges!: RunEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'A pipeline run: one Step Functions execution of the gapwatch-pipeline state machine.' })
export class PipelineRun {
  @Field(() => ID, { description: 'The execution ARN.' })
  id!: string;

  @Field({ description: 'The execution name, derived from the run\'s input (a repeated request finds the run still going).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Null only for an execution started outside gapwatch with another input shape.' })
  dataset!: string | null;

  @Field(() => PipelineMode, { nullable: true })
  mode!: ServicePipelineMode | null;

  @Field(() => Date, { nullable: true })
  from!: string | null;

  @Field(() => Date, { nullable: true })
  to!: string | null;

  @Field(() => RunStatus)
  status!: ServiceRunStatus;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  stoppedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'FAILED, TIMED_OUT or ABORTED runs: the error name (e.g. gapwatch.RepairFailed).' })
  error!: string | null;

  @Field(() => String, { nullable: true, description: 'What went wrong, naming the range or the gaps that remain.' })
  cause!: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The execution input: { dataset, from, to, mode, ranges? }.' })
  input!: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The execution output (SUCCEEDED runs).' })
  output!: unknown;

  @Field(() => [RunRange], { description: 'The ranges Repair finished (from the output).' })
  repairedRanges!: RunRange[];
}

@ObjectType()
export class RunEdge {
  @Field()
  cursor!: string;

  @Field(() => PipelineRun)
  node!: PipelineRun;
}

@ObjectType()
export class RunConnection {
  @Field(() => [RunEdge])
  edges!: RunEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

/** The window every run judges; each start mutation takes it. */
@ArgsType()
export class RunWindowArgs {
  @Field({ description: 'A configured dataset name.' })
  dataset!: string;

  @Field(() => Date, { description: 'Window start (inclusive); at most the dataset\'s maxCheckWindow before `to` (maxWindow for a wide dataset).' })
  from!: Date;

  @Field(() => Date, { description: 'Window end (exclusive).' })
  to!: Date;
}

@ArgsType()
export class StartCheckArgs extends RunWindowArgs {
  @Field({ defaultValue: false, description: 'Repair what the check finds, then validate (mode FULL); else mode CHECK.' })
  repair!: boolean;
}

@ArgsType()
export class StartRepairArgs extends RunWindowArgs {
  @Field(() => [GapRangeInput], { nullable: true, description: 'The ranges to repair (at most 200); omitted = check the window first and repair what it finds (FULL).' })
  ranges?: GapRangeInput[] | null;
}

@ArgsType()
export class RunsArgs {
  @Field(() => String, { nullable: true })
  dataset?: string | null;

  @Field(() => RunStatus, { nullable: true })
  status?: ServiceRunStatus | null;

  @Field(() => Int, { defaultValue: 20, description: 'At most 100.' })
  first!: number;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ObjectType({ description: 'The pipeline this gapwatch runs: its Step Functions state machine.' })
export class Pipeline {
  @Field({ description: 'The state machine\'s ARN.' })
  stateMachineArn!: string;

  @Field(() => GraphQLJSONObject, { description: 'The machine\'s definition (Amazon States Language) as Step Functions holds it: the states a run moves through, for drawing it.' })
  definition!: Record<string, unknown>;
}
