/**
 * The Step Functions operations, request → response shapes as the API reference and the SDK's model
 * define them (camelCase members, epoch-second timestamps, AWS's error types and wording).
 */
import { optionalBoolean, optionalInt, optionalString, requireString, type ServiceHandler } from '../protocol';
import { MAX_PAYLOAD_BYTES, type EmbeddedStepFunctions } from './engine';
import { checkArn, decodeToken, encodeToken, SfnError, validation } from './names';
import { EXECUTION_STATUSES, type ExecutionRecord, type ExecutionStatus, type HistoryEvent } from './store';

/** Epoch seconds with millisecond fraction: the SDK and the CLI read these JSON numbers as dates. */
const epochSeconds = (ms: number): number => ms / 1000;

const str = (input: Record<string, unknown>, key: string, min = 1, max = Infinity): string => requireString(input, key, min, max, validation);
const optStr = (input: Record<string, unknown>, key: string, min = 0, max = Infinity): string | undefined => optionalString(input, key, min, max, validation);
/** maxResults of every list: 0–1000, where 0 (or absent) means the default page of 100. */
const pageSize = (input: Record<string, unknown>): number => optionalInt(input, 'maxResults', 0, 1000, validation) || 100;
const token = (input: Record<string, unknown>): string | undefined => optStr(input, 'nextToken', 1, 1024);

function executionSummary(r: ExecutionRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    executionArn: r.arn,
    stateMachineArn: r.machineArn,
    name: r.name,
    status: r.status,
    startDate: epochSeconds(r.startDate),
    redriveCount: 0,
  };
  if (r.stopDate !== undefined) out.stopDate = epochSeconds(r.stopDate);
  return out;
}

const DATA_MEMBERS = new Set(['input', 'output', 'inputDetails', 'outputDetails', 'parameters']);

function eventShape(ev: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...ev, timestamp: epochSeconds(ev.timestamp) };
  if (!includeData) {
    for (const [k, v] of Object.entries(out)) {
      if (k.endsWith('EventDetails') && v && typeof v === 'object') {
        out[k] = Object.fromEntries(Object.entries(v).filter(([m]) => !DATA_MEMBERS.has(m)));
      }
    }
  }
  return out;
}

/**
 * Why RedriveExecution would refuse this execution (AWS: redriveStatus is NOT_REDRIVABLE exactly when it
 * would). RUNNING and SUCCEEDED in AWS's words; an execution that failed, timed out or was stopped could be
 * redriven on AWS, but not here, and says so rather than offering what RedriveExecution then refuses.
 */
function notRedrivable(r: ExecutionRecord): string {
  if (r.status === 'RUNNING' || r.status === 'SUCCEEDED') return `Execution is ${r.status} and cannot be redriven.`;
  return 'The embedded Step Functions cannot redrive executions (RedriveExecution is not supported); start a new execution instead.';
}

type Operation = (sfn: EmbeddedStepFunctions, input: Record<string, unknown>) => Promise<unknown> | unknown;

