/**
 * A state machine definition as the embedded service checks and runs it: parsed, validated by the
 * interpreter, and indexed by state name (Task handlers are looked up by name, so names must be unique
 * across the whole machine, nested Map and Parallel states included, as AWS requires).
 */
import './polyfill';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { SfnError } from './names';

/** The part of a state the service reads; the interpreter owns the rest. */
export interface StateDef {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  InputPath?: string | null;
  ItemsPath?: string;
  ItemProcessor?: MachineDef;
  Iterator?: MachineDef;
  Branches?: MachineDef[];
}

interface MachineDef {
  StartAt: string;
  States: Record<string, StateDef>;
  TimeoutSeconds?: number;
}

export interface IndexedState {
  def: StateDef;
  /** The Map state whose iterations run this state, if any. */
  map?: string;
}

export interface CompiledMachine {
  /** A copy for the interpreter: default timeouts filled in (see `forInterpreter`). */
  definition: StateMachineDefinition;
  states: Map<string, IndexedState>;
}

/**
 * Node timers hold at most 2^31-1 ms (about 24.8 days); a longer one fires at once. AWS's Task default
 * (99,999,999 s) and any larger TimeoutSeconds are therefore capped here, and a Task without a timeout
 * gets this cap instead of the interpreter's own 60 s default, which AWS does not have.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const invalid = (message: string): SfnError => new SfnError('InvalidDefinition', `Invalid State Machine Definition: '${message}'`);

/**
 * The interpreter validates with asl-validator, whose JSON schemas ajv compiles with `new Function`. Under
 * `node --disallow-code-generation-from-strings` (a hardened deployment) that throws, and would refuse
 * every definition; there the structural checks of `checkStructure` stand in for it. Running needs no
 * code generation.
 */
const CODE_GENERATION = (() => {
  try {
    return new Function('return true')() === true;
  } catch {
    return false;
  }
})();

const STATE_TYPES = new Set(['Task', 'Parallel', 'Map', 'Pass', 'Wait', 'Choice', 'Succeed', 'Fail']);

/** Every state has a known Type, every transition names a state of its scope, every state ends or moves on. */
function checkStructure(machine: unknown, where: string): void {
  const m = machine as { StartAt?: unknown; States?: unknown } | null;
  if (m === null || typeof m !== 'object' || typeof m.StartAt !== 'string' || m.States === null || typeof m.States !== 'object' || Array.isArray(m.States)) {
    throw invalid(`SCHEMA_VALIDATION_FAILED: ${where} must have StartAt and States`);
  }
  const states = m.States as Record<string, Record<string, unknown> | null>;
  const target = (next: unknown, from: string): void => {
    if (typeof next !== 'string' || !Object.hasOwn(states, next)) throw invalid(`MISSING_TRANSITION_TARGET: ${from} names no state of ${where}: ${JSON.stringify(next)}`);
  };
  target(m.StartAt, `${where}.StartAt`);
  for (const [name, st] of Object.entries(states)) {
    if (st === null || typeof st !== 'object' || !STATE_TYPES.has(st.Type as string)) throw invalid(`SCHEMA_VALIDATION_FAILED: state ${name} has no valid Type`);
    if (st.Type === 'Choice') {
      if (!Array.isArray(st.Choices) || st.Choices.length === 0) throw invalid(`SCHEMA_VALIDATION_FAILED: Choice state ${name} needs Choices`);
      for (const c of st.Choices as { Next?: unknown }[]) target(c?.Next, name);
      if (st.Default !== undefined) target(st.Default, name);
    } else if (st.Type !== 'Succeed' && st.Type !== 'Fail' && st.End !== true) {
      target(st.Next, name);
    }
    for (const c of Array.isArray(st.Catch) ? (st.Catch as { Next?: unknown }[]) : []) target(c?.Next, name);
    if (st.Type === 'Task' && typeof st.Resource !== 'string') throw invalid(`SCHEMA_VALIDATION_FAILED: Task state ${name} needs a Resource`);
    if (st.Type === 'Map') checkStructure(st.ItemProcessor ?? st.Iterator, `${name}.ItemProcessor`);
    if (st.Type === 'Parallel') {
      if (!Array.isArray(st.Branches) || st.Branches.length === 0) throw invalid(`SCHEMA_VALIDATION_FAILED: Parallel state ${name} needs Branches`);
      st.Branches.forEach((b, i) => checkStructure(b, `${name}.Branches[${i}]`));
    }
  }
}

