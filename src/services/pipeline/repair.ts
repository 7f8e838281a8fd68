/**
 * How a dataset is repaired: the `repair:` key of its config entry names the action the Repair Task calls
 * once per gap range. The contract (docs/pipeline.md):
 *
 *     (range: { group, start, end, kind? }, { signal }: { signal: AbortSignal }) => result | Promise<result>
 *
 * `start`/`end` are ISO-8601 UTC instants (end exclusive); `signal` aborts when the run is stopped or the
 * Task times out, and the action should stop writing then. It must be idempotent (a retry repeats it), and
 * `result` must be JSON of at most MAX_RESULT_BYTES; it is kept in the run's history. A thrown error fails
 * the attempt: the state machine retries it, then fails the run naming the range.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../errors';
import type { AthenaService } from '../athena/athena.service';
import type { Dataset } from '../gaps/dataset';
import type { RangeSpec } from './types';

export type RepairAction = (range: RangeSpec, options: { signal: AbortSignal }) => unknown;

/** The largest result a repair action may return (it travels through Step Functions, 256 KiB a state). */
export const MAX_RESULT_BYTES = 16 * 1024;

/** A repair that could not be done; its name is the Task error Retry/Catch match (as Lambda's errorType). */
export class RepairError extends Error {
  override name = 'gapwatch.RepairFailed';
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/;

/**
 * A repair a backend brings with it, named by a bare word in `repair:`. Only the embedded backend has one
 * (`sample`, which writes made-up ticks into its sample table: src/embedded-backend/sample-repair.ts); the
 * word is reserved on every backend, so on AWS it is refused at start rather than read as a module path.
 */
export type BuiltInRepair = (dataset: Dataset, where: string, context: { athena: AthenaService; database: string }) => RepairAction;

/** The built-in names, and what each would do, for the refusal on a backend that lacks it. */
const BUILT_IN_NAMES: Readonly<Record<string, string>> = {
  sample: "the embedded backend's sample repair (it writes made-up ticks)",
};

/** What a `repair:` value names: a backend's built-in, a Lambda function, or a module file (absolute). */
export type RepairTarget = { kind: 'builtIn'; name: string } | { kind: 'lambda'; arn: string } | { kind: 'module'; file: string };

/** `baseDir` is the config file's folder, which module paths are relative to. */
export function repairTarget(spec: string, baseDir: string): RepairTarget {
  if (Object.hasOwn(BUILT_IN_NAMES, spec)) return { kind: 'builtIn', name: spec };
  if (spec.startsWith('arn:')) return { kind: 'lambda', arn: spec };
  return { kind: 'module', file: path.resolve(baseDir, spec) };
}

/**
 * Resolves each dataset's `repair:` at start-up, so a wrong module path or export is a ConfigError then,
 * not a failed run later. `baseDir` is the config file's folder (module paths are relative to it);
 * `builtIns` are the backend's own repairs (none on AWS). A dataset without `repair:` has no action: its
 * Repair step fails with gapwatch.RepairNotConfigured, whatever its table.
 */
export function resolveRepairActions(
  datasets: readonly Dataset[],
  options: { athena: AthenaService; defaultDatabase: string; baseDir: string; builtIns?: Readonly<Record<string, BuiltInRepair>> },
): Map<string, RepairAction> {
  const actions = new Map<string, RepairAction>();
  datasets.forEach((dataset, i) => {
    const where = `datasets[${i}] (${dataset.name}).repair`;
    if (dataset.repair === undefined) return;
    const target = repairTarget(dataset.repair, options.baseDir);
    if (target.kind === 'builtIn') {
      const builtIn = options.builtIns?.[target.name];
      if (!builtIn) {
        throw new ConfigError(`${where}: '${target.name}' is ${BUILT_IN_NAMES[target.name]} and never runs against a real lake (GAPWATCH_BACKEND=aws): name a module or a Lambda function that repairs this dataset`);
      }
      actions.set(dataset.name, builtIn(dataset, where, { athena: options.athena, database: dataset.database ?? options.defaultDatabase }));
    } else if (target.kind === 'lambda') {
      if (!LAMBDA_ARN.test(target.arn)) throw new ConfigError(`${where}: expected a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>), got '${target.arn}'`);
      actions.set(dataset.name, lambdaRepair(target.arn));
    } else {
      actions.set(dataset.name, moduleRepair(where, target.file));
    }
  });
  return actions;
}

/** A module exporting the action as `repair` or as its default export (CommonJS or transpiled ESM). */
function moduleRepair(where: string, file: string): RepairAction {
  if (!existsSync(file)) throw new ConfigError(`${where}: no module at ${file}`);
  let loaded: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${where}: ${file} could not be loaded: ${(err as Error).message}`);
  }
  const action = [loaded.repair, loaded.default, loaded].find((f) => typeof f === 'function');
  if (typeof action !== 'function') throw new ConfigError(`${where}: ${file} exports no function (as 'repair' or default)`);
  return action as RepairAction;
}

/** A Lambda function as the action (lambda-repair.ts), loaded when it first runs. */
function lambdaRepair(functionArn: string): RepairAction {
  let action: RepairAction | undefined;
  return (range, options) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    action ??= (require('./lambda-repair') as typeof import('./lambda-repair')).lambdaRepair(functionArn);
    return action(range, options);
  };
}