const OPERATIONS = new Map<string, Operation>([
  [
    'CreateStateMachine',
    (sfn, input) => {
      const name = str(input, 'name', 1, 80);
      const definition = str(input, 'definition', 1, 1024 * 1024);
      const roleArn = str(input, 'roleArn', 1, 256);
      const type = optStr(input, 'type');
      if (type !== undefined && type !== 'STANDARD') {
        throw new SfnError('ValidationException', `The embedded Step Functions runs STANDARD state machines only, not '${type}'`);
      }
      const m = sfn.putMachine(name, definition, roleArn);
      return { stateMachineArn: m.arn, creationDate: epochSeconds(m.creationDate) };
    },
  ],
  [
    'DescribeStateMachine',
    (sfn, input) => {
      const m = sfn.machine(checkArn(str(input, 'stateMachineArn', 1, 256), 'stateMachine'));
      return {
        stateMachineArn: m.arn,
        name: m.name,
        status: 'ACTIVE',
        definition: m.definition,
        roleArn: m.roleArn,
        type: 'STANDARD',
        creationDate: epochSeconds(m.creationDate),
        loggingConfiguration: { level: 'OFF', includeExecutionData: false },
        tracingConfiguration: { enabled: false },
      };
    },
  ],
  [
    'ListStateMachines',
    (sfn, input) => {
      const max = pageSize(input);
      const t = token(input);
      const after = t === undefined ? 0 : decodeToken(t, 'stateMachines');
      const rest = sfn.listMachines().filter((m) => m.seq > after);
      const page = rest.slice(0, max);
      const out: Record<string, unknown> = {
        stateMachines: page.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: epochSeconds(m.creationDate) })),
      };
      if (rest.length > page.length) out.nextToken = encodeToken('stateMachines', page[page.length - 1].seq);
      return out;
    },
  ],
  [
    'StartExecution',
    (sfn, input) => {
      const machineArn = checkArn(str(input, 'stateMachineArn', 1, 256), 'stateMachine');
      const name = optStr(input, 'name', 1, 80);
      const body = optStr(input, 'input', 0, MAX_PAYLOAD_BYTES) ?? '{}';
      if (Buffer.byteLength(body, 'utf8') > MAX_PAYLOAD_BYTES) {
        throw new SfnError('ValidationException', `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`);
      }
      optStr(input, 'traceHeader', 0, 256);
      const rec = sfn.start(machineArn, name, body);
      return { executionArn: rec.arn, startDate: epochSeconds(rec.startDate) };
    },
  ],
  [
    'DescribeExecution',
    (sfn, input) => {
      const r = sfn.execution(checkArn(str(input, 'executionArn', 1, 256), 'execution'));
      const out: Record<string, unknown> = { ...executionSummary(r), input: r.input, inputDetails: { included: true }, redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: notRedrivable(r) };
      if (r.output !== undefined) Object.assign(out, { output: r.output, outputDetails: { included: true } });
      if (r.error !== undefined) out.error = r.error;
      if (r.cause !== undefined) out.cause = r.cause;
      return out;
    },
  ],
  [
    'ListExecutions',
    (sfn, input) => {
      if (input.mapRunArn !== undefined) throw new SfnError('ValidationException', 'The embedded Step Functions has no Map Runs (distributed Map); list by stateMachineArn');
      const machineArn = checkArn(str(input, 'stateMachineArn', 1, 256), 'stateMachine');
      const status = optStr(input, 'statusFilter') as ExecutionStatus | undefined;
      if (status !== undefined && !EXECUTION_STATUSES.includes(status)) {
        throw new SfnError(
          'ValidationException',
          `1 validation error detected: Value '${status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${EXECUTION_STATUSES.join(', ')}]`,
        );
      }
      const max = pageSize(input);
      const t = token(input);
      // The token remembers the last execution served, so executions started between pages neither
      // shift nor repeat entries; its scope binds it to this machine and filter.
      const scope = `executions:${machineArn}:${status ?? ''}`;
      const before = t === undefined ? Infinity : decodeToken(t, scope);
      sfn.machine(machineArn);
      const page: ExecutionRecord[] = [];
      let more = false;
      for (const r of sfn.listExecutions(machineArn, status, before)) {
        if (page.length === max) {
          more = true;
          break;
        }
        page.push(r);
      }
      const out: Record<string, unknown> = { executions: page.map(executionSummary) };
      if (more) out.nextToken = encodeToken(scope, page[page.length - 1].seq);
      return out;
    },
  ],
  [
    'GetExecutionHistory',
    (sfn, input) => {
      const arn = checkArn(str(input, 'executionArn', 1, 256), 'execution');
      const max = pageSize(input);
      const reverse = optionalBoolean(input, 'reverseOrder', validation) ?? false;
      const includeData = optionalBoolean(input, 'includeExecutionData', validation) ?? true;
      const t = token(input);
      const rec = sfn.execution(arn);
      const events = sfn.history(rec);
      // Positions are event ids (1..n, no holes), so a page never shifts while a running execution
      // appends events: forward pages continue after the last id served, reverse pages below it.
      const scope = `history:${arn}:${reverse ? 'reverse' : 'forward'}`;
      let page: HistoryEvent[];
      let next: number | undefined;
      if (reverse) {
        const from = t === undefined ? events.length : decodeToken(t, scope);
        page = events.slice(Math.max(0, from - max), from).reverse();
        if (from - max > 0) next = from - max;
      } else {
        const from = t === undefined ? 1 : decodeToken(t, scope);
        page = events.slice(from - 1, from - 1 + max);
        if (from - 1 + max < events.length) next = from + max;
      }
      const out: Record<string, unknown> = { events: page.map((e) => eventShape(e, includeData)) };
      if (next !== undefined) out.nextToken = encodeToken(scope, next);
      return out;
    },
  ],
  [
    'RedriveExecution',
    (sfn, input) => {
      const r = sfn.execution(checkArn(str(input, 'executionArn', 1, 256), 'execution'));
      optStr(input, 'clientToken', 1, 64);
      throw new SfnError('ExecutionNotRedrivable', `Execution '${r.arn}' cannot be redriven: ${notRedrivable(r)}`);
    },
  ],
  [
    'StopExecution',
    (sfn, input) => {
      const arn = checkArn(str(input, 'executionArn', 1, 256), 'execution');
      const error = optStr(input, 'error', 0, 256);
      const cause = optStr(input, 'cause', 0, 32768);
      const rec = sfn.stop(arn, error, cause);
      return { stopDate: epochSeconds(rec.stopDate ?? Date.now()) };
    },
  ],
]);

export function stepFunctionsHandler(sfn: EmbeddedStepFunctions): ServiceHandler {
  return async (operation, input) => {
    // A Map lookup: `AWSStepFunctions.__proto__` or `.constructor` finds nothing, as any unknown name.
    const op = OPERATIONS.get(operation);
    if (!op) throw new SfnError('UnknownOperationException', `Operation ${operation} is not supported by the embedded Step Functions endpoint`);
    return op(sfn, input);
  };
}
