/** One benchmark's verdict, as every suite returns it and bench/run.ts prints it. */
export interface BenchResult {
  name: string;
  ratio: number;
  target: string;
  pass: boolean;
  detail: string;
}

/** One result as the runner and every standalone suite print it. */
export function formatResult(r: BenchResult): string {
  return `${r.pass ? 'PASS' : 'MISS'}  ${r.name}: ${r.ratio.toFixed(2)}× (target ${r.target})\n      ${r.detail}`;
}

/**
 * A suite run on its own (`node dist/bench/<name>.bench.js`): prints its results, exit code 1 on an error.
 * `exit` ends the process once printed, for suites whose clients leave handles behind.
 */
export function runStandalone(run: () => Promise<BenchResult[]>, options: { exit?: boolean; after?: () => void } = {}): void {
  run().then(
    (results) => {
      for (const r of results) console.log(formatResult(r));
      options.after?.();
      if (options.exit) process.exit();
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
      if (options.exit) process.exit(1);
    },
  );
}
