import type { Backend } from '../../config';
import { VERSION } from '../../version';

/** Something the service depends on, asked "are you answering?" by readiness checks. */
export interface Probe {
  readonly name: string;
  /** Resolves when the dependency answers; rejects with the reason when it does not. */
  check(): Promise<void>;
}

export interface ProbeResult {
  name: string;
  ready: boolean;
  message: string | null;
  latencyMs: number;
}

export interface HealthReport {
  status: 'OK' | 'DEGRADED';
  version: string;
  backend: Backend;
  checks: ProbeResult[];
}

const PROBE_TIMEOUT_MS = 3000;

export class HealthService {
  constructor(
    private readonly backend: Backend,
    private readonly probes: readonly Probe[],
    private readonly now: () => number = Date.now,
    /** Where a probe's own error goes (the log): it may name hosts, accounts or ARNs, so clients never see it. */
    private readonly onFailure: (probe: string, err: unknown) => void = () => {},
  ) {}

  async report(): Promise<HealthReport> {
    const checks = await Promise.all(this.probes.map((p) => this.run(p)));
    return {
      status: checks.every((c) => c.ready) ? 'OK' : 'DEGRADED',
      version: VERSION,
      backend: this.backend,
      checks,
    };
  }

  private async run(probe: Probe): Promise<ProbeResult> {
    const started = this.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([probe.check(), timeout]);
      return { name: probe.name, ready: true, message: null, latencyMs: this.now() - started };
    } catch (err) {
      this.onFailure(probe.name, err);
      const message = err === timedOut ? timedOut.message : 'answered with an error; details are in the service log';
      return { name: probe.name, ready: false, message, latencyMs: this.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }
}
