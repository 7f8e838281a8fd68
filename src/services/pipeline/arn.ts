/** AWS's rules for an execution ARN; anything else is refused before Step Functions is asked. */
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_.-]{1,80}:[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_.-]{1,80}$/;

export function isExecutionArn(id: string): boolean {
  return id.length <= 2048 && EXECUTION_ARN.test(id);
}

export function isStateMachineArn(arn: string): boolean {
  return STATE_MACHINE_ARN.test(arn);
}

/** The ARN an execution named `name` of the state machine `stateMachineArn` has (Step Functions' own rule). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Whether `executionArn` is an execution of the state machine `stateMachineArn` (and of no other). */
export function isExecutionOf(stateMachineArn: string, executionArn: string): boolean {
  const prefix = executionArnOf(stateMachineArn, '');
  // Execution names hold no ':' (isExecutionArn), so the prefix names exactly one machine.
  return isExecutionArn(executionArn) && executionArn.startsWith(prefix);
}
