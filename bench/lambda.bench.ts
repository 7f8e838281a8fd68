/**
 * The Lambda functions' package (`npm run build:lambda`) against what the functions loaded before they had
 * a composition of their own. Each reading is a fresh `node` process, the three alternated, medians:
 *
 * - the bundle (dist/lambda/index.js as build:lambda writes it, here into a temporary folder with no
 *   node_modules anywhere above it), required cold, then its services built (lambda.ts's prepare: config
 *   file, Athena client, gaps service, handlers; no AWS call);
 * - the same composition unbundled (dist/src/lambda.js, tsc's output, modules from node_modules);
 * - the old entry's imports: dist/src/lambda.js used to import backends.ts and config.ts, which brought
 *   the whole service (Apollo, graphql, ioredis through config's http/ sections) and the embedded backend
 *   (DuckDB's native module, aws-local-stepfunctions); here config.js, backends.js and the embedded
 *   backend's wiring, required together, stand for it.
 *
 * Targets (issue 19): the bundle under 5 MB, its cold import under 300 ms on this machine, and no DuckDB,
 * Apollo, graphql or ioredis module in it (by its esbuild metafile). The ratios are the bundle against the
 * old entry's imports, measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from './paging.bench';
import { type BenchResult, runStandalone } from './result';

const ROUNDS = 11;
const MAX_BUNDLE_BYTES = 5 * 1024 * 1024;
const MAX_COLD_IMPORT_MS = 300;
const FORBIDDEN = /^(@duckdb\/|@apollo\/|graphql$|graphql-|@graphql-|ioredis$)/;

const DIST = path.resolve(__dirname, '..');

const CONFIG = `athena:
  database: market
datasets:
  - name: ticks
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    bucket: 1h
    expectedPerBucket: 60
    repair: ./repairs/fill.js
`;

interface Reading {
  importMs: number;
  prepareMs?: number;
  modules: number;
  bytes: number;
}

/**
 * Requires `modules` in a fresh process, timing it, then (with `prepare`) builds the first one's services;
 * reports the modules the process loaded and their bytes on disk (native addons and their libraries included).
 */
function measure(modules: readonly string[], env: NodeJS.ProcessEnv, prepare: boolean): Reading {
  const script = `
    const { statSync } = require('node:fs');
    const t0 = process.hrtime.bigint();
    const loaded = ${JSON.stringify(modules)}.map((m) => require(m));
    const t1 = process.hrtime.bigint();
    (async () => {
      if (${prepare}) await loaded[0].prepare();
      const t2 = process.hrtime.bigint();
      const files = Object.keys(require.cache);
      // Shared libraries a native addon brought in (DuckDB's libduckdb.so) are mapped by the linker, not required.
      const libraries = new Set(require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).filter((f) => f && f.includes('/node_modules/') && /\\.so(\\.|$)/.test(f)));
      const bytes = [...files, ...libraries].reduce((n, f) => n + statSync(f).size, 0);
      process.stdout.write(JSON.stringify({ importMs: Number(t1 - t0) / 1e6, ...(${prepare} ? { prepareMs: Number(t2 - t1) / 1e6 } : {}), modules: files.length, bytes }));
      process.exit(0);
    })();`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, cwd: tmpdir(), encoding: 'utf8' })) as Reading;
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? folderBytes(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).size), 0);
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-bench-lambda-'));
  try {
    const project = path.join(dir, 'project');
    mkdirSync(path.join(project, 'repairs'), { recursive: true });
    writeFileSync(path.join(project, 'gapwatch.config.yaml'), CONFIG);
    writeFileSync(path.join(project, 'repairs/fill.js'), 'exports.repair = async (range) => ({ filled: range.group });\n');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildLambda } = require(path.join(DIST, '../scripts/build-lambda.js')) as {
      buildLambda(o: { config: string; outdir: string }): Promise<{ outdir: string; bundle: string; bytes: number; metafile: string }>;
    };
    const pkg = await buildLambda({ config: path.join(project, 'gapwatch.config.yaml'), outdir: path.join(dir, 'package') });

    const env = {
      PATH: process.env.PATH,
      GAPWATCH_CONFIG: path.join(pkg.outdir, 'gapwatch.config.yaml'),
      GAPWATCH_DATA_DIR: path.join(dir, 'tmp'),
      GAPWATCH_LOG_LEVEL: 'silent',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const peers = {
      bundle: () => measure([pkg.bundle], env, true),
      unbundled: () => measure([path.join(DIST, 'src/lambda.js')], env, true),
      oldEntry: () => measure(['src/config.js', 'src/backends.js', 'src/embedded-backend/index.js'].map((m) => path.join(DIST, m)), env, false),
    };
    const readings: Record<keyof typeof peers, Reading[]> = { bundle: [], unbundled: [], oldEntry: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, read] of Object.entries(peers) as [keyof typeof peers, () => Reading][]) readings[name].push(read());
    }
    const med = (name: keyof typeof peers, key: 'importMs' | 'prepareMs') => median(readings[name].map((r) => r[key] ?? 0));
    const last = (name: keyof typeof peers) => readings[name].at(-1)!;

    const meta = JSON.parse(readFileSync(pkg.metafile, 'utf8')) as { outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown> }> };
    const inputs = Object.keys(Object.values(meta.outputs).find((o) => o.entryPoint)!.inputs);
    const packages = [...new Set(inputs.filter((i) => i.includes('node_modules/')).map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i)![1]!))];
    const forbidden = packages.filter((p) => FORBIDDEN.test(p));

    const bundleMs = med('bundle', 'importMs');
    const oldMs = med('oldEntry', 'importMs');
    const total = folderBytes(pkg.outdir);
    return [
      {
        name: 'lambda: bundle size (dist/lambda/index.js) vs 5 MB',
        ratio: pkg.bytes / MAX_BUNDLE_BYTES,
        target: '≤ 1.00',
        pass: pkg.bytes < MAX_BUNDLE_BYTES,
        detail:
          `index.js ${mb(pkg.bytes)}, the whole package folder (with source map, config, repair module) ${mb(total)}; ` +
          `modules loaded: bundle ${last('bundle').modules} (${mb(last('bundle').bytes)} read), unbundled ${last('unbundled').modules} (${mb(last('unbundled').bytes)}), ` +
          `old entry's imports ${last('oldEntry').modules} (${mb(last('oldEntry').bytes)}, DuckDB's native library included)`,
      },
      {
        name: 'lambda: cold import, bundle vs the old entry\'s imports',
        ratio: bundleMs / oldMs,
        target: `< 1.00, and the bundle under ${MAX_COLD_IMPORT_MS} ms`,
        pass: bundleMs < oldMs && bundleMs < MAX_COLD_IMPORT_MS,
        detail:
          `medians of ${ROUNDS} fresh processes: bundle ${bundleMs.toFixed(0)} ms (+ ${med('bundle', 'prepareMs').toFixed(0)} ms to build its services), ` +
          `unbundled dist/src/lambda.js ${med('unbundled', 'importMs').toFixed(0)} ms (+ ${med('unbundled', 'prepareMs').toFixed(0)} ms), old entry's imports ${oldMs.toFixed(0)} ms`,
      },
      {
        name: 'lambda: DuckDB, Apollo, graphql, ioredis modules in the bundle (esbuild metafile)',
        ratio: forbidden.length,
        target: '0',
        pass: forbidden.length === 0,
        detail: forbidden.length === 0 ? `${packages.length} packages bundled, none of them` : `found: ${forbidden.join(', ')}`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runStandalone(run);
}