export function compileDefinition(text: string): CompiledMachine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`INVALID_JSON_DESCRIPTION: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('SCHEMA_VALIDATION_FAILED: the definition must be a JSON object');
  if (CODE_GENERATION) {
    try {
      // The interpreter validates the whole definition (asl-validator: schema, JSONPaths, ARNs) when constructed.
      new StateMachine(parsed as StateMachineDefinition);
    } catch (err) {
      // An EvalError is the validator failing to compile its schemas, which says nothing about the definition.
      if (err instanceof EvalError) checkStructure(parsed, 'the definition');
      else throw invalid(`SCHEMA_VALIDATION_FAILED: ${(err as Error).message.replace(/\s+/g, ' ').trim()}`);
    }
  } else {
    checkStructure(parsed, 'the definition');
  }
  const states = new Map<string, IndexedState>();
  const copy = structuredClone(parsed) as MachineDef;
  index(copy, undefined, states);
  if (copy.TimeoutSeconds !== undefined) copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, MAX_TIMER_SECONDS);
  return { definition: copy as unknown as StateMachineDefinition, states };
}

function index(machine: MachineDef, map: string | undefined, out: Map<string, IndexedState>): void {
  for (const [name, def] of Object.entries(machine.States)) {
    if (out.has(name)) throw invalid(`SCHEMA_VALIDATION_FAILED: duplicate state name '${name}' (state names must be unique across the whole state machine)`);
    out.set(name, { def, map });
    if (def.Type === 'Task' && def.TimeoutSecondsPath === undefined) def.TimeoutSeconds = Math.min(def.TimeoutSeconds ?? MAX_TIMER_SECONDS, MAX_TIMER_SECONDS);
    const inner = def.ItemProcessor ?? def.Iterator;
    if (def.Type === 'Map' && inner) index(inner, name, out);
    for (const branch of def.Branches ?? []) index(branch, map, out);
  }
}

const NO_VALUE = Symbol('no value');

/** `$`, `$.a.b`: enough for the common InputPath/ItemsPath; anything fancier yields NO_VALUE. */
function simplePath(path: string | null | undefined, value: unknown): unknown {
  if (path === undefined || path === '$') return value;
  if (path === null) return {};
  if (!/^\$(\.[A-Za-z_][\w-]*)+$/.test(path)) return NO_VALUE;
  let v = value;
  for (const key of path.slice(2).split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return NO_VALUE;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * The item count AWS reports in MapStateStarted; the interpreter does not report it, so it is read from the
 * state's raw input through InputPath and ItemsPath. Undefined when the paths are beyond `simplePath`.
 */
export function mapLength(def: StateDef, rawInput: unknown): number | undefined {
  const items = simplePath(def.ItemsPath, simplePath(def.InputPath, rawInput));
  return Array.isArray(items) ? items.length : undefined;
}

/**
 * AWS's `resourceType`/`resource` pair for Task events: `arn:aws:states:::lambda:invoke` is
 * (`lambda`, `invoke`); a bare function ARN is (`lambda`, the ARN).
 */
export function describeResource(resource: string): { resourceType: string; resource: string } {
  const integration = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:([^:]+):(.+)$/.exec(resource);
  if (integration) return { resourceType: integration[1], resource: integration[2] };
  const service = /^arn:aws[a-z-]*:([^:]+):/.exec(resource);
  return { resourceType: service ? service[1] : 'unknown', resource };
}
