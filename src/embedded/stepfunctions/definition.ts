/**
 * A state machine definition as the embedded service checks and runs it: parsed, validated by the
 * interpreter, and indexed by state name (Task handlers are looked up by name, so names must be unique
 * across the whole machine, nested Map and Parallel states included, as AWS requires).
 */
import { StateMachine, type StateMachineDefinition } from './interpreter';
import { SfnError, type Partition } from './names';

/** The part of a state the service reads; the interpreter owns the rest. */
export interface StateDef {
  Type: string;
  Resource?: string;
  Parameters?: unknown;
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
  /** A Task's TimeoutSeconds as the definition gives it (`def` carries the one the interpreter runs with). */
  timeoutSeconds?: number;
  /** The Parallel branches around this state inside its Map iteration (or the machine), outermost first. */
  branches: { parallel: string; index: number }[];
}

/**
 * How a Task's Resource runs here. A bare Lambda function ARN is recorded as AWS records one
 * (`LambdaFunction*` events); `arn:aws:states:::lambda:invoke` as the optimized integration
 * (`Task*` events, resourceType `lambda`, resource `invoke`), its function named by `FunctionName`.
 */
export type TaskTarget = { kind: 'function'; functionArn: string } | { kind: 'invoke' };

export interface CompileOptions {
  /** Resolves function names in `lambda:invoke` Parameters. */
  partition: Partition;
  /** Whether a Lambda function (unqualified ARN) has a handler here; omitted, functions are not checked (stored machines). */
  hasFunction?: (functionArn: string) => boolean;
}

export interface CompiledMachine {
  /** A copy for the interpreter: default timeouts filled in (see `forInterpreter`). */
  definition: StateMachineDefinition;
  states: Map<string, IndexedState>;
}

const FUNCTION_ARN = /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]{1,128}))?$/;
const PARTIAL_FUNCTION_ARN = /^(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]{1,128}))?$/;
const FUNCTION_NAME = /^([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]{1,128}))?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

/** What the embedded engine runs, said once for every refusal. */
const RUNS = 'the embedded Step Functions runs Lambda functions registered with it, by their function ARN or through arn:aws:states:::lambda:invoke';

/**
 * A function as `lambda:invoke`'s FunctionName may name it (name, partial ARN or ARN, each optionally
 * qualified) → its unqualified ARN. Only `$LATEST` runs here: the handlers are unversioned, and AWS would
 * report a version or alias's own ExecutedVersion. A string is why the name cannot run.
 */
export function resolveFunction(name: string, partition: Partition): string | { error: string } {
  const full = FUNCTION_ARN.exec(name);
  const partial = full ? null : PARTIAL_FUNCTION_ARN.exec(name);
  const bare = full || partial ? null : FUNCTION_NAME.exec(name);
  const arn = full ? full[1] : partial ? `arn:aws:lambda:${partition.region}:${partial[1]}:function:${partial[2]}` : bare ? `arn:aws:lambda:${partition.region}:${partition.accountId}:function:${bare[1]}` : undefined;
  const qualifier = full ? full[2] : partial ? partial[3] : bare?.[2];
  if (arn === undefined) return { error: `FunctionName '${name.slice(0, 200)}' is not a Lambda function name or ARN` };
  if (qualifier !== undefined && qualifier !== '$LATEST') return { error: `FunctionName '${name.slice(0, 200)}' names version or alias '${qualifier}'; the embedded Step Functions runs $LATEST only` };
  return arn;
}

/** The Task's target, or why it cannot run here. */
export function taskTarget(resource: string): TaskTarget | { error: string } {
  if (LAMBDA_INVOKE.test(resource)) return { kind: 'invoke' };
  const fn = FUNCTION_ARN.exec(resource);
  if (fn) return { kind: 'function', functionArn: resource };
  return { error: `Resource '${resource.slice(0, 200)}' cannot run here: ${RUNS}` };
}

/** `lambda:invoke` Parameters the embedded engine honours, and the only values of the optional ones it can run. */
const INVOKE_PARAMETERS: Record<string, string | undefined> = { FunctionName: undefined, Payload: undefined, InvocationType: 'RequestResponse', Qualifier: '$LATEST', LogType: 'None' };

const unsupported = (what: string, where: string, why: string): SfnError => invalid(`UNSUPPORTED_FEATURE: ${what} (${where}): ${why}`);

