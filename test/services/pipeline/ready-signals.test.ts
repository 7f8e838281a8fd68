import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { MAX_AT_AHEAD_MS, readySignalIn } from '../../../src/services/pipeline/ready-signals';

const ARN = 'arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:stock_ticks-check-0123456789abcdef-1';
const NOW = Date.parse('2026-01-01T12:00:00Z');
const INPUT = { dataset: 'stock_ticks', from: '2024-03-10T00:00:00.000Z', to: '2024-03-11T00:00:00.000Z', mode: 'CHECK' };
const READY = { dataset: 'stock_ticks', from: '2024-03-10T00:00:00.000Z', to: '2024-03-11T00:00:00.000Z', runId: ARN, at: '2026-01-01T11:59:59.000Z' };

const started = (input: object = INPUT): HistoryEvent => ({ id: 1, type: 'ExecutionStarted', timestamp: new Date(NOW), executionStartedEventDetails: { input: JSON.stringify(input) } });
const exited = (name: string, output: object, id = 9): HistoryEvent => ({ id, previousEventId: id - 1, type: 'TaskStateExited', timestamp: new Date(NOW), stateExitedEventDetails: { name, output: JSON.stringify(output) } });

function find(ready: object, input: object = INPUT, state = 'Initiate') {
  const history = [started(input), exited(state, { ...input, ready })];
  return readySignalIn(ARN, history.slice(1), history, NOW);
}

describe('the ready signal in a run history', () => {
  it("is Initiate's, checked against the run", () => {
    expect(find(READY)).toStrictEqual({ signal: READY });
    // Up to a minute ahead of this clock: Initiate's clock (a Lambda's, on AWS) may run a little ahead.
    const ahead = new Date(NOW + MAX_AT_AHEAD_MS).toISOString();
    expect(find({ ...READY, at: ahead })).toStrictEqual({ signal: { ...READY, at: ahead } });
  });

  it('is refused when it names another run, another window or dataset, or is stamped in the future', () => {
    expect(find({ ...READY, runId: 'forged' })).toMatchObject({ refused: expect.stringMatching(/names run 'forged'/) });
    expect(find({ ...READY, from: '2024-03-04T00:00:00.000Z' })).toMatchObject({ refused: expect.stringMatching(/window .* is not the run's/) });
    expect(find({ ...READY, dataset: 'other' })).toMatchObject({ refused: expect.stringMatching(/dataset/) });
    expect(find({ ...READY, at: '2099-01-01T00:00:00.000Z' })).toMatchObject({ refused: expect.stringMatching(/stamped 2099-01-01T00:00:00.000Z, ahead of now/) });
    expect(find({ ...READY, at: 'soon' })).toMatchObject({ refused: expect.stringMatching(/no valid at/) });
  });

  it('is taken from no other state, however the output looks', () => {
    expect(find(READY, INPUT, 'GapsFound')).toBeUndefined();
    expect(find(READY, INPUT, 'Validate')).toBeUndefined();
  });
});
