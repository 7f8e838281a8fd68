/**
 * The pipeline's state machine: one ASL file (pipeline.asl.json) shared by the embedded backend and the
 * deployable (deploy/template.yaml). Its Task `Resource`s are `${<Task>FunctionArn}` placeholders in SAM's
 * DefinitionSubstitutions style, so the file itself never names an account.
 */
import ASL from './pipeline.asl.json';

/** The four Tasks, in pipeline order; each is one handler (handlers.ts) and, on AWS, one Lambda function. */
export const TASKS = ['check', 'repair', 'validate', 'initiate'] as const;
export type TaskName = (typeof TASKS)[number];

/** The state machine's name, embedded and deployed alike. */
export const STATE_MACHINE_NAME = 'gapwatch-pipeline';

/** `check` → `CheckFunctionArn`: the substitution key a Task Resource names. */
export function substitutionKey(task: TaskName): string {
  return `${task[0]!.toUpperCase()}${task.slice(1)}FunctionArn`;
}

/** The Lambda ARNs the embedded backend substitutes; its Step Functions routes them to in-process handlers. */
export function embeddedTaskArns(region = 'us-east-1', accountId = '000000000000'): Record<TaskName, string> {
  return Object.fromEntries(TASKS.map((t) => [t, `arn:aws:lambda:${region}:${accountId}:function:gapwatch-${t}`])) as Record<TaskName, string>;
}

/** The ASL text as committed, placeholders and all. */
export function rawDefinition(): string {
  return JSON.stringify(ASL, null, 2);
}

/**
 * The definition with every `${Key}` replaced from `values` (as SAM's DefinitionSubstitutions does). A
 * placeholder without a value is an error, never left in: Step Functions would refuse the definition late.
 */
export function substituteDefinition(values: Readonly<Record<string, string>>): string {
  return rawDefinition().replace(/\$\{([A-Za-z0-9]+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`pipeline.asl.json: no value for \${${key}}`);
    return value;
  });
}

/** The definition with the Task Resources pointing at `arns` (one per Task). */
export function definitionFor(arns: Readonly<Record<TaskName, string>>): string {
  return substituteDefinition(Object.fromEntries(TASKS.map((t) => [substitutionKey(t), arns[t]])));
}
