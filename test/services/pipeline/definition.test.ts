import { readFileSync } from 'node:fs';
import path from 'node:path';
import validate from 'asl-validator';
import { definitionFor, embeddedTaskArns, rawDefinition, substitutionKey, TASKS } from '../../../src/services/pipeline/definition';

type State = Record<string, any>;

/** Every state of the machine, nested Map processors included, with its name. */
function allStates(definition: { States: Record<string, State> }): [string, State][] {
  return Object.entries(definition.States).flatMap(([name, s]) => [[name, s] as [string, State], ...(s.ItemProcessor ? allStates(s.ItemProcessor) : [])]);
}

describe('the pipeline state machine (pipeline.asl.json)', () => {
  const embedded = JSON.parse(definitionFor(embeddedTaskArns()));

  it('is valid ASL once its Task resources are substituted', () => {
    // The validator annotates what it is given; hand it a copy.
    const result = validate(JSON.parse(JSON.stringify(embedded)));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('names each Task resource by a placeholder, one per handler, and leaves none unsubstituted', () => {
    const placeholders = [...rawDefinition().matchAll(/"Resource": "\$\{(\w+)\}"/g)].map((m) => m[1]).sort();
    expect(placeholders).toStrictEqual(TASKS.map(substitutionKey).sort());
    expect(JSON.stringify(embedded)).not.toMatch(/\$\{\w+\}/);
    expect(() => definitionFor({ ...embeddedTaskArns(), check: undefined } as never)).toThrow(/CheckFunctionArn/);
  });

  it('gives every Task an explicit timeout', () => {
    const tasks = allStates(embedded).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toStrictEqual(['Check', 'Initiate', 'RepairRange', 'Validate']);
    for (const [, task] of tasks) expect(task.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('repairs with a bounded Map whose iterations retry with backoff and fail naming the range', () => {
    const repair = embedded.States.Repair;
    expect(repair.Type).toBe('Map');
    expect(repair.MaxConcurrency).toBeGreaterThan(0);
    expect(repair.MaxConcurrency).toBeLessThanOrEqual(10);
    expect(repair.Catch[0].Next).toBe('RepairFailed');
    const task = repair.ItemProcessor.States.RepairRange;
    expect(task.Retry[0]).toMatchObject({ MaxAttempts: expect.any(Number), BackoffRate: expect.any(Number) });
    expect(task.Retry[0].BackoffRate).toBeGreaterThan(1);
    expect(task.Catch[0].Next).toBe('RecordFailedRange');
    expect(repair.ItemProcessor.States.RecordFailedRange.Parameters['cause.$']).toMatch(/\$\.range\.group/);
  });

  it('enters at Check, Repair or Validate by mode, and fails other input', () => {
    const mode = embedded.States.Mode;
    expect(mode.Choices.map((c: State) => c.Next)).toStrictEqual(['Check', 'Repair', 'Validate']);
    expect(embedded.States[mode.Default].Type).toBe('Fail');
  });

  it('has every state that does more than end the run in docs/pipeline.md\'s state table', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../../docs/pipeline.md'), 'utf8');
    const rows = new Set([...doc.matchAll(/^\| `(\w+)` \((\w+)\) \|/gm)].map((m) => `${m[1]} (${m[2]})`));
    const states = Object.entries(embedded.States as Record<string, State>)
      .filter(([, s]) => s.Type !== 'Fail' && s.Type !== 'Succeed')
      .map(([name, s]) => `${name} (${s.Type})`);
    expect(states.filter((s) => !rows.has(s))).toStrictEqual([]);
  });
});
