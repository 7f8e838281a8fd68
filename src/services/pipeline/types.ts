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

/**
 * The Repair Task's result. The state machine keeps only `range` of it (an element of `$.repaired`): the
 * action's `result` stays in the Task's history event, so 200 repaired ranges fit the run's 256 KiB.
 */
export interface RepairResult {
  range: RangeSpec;
  /** What the dataset's repair action returned (JSON). */
  result: unknown;
}

/**
 * Validate's output (state `$.validation`). `OK`: the whole window is complete, judged in this run (Initiate
 * follows). `GAPS`: what the run repaired (or was to validate) still has gaps (the run fails). `NOT_READY`:
 * that is complete, but the window as a whole is not (gaps elsewhere, or buckets still settling): the run
 * succeeds without a ready signal. The state keeps status, remaining and summary (not the windows).
 */
export interface ValidationResult {
  status: 'OK' | 'GAPS' | 'NOT_READY';
  /** The windows re-checked. */
  windows: RangeSpec[];
  /** Ranges that still have gaps (NOT_READY: those elsewhere in the window). */
  remaining: RangeSpec[];
  /** One line saying what remains: the run's error cause (GAPS), or why nothing was declared ready (NOT_READY). */
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
