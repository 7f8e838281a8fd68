/**
 * Waiting on Athena: capped, jittered exponential backoff, and the loop that polls an execution until it
 * ends. Time comes from the injected clock, so tests and the scheduler control it.
 */
import { CodedError, ErrorCode } from '../../errors';
import type { Clock } from '../clock/clock';
import type { Execution } from './athena.service';

const FIRST_MS = 100;
const MAX_MS = 5000;

/**
 * Pauses of 100 ms, 200 ms, … up to 5 s, each drawn from its upper half (full jitter keeps many waiters
 * from polling in step; the cap keeps a long query from being checked rarely).
 */
export class Backoff {
  private delay = FIRST_MS;

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  /** Sleeps the next pause, at most `capMs`. */
  async pause(capMs = Infinity): Promise<void> {
    await this.clock.sleep(Math.min(capMs, this.delay / 2 + this.random() * (this.delay / 2)));
    this.delay = Math.min(MAX_MS, this.delay * 2);
  }
}

/**
 * Polls `get(id)` until the query ends. SUCCEEDED resolves; FAILED and CANCELLED reject with coded errors
 * carrying Athena's reason; past `timeoutMs` it rejects with QUERY_TIMEOUT and leaves the query running
 * (the caller may stop it).
 */
export async function waitUntilEnded(
  get: (id: string) => Promise<Execution>,
  id: string,
  timeoutMs: number,
  clock: Clock,
  random: () => number,
): Promise<Execution> {
  const deadline = clock.now() + timeoutMs;
  const backoff = new Backoff(clock, random);
  for (;;) {
    const execution = await get(id);
    switch (execution.state) {
      case 'SUCCEEDED':
        return execution;
      case 'FAILED':
        throw new CodedError(ErrorCode.QUERY_FAILED, `query ${id} failed: ${execution.stateChangeReason ?? 'no reason given'}`, {
          queryExecutionId: id,
          reason: execution.stateChangeReason,
          errorType: execution.errorType,
        });
      case 'CANCELLED':
        throw new CodedError(ErrorCode.QUERY_CANCELLED, `query ${id} was cancelled${execution.stateChangeReason ? `: ${execution.stateChangeReason}` : ''}`, {
          queryExecutionId: id,
          reason: execution.stateChangeReason,
        });
      case 'QUEUED':
      case 'RUNNING':
        break;
    }
    const left = deadline - clock.now();
    if (left <= 0) {
      throw new CodedError(ErrorCode.QUERY_TIMEOUT, `query ${id} was still ${execution.state} after ${timeoutMs} ms; it keeps running`, {
        queryExecutionId: id,
        state: execution.state,
      });
    }
    await backoff.pause(left);
  }
}
