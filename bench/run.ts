/**
 * `npm run bench`: every benchmark, each reported as a ratio against a peer measured in the same run
 * (never as absolute times: those say more about the machine than about gapwatch). `npm run bench -- events`
 * runs one suite by name.
 */
import os from 'node:os';
import * as decode from './decode.bench';
import * as embedded from './embedded.bench';
import * as events from './events.bench';
import * as gaps from './gaps.bench';
import * as lambda from './lambda.bench';
import * as paging from './paging.bench';
import * as results from './results.bench';
import * as status from './status.bench';
import { formatResult, type BenchResult } from './result';

const SUITES: ReadonlyArray<{ name: string; run: () => Promise<BenchResult[]> }> = [
  { name: 'decode', run: () => decode.run() },
  { name: 'paging', run: () => paging.run() },
  { name: 'results', run: () => results.run() },
  { name: 'embedded', run: () => embedded.run() },
  { name: 'gaps', run: () => gaps.run() },
  { name: 'events', run: () => events.run() },
  { name: 'lambda', run: () => lambda.run() },
  { name: 'status', run: () => status.run() },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  console.log(`gapwatch benchmarks — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, NODE_ENV=${process.env.NODE_ENV ?? ''}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  let missed = 0;
  for (const suite of SUITES) {
    if (only.length > 0 && !only.includes(suite.name)) continue;
    const results = await suite.run();
    for (const r of results) {
      if (!r.pass) missed++;
      console.log(formatResult(r));
    }
  }
  console.log(missed === 0 ? 'all targets met' : `${missed} target(s) missed`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
