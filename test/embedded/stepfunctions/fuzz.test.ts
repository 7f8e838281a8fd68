/**
 * Arbitrary JSON bodies to every operation: the answer is always 200 or a 400 with AWS's error shape,
 * never a 500 and never a crash, whatever the members' types and sizes.
 */
import fc from 'fast-check';
import { MACHINE_ARN, startSfn, type SfnHarness } from './helpers';

const OPERATIONS = [
  'CreateStateMachine',
  'DescribeStateMachine',
  'ListStateMachines',
  'StartExecution',
  'DescribeExecution',
  'ListExecutions',
  'GetExecutionHistory',
  'StopExecution',
  'RedriveExecution',
];

const EXEC = 'arn:aws:states:us-east-1:000000000000:execution:test-machine:x';
/** Members the operations read, with values near the valid ones so the fuzz reaches past the first check. */
const member = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(MACHINE_ARN, EXEC, 'arn:aws:states:us-east-1:000000000000:stateMachine:', '', '{}', '{"mode":"work"}', 'x'.repeat(300)),
  fc.integer({ min: -5, max: 2000 }),
  fc.boolean(),
);
const body = fc.record(
  {
    name: member,
    definition: member,
    roleArn: member,
    type: member,
    stateMachineArn: member,
    executionArn: member,
    input: member,
    maxResults: member,
    nextToken: member,
    statusFilter: member,
    reverseOrder: member,
    includeExecutionData: member,
    error: member,
    cause: member,
  },
  { requiredKeys: [] },
);

describe('embedded Step Functions under arbitrary input', () => {
  let h: SfnHarness;
  beforeAll(async () => {
    h = await startSfn();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('answers every operation with 200 or a 400 carrying __type and message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPERATIONS), body, async (op, input) => {
        const res = await fetch(h.endpoint.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${op}` },
          body: JSON.stringify(input),
        });
        const out = (await res.json()) as Record<string, unknown>;
        if (res.status !== 200) {
          expect([op, res.status]).toStrictEqual([op, 400]);
          expect(typeof out.__type).toBe('string');
          expect(typeof out.message).toBe('string');
        }
      }),
      { numRuns: 400, seed: 9 },
    );
  });
});
