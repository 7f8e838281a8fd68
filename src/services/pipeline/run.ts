import type { DescribeExecutionOutput, ExecutionStatus } from '@aws-sdk/client-sfn';
import { MODES, type PipelineInput, type PipelineMode, type RangeSpec, type RepairResult } from './types';

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One pipeline run: a Step Functions execution of the gapwatch state machine, read back through client-sfn. */
export interface PipelineRun {
  /** The execution ARN. */
  id: string;
  name: string;
  status: RunStatus;
  startedAt: Date;
  stoppedAt: Date | null;
  error: string | null;
  cause: string | null;
  /** The execution input as JSON. */
  input: unknown;
  /** From the input; null when it is not the pipeline's shape (an execution started elsewhere). */
  dataset: string | null;
  mode: PipelineMode | null;
  from: string | null;
  to: string | null;
  output: unknown;
  /** The ranges Repair finished (from the output); empty before Repair ends or when it did not run. */
  repairedRanges: RangeSpec[];
}

const STATUSES: Readonly<Record<ExecutionStatus, RunStatus>> = {
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'ABORTED',
  // A failed standard execution that may be redriven is still a failed run until it is.
  PENDING_REDRIVE: 'FAILED',
};

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function asPipelineInput(value: unknown): PipelineInput | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.dataset !== 'string' || typeof v.from !== 'string' || typeof v.to !== 'string') return null;
  if (!(MODES as readonly unknown[]).includes(v.mode)) return null;
  return v as unknown as PipelineInput;
}

/** A run as DescribeExecution tells it. */
export function toRun(d: DescribeExecutionOutput): PipelineRun {
  const output = parseJson(d.output);
  const input = parseJson(d.input);
  const pipelineInput = asPipelineInput(input);
  const o = (typeof output === 'object' && output !== null ? output : {}) as { repaired?: RepairResult[] };
  return {
    id: d.executionArn!,
    name: d.name ?? d.executionArn!.split(':').at(-1)!,
    status: STATUSES[d.status!] ?? 'FAILED',
    startedAt: d.startDate!,
    stoppedAt: d.stopDate ?? null,
    error: d.error ?? null,
    cause: d.cause ?? null,
    input,
    dataset: pipelineInput?.dataset ?? null,
    mode: pipelineInput?.mode ?? null,
    from: pipelineInput?.from ?? null,
    to: pipelineInput?.to ?? null,
    output,
    repairedRanges: Array.isArray(o.repaired) ? o.repaired.map((r) => r.range).filter(Boolean) : [],
  };
}
