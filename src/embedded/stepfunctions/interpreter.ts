/**
 * aws-local-stepfunctions, loaded with one change: its state loop yields to the event loop once it has run
 * for TURN_MS without doing so. Unchanged, a run of states that call no Task (Pass, Choice, Map and Parallel
 * of them) is one unbroken chain of microtasks: a machine looping two Pass states held the endpoint's
 * thread until its history bound ended it, and under a few such executions StopExecution, every other
 * execution and every Athena request waited seconds for their turn. Now they get one every TURN_MS; the
 * loop's abort check follows the yield, so a StopExecution that came in meanwhile ends the loop before the
 * next state. A short run of states (the few between two Tasks of gapwatch's pipeline) still completes in
 * one go, as before: the run watcher reads a step's events a few milliseconds after its Task settles.
 *
 * The change is made to the package's own CommonJS build as it is loaded (the version is pinned in
 * package.json); if its loop ever reads differently, loading fails here rather than running unpatched.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import type * as Interpreter from 'aws-local-stepfunctions';
import { installWithResolvers } from './polyfill';

const TURN_MS = 10;

const LOOP_END = 'currStateName = nextState;\n      } while (!isEndState && !options.abortSignal.aborted);';
const YIELDING_LOOP_END = 'currStateName = nextState;\n        const turn = gapwatchTurn();\n        if (turn) await turn;\n      } while (!isEndState && !options.abortSignal.aborted);';

/**
 * Prepended to the package's source. `gapwatchSlice` is when the current unbroken run of microtasks began (a
 * setImmediate scheduled then clears it as soon as the event loop turns); past TURN_MS the loop waits for
 * that turn.
 */
const TURN = `
let gapwatchSlice;
function gapwatchTurn() {
  const now = performance.now();
  if (gapwatchSlice === undefined) {
    gapwatchSlice = now;
    setImmediate(() => { gapwatchSlice = undefined; });
    return undefined;
  }
  return now - gapwatchSlice > ${TURN_MS} ? new Promise((resolve) => setImmediate(resolve)) : undefined;
}
`;

function load(): typeof Interpreter {
  const file = require.resolve('aws-local-stepfunctions');
  const source = readFileSync(file, 'utf8');
  if (source.split(LOOP_END).length !== 2) {
    throw new Error(`aws-local-stepfunctions: ${file} has not the state loop this module yields in (see src/embedded/stepfunctions/interpreter.ts)`);
  }
  const m = new Module(file, module) as Module & { _compile(code: string, filename: string): void };
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  // The polyfill goes first, in the package's own source, so that it lands in the realm the package runs in.
  m._compile(`(${installWithResolvers.toString()})(Promise);\n${TURN}\n${source.replace(LOOP_END, YIELDING_LOOP_END)}`, file);
  return m.exports as typeof Interpreter;
}

export const { StateMachine, ExecutionError, ExecutionTimeoutError } = load();
export type { RunOptions, StateMachineDefinition } from 'aws-local-stepfunctions';
