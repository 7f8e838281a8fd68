import type { HistoryEvent } from '@aws-sdk/client-sfn';
import pino from 'pino';
import { ANNOUNCED_FOR_MS, RunAnnouncer } from '../../../src/services/pipeline/announcements';
import type { Claims } from '../../../src/services/events/claims';
import type { PipelineRun, RunStatus } from '../../../src/services/pipeline/run';

const logger = pino({ level: 'silent' });
const ARN = 'arn:aws:states:us-east-1:000000000000:execution:gapwatch-pipeline:r-1';

function memoryClaims(): Claims & { down: boolean; asked: number } {
  const made = new Set<string>();
  const claims = {
    down: false,
    /** How often `claimed` was asked. */
    asked: 0,
    async claimed(key: string) {
      claims.asked += 1;
      if (claims.down) throw new Error('Redis down');
      return made.has(key);
    },
    async claim(key: string) {
      if (claims.down) throw new Error('Redis down');
      if (made.has(key)) return false;
      made.add(key);
      return true;
    },
  };
  return claims;
}

const event = (id: number, type: string, at = new Date()): HistoryEvent => ({ id, type: type as HistoryEvent['type'], timestamp: at });
const tick = () => new Promise((r) => setTimeout(r, 20));
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
}

function harness(claims: Claims, status: () => RunStatus, fallbackMs = 30) {
  const announced: string[] = [];
  let describes = 0;
  const announcer = new RunAnnouncer(claims, {
    describe: async (id) => {
      describes += 1;
      return { id, status: status() } as PipelineRun;
    },
    announce: (run) => void announced.push(run.status),
    logger,
    fallbackMs,
  });
  return { announcer, announced, describes: () => describes };
}

describe('run announcements', () => {
  it('instances that each see a status announce it once between them; the claim saves the others a DescribeExecution', async () => {
    const claims = memoryClaims();
    const instances = [harness(claims, () => 'SUCCEEDED'), harness(claims, () => 'SUCCEEDED'), harness(claims, () => 'SUCCEEDED')];
    instances[0]!.announcer.seen(ARN, [event(1, 'ExecutionStarted'), event(2, 'ExecutionSucceeded')], true);
    await tick();
    for (const i of instances.slice(1)) i.announcer.seen(ARN, [event(1, 'ExecutionStarted'), event(2, 'ExecutionSucceeded')], true);
    await tick();
    expect(instances.flatMap((i) => i.announced)).toEqual(['SUCCEEDED']);
    expect(instances.map((i) => i.describes())).toEqual([1, 0, 0]);
  });

  it('an instance that heard the status over the bus announces it a lease period later, only if nobody has (the poller died)', async () => {
    const claims = memoryClaims();
    // Nothing until the fallback's time: the listener has not even asked.
    const listener = harness(claims, () => 'FAILED', 300);
    listener.announcer.seen(ARN, [event(9, 'ExecutionFailed')], false);
    expect(claims.asked).toBe(0);
    await until(() => listener.announced.length > 0);
    expect(listener.announced).toEqual(['FAILED']);
    const late = harness(claims, () => 'FAILED');
    late.announcer.seen(ARN, [event(9, 'ExecutionFailed')], false);
    const asked = claims.asked;
    await until(() => claims.asked > asked);
    await tick();
    expect(late.announced).toEqual([]);
    expect(late.describes()).toBe(0);
  });

  it('a status the event names but the run has already left is not announced (its own end is)', async () => {
    const i = harness(memoryClaims(), () => 'SUCCEEDED');
    i.announcer.seen(ARN, [event(1, 'ExecutionStarted')], true);
    await tick();
    expect(i.announced).toEqual([]);
  });

  it('a status older than the claims last is not announced at all', async () => {
    const i = harness(memoryClaims(), () => 'SUCCEEDED');
    i.announcer.seen(ARN, [event(2, 'ExecutionSucceeded', new Date(Date.now() - ANNOUNCED_FOR_MS - 60_000))], true);
    await tick();
    expect(i.announced).toEqual([]);
    expect(i.describes()).toBe(0);
  });

  it('claims down: the poller announces anyway, and makes the claim once they answer', async () => {
    const claims = memoryClaims();
    claims.down = true;
    const i = harness(claims, () => 'RUNNING');
    i.announcer.seen(ARN, [event(1, 'ExecutionStarted')], true);
    await tick();
    expect(i.announced).toEqual(['RUNNING']);
    claims.down = false;
    // Its next announcement finds the store answering, and makes the claim that waited.
    i.announcer.seen('arn:other', [event(1, 'ExecutionStarted')], true);
    await tick();
    expect(await claims.claimed(`run:${ARN}:RUNNING`)).toBe(true);
  });
});