/** JSONata fields of a state: the interpreter evaluates JSONPath only, and would ignore them. */
const JSONATA_FIELDS = ['Arguments', 'Output', 'Condition', 'Items'];
/** Distributed Map fields: the interpreter runs inline Maps only. */
const DISTRIBUTED_MAP_FIELDS = ['ItemReader', 'ItemBatcher', 'ResultWriter', 'ToleratedFailureCount', 'ToleratedFailureCountPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'Label'];

/**
 * Refuses at CreateStateMachine what the interpreter would otherwise run differently from AWS (ignore,
 * or fail at run time): JSONata, variables (`Assign`), distributed Maps, Task credentials and heartbeats,
 * and Task resources it cannot run.
 */
/** The fields of a state holding payload templates, whose `<key>.$` values are paths or intrinsic functions. */
const TEMPLATE_FIELDS = new Set(['Parameters', 'ResultSelector', 'ItemSelector']);
/** Fields holding another machine's states, checked as states of their own. */
const NESTED_MACHINES = new Set(['ItemProcessor', 'Iterator', 'Branches']);

/**
 * The context object (`$$`) as AWS gives it, where the interpreter does not: `$$.State.Name` is the
 * state's own name, written into its payload templates here (a path `"k.$": "$$.State.Name"` becomes
 * `"k": "<name>"`, an intrinsic's argument a string literal). What the interpreter cannot give is
 * refused: the rest of `$$.State` (EnteredTime, RetryCount), the whole `$$`, and, inside a Map iteration
 * or Parallel branch, `$$.Execution.Input` and `StartTime` (it would give the iteration's own).
 */
function contextPaths(def: Record<string, unknown>, name: string, nested: boolean): void {
  const where = `state ${name}`;
  const literal = /^[^'{}\\]*$/.test(name) ? `'${name}'` : undefined;
  const check = (text: string): void => {
    const state = /\$\$(?:\.State(?:\.\w+)?|\[\s*['"]State)/.exec(text);
    if (state) throw unsupported(state[0], where, 'the embedded Step Functions gives $$.State.Name only (in Parameters, ResultSelector or ItemSelector)');
    if (/\$\$(?![.[\w])/.test(text)) throw unsupported('$$', where, 'the embedded Step Functions cannot give the whole context object');
    const execution = nested ? /\$\$\.Execution(?:\.(?:Input|StartTime)\b|(?![.[\w]))/.exec(text) : null;
    if (execution) throw unsupported(execution[0], where, 'inside a Map iteration or Parallel branch the embedded Step Functions would give the iteration\'s own');
  };
  // Paths are the values of `<key>.$` in templates, of `…Path` fields and of Choice rules' `Variable`;
  // other strings (a Result, a Comment) are data and left alone.
  const walk = (value: unknown, template: boolean): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((v) => walk(v, template));
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (typeof v !== 'string') {
        walk(v, template);
      } else if (template && key.endsWith('.$')) {
        if (v.trim() === '$$.State.Name') {
          delete obj[key];
          obj[key.slice(0, -2)] = name;
          continue;
        }
        obj[key] = literal && v.startsWith('States.') ? v.replaceAll('$$.State.Name', literal) : v;
        check(obj[key] as string);
      } else if (key.endsWith('Path') || key === 'Variable') {
        check(v);
      }
    }
  };
  for (const [field, value] of Object.entries(def)) {
    if (NESTED_MACHINES.has(field)) continue;
    if (typeof value === 'string') walk({ [field]: value }, false);
    else walk(value, TEMPLATE_FIELDS.has(field));
  }
}

function checkSupported(def: Record<string, unknown>, name: string, opts: CompileOptions, nested: boolean): void {
  const where = `state ${name}`;
  contextPaths(def, name, nested);
  if (def.QueryLanguage !== undefined && def.QueryLanguage !== 'JSONPath') throw unsupported(`QueryLanguage ${JSON.stringify(def.QueryLanguage)}`, where, 'the embedded Step Functions evaluates JSONPath only, not JSONata');
  const field = JSONATA_FIELDS.find((f) => f in def);
  if (field !== undefined) throw unsupported(field, where, 'a JSONata field; the embedded Step Functions evaluates JSONPath only');
  // Variables are assigned by a state, a Choice rule or a Catcher.
  const assigners = [def, ...(Array.isArray(def.Choices) ? def.Choices : []), ...(Array.isArray(def.Catch) ? def.Catch : [])] as unknown[];
  if (assigners.some((o) => o !== null && typeof o === 'object' && 'Assign' in o)) throw unsupported('Assign', where, 'the embedded Step Functions has no variables');
  if (def.Type === 'Map') {
    const processor = (def.ItemProcessor as { ProcessorConfig?: { Mode?: unknown } } | undefined)?.ProcessorConfig;
    const distributed = DISTRIBUTED_MAP_FIELDS.find((f) => f in def);
    if (distributed !== undefined || (processor?.Mode !== undefined && processor.Mode !== 'INLINE')) {
      throw unsupported(distributed ?? 'ProcessorConfig.Mode DISTRIBUTED', where, 'a distributed Map; the embedded Step Functions runs inline Maps only');
    }
  }
  if (def.Type !== 'Task') return;
  for (const field of ['Credentials', 'HeartbeatSeconds', 'HeartbeatSecondsPath']) {
    if (field in def) throw unsupported(field, where, field === 'Credentials' ? 'Tasks run with no role of their own here' : 'in-process handlers send no heartbeats');
  }
  const target = taskTarget(def.Resource as string);
  if ('error' in target) throw unsupported('Resource', where, target.error);
  if (target.kind === 'function') {
    if (opts.hasFunction && !opts.hasFunction(target.functionArn)) throw unsupported('Resource', where, `no handler is registered for Lambda function ${target.functionArn}; ${RUNS}`);
    return;
  }
  const params = def.Parameters as Record<string, unknown> | undefined;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw invalid(`SCHEMA_VALIDATION_FAILED: ${where}: arn:aws:states:::lambda:invoke needs Parameters with FunctionName`);
  for (const [key, value] of Object.entries(params)) {
    const field = key.endsWith('.$') ? key.slice(0, -2) : key;
    if (!Object.hasOwn(INVOKE_PARAMETERS, field)) throw unsupported(`Parameters.${key}`, where, `lambda:invoke runs here with ${Object.keys(INVOKE_PARAMETERS).join(', ')} only`);
    const only = INVOKE_PARAMETERS[field];
    if (only !== undefined && value !== only) throw unsupported(`Parameters.${key}`, where, `lambda:invoke runs here with ${field} ${only} only`);
  }
  if (typeof params.FunctionName === 'string') {
    const arn = resolveFunction(params.FunctionName, opts.partition);
    if (typeof arn !== 'string') throw unsupported('Parameters.FunctionName', where, arn.error);
    if (opts.hasFunction && !opts.hasFunction(arn)) throw unsupported('Parameters.FunctionName', where, `no handler is registered for Lambda function ${arn}; ${RUNS}`);
  } else if (typeof params['FunctionName.$'] !== 'string') {
    throw invalid(`SCHEMA_VALIDATION_FAILED: ${where}: arn:aws:states:::lambda:invoke needs Parameters with FunctionName`);
  }
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

export function compileDefinition(text: string, opts: CompileOptions): CompiledMachine {
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
  const top = parsed as Record<string, unknown>;
  if (top.QueryLanguage !== undefined && top.QueryLanguage !== 'JSONPath') {
    throw unsupported(`QueryLanguage ${JSON.stringify(top.QueryLanguage)}`, 'the definition', 'the embedded Step Functions evaluates JSONPath only, not JSONata');
  }
  const states = new Map<string, IndexedState>();
  const copy = structuredClone(parsed) as MachineDef;
  index(copy, undefined, states, opts);
  if (copy.TimeoutSeconds !== undefined) copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, MAX_TIMER_SECONDS);
  return { definition: copy as unknown as StateMachineDefinition, states };
}

/** A nested machine's own QueryLanguage (an ItemProcessor's, a branch's) is refused as a state's or the definition's is. */
function checkLanguage(machine: MachineDef, where: string): MachineDef {
  const language = (machine as { QueryLanguage?: unknown }).QueryLanguage;
  if (language !== undefined && language !== 'JSONPath') {
    throw unsupported(`QueryLanguage ${JSON.stringify(language)}`, where, 'the embedded Step Functions evaluates JSONPath only, not JSONata');
  }
  return machine;
}

function index(machine: MachineDef, map: string | undefined, out: Map<string, IndexedState>, opts: CompileOptions, branches: IndexedState['branches'] = []): void {
  for (const [name, def] of Object.entries(machine.States)) {
    if (out.has(name)) throw invalid(`SCHEMA_VALIDATION_FAILED: duplicate state name '${name}' (state names must be unique across the whole state machine)`);
    checkSupported(def as unknown as Record<string, unknown>, name, opts, map !== undefined || branches.length > 0);
    out.set(name, { def, map, timeoutSeconds: def.TimeoutSeconds, branches });
    if (def.Type === 'Task' && def.TimeoutSecondsPath === undefined) def.TimeoutSeconds = Math.min(def.TimeoutSeconds ?? MAX_TIMER_SECONDS, MAX_TIMER_SECONDS);
    const inner = def.ItemProcessor ?? def.Iterator;
    // A Map iteration is a lane of its own: the branches around the Map do not carry into it.
    if (def.Type === 'Map' && inner) index(checkLanguage(inner, `${name}.ItemProcessor`), name, out, opts);
    (def.Branches ?? []).forEach((branch, i) => index(checkLanguage(branch, `${name}.Branches[${i}]`), map, out, opts, [...branches, { parallel: name, index: i }]));
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
