/**
 * The pipeline's data as it travels through the state machine (pipeline.asl.json): the execution input,
 * and what each Task hands the next. Everything here is plain JSON, since on AWS it crosses Step Functions
 * and Lambda as such.
 */

export const MODES = ['CHECK', 'FULL', 'REPAIR', 'VALIDATE'] as const;
export type PipelineMode = (typeof MODES)[number];

/** One window of one group to repair or re-check; instants are ISO-8601 UTC, end exclusive. */
export interface RangeSpec {
  group: string;
  start: string;
  end: string;
  /** MISSING or UNDERFILLED when it came from a check; absent when a client named it. */
  kind?: string;
}

/** The execution input. `ranges` only with mode REPAIR (and optionally VALIDATE). */
export interface PipelineInput {
  dataset: string;
  from: string;
  to: string;
  mode: PipelineMode;
  ranges?: RangeSpec[];
}

/** Check's output (state `$.check`). */
export interface CheckResult {
  status: 'OK' | 'GAPS';
  checkId: string;
  checkedAt: string;
  /** Null only when the check ran no query. */
  queryExecutionId: string | null;
  /** The MISSING and UNDERFILLED ranges, at most MAX_RANGES of them. */
  ranges: RangeSpec[];
  /** How many such ranges the check found (more than `ranges` holds when truncated). */
  rangeCount: number;
  truncated: boolean;
}

/** One Repair iteration's output (an element of `$.repaired`). */
export interface RepairResult {
  range: RangeSpec;
  /** What the dataset's repair action returned (JSON). */
  result: unknown;
}

/** Validate's output (state `$.validation`). */
export interface ValidationResult {
  status: 'OK' | 'GAPS';
  /** The windows re-checked. */
  windows: RangeSpec[];
  /** Ranges that still have gaps. */
  remaining: RangeSpec[];
  /** One line naming what remains, used as the run's error cause. */
  summary: string;
}

/** Initiate's output (state `$.ready`): the dataset's ready signal. */
export interface ReadySignal {
  dataset: string;
  from: string;
  to: string;
  /** The execution ARN of the run that produced it. */
  runId: string;
  at: string;
}

/**
 * The most ranges one run carries. Step Functions caps a state's data at 256 KiB; 200 ranges stay far
 * below that and are more than a sensible repair should attempt at once.
 */
export const MAX_RANGES = 200;
