#!/usr/bin/env node
'use strict';
// npm run build:lambda: the Lambda functions' deployment package, the folder deploy/template.yaml's CodeUri
// names (dist/lambda/). It holds everything the functions load, and nothing else:
//
//   index.js, index.js.map  src/lambda.ts and what it imports, bundled by esbuild (no node_modules needed)
//   client-lambda.js        the Lambda SDK client, bundled apart: only a dataset whose `repair:` names a
//                           Lambda function needs it (services/pipeline/repair.ts requires it on first use),
//                           and every other cold start would compile it for nothing
//   gapwatch.config.yaml    the configuration the functions read (GAPWATCH_CONFIG, else ./gapwatch.config.yaml)
//   <repair modules>        each module a dataset's `repair:` names, bundled with its own dependencies, at the
//                           same path relative to the config file, so the copied config needs no edit
//
// What went into the bundle is written beside the folder (dist/lambda.meta.json, esbuild's metafile), not in
// it. Last, the bundle is loaded in a fresh process with the copied config and builds its services once
// (lambda.ts's prepare): a configuration the functions would refuse — `repair: sample`, a missing repair
// module — fails the build rather than the first run on AWS.
//
// It reads the configuration with gapwatch's own code from dist/ (`npm run build` first; build:lambda does).
const { execFileSync } = require('node:child_process');
const { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
/** Where the package goes: deploy/template.yaml's CodeUri. */
const DEFAULT_OUTDIR = path.join(ROOT, 'dist/lambda');
/** Packages bundled into files of their own beside index.js, loaded only when first required. */
const APART = { '@aws-sdk/client-lambda': 'client-lambda.js' };
/** The oldest Node the bundle runs on (package.json engines); the functions run on nodejs24.x. */
const TARGET = 'node20';

function fail(message) {
  const err = new Error(message);
  err.name = 'BuildLambdaError';
  throw err;
}

/** The repair modules the config's datasets name, as [where, absolute file]; the config is validated on the way. */
function repairModules(configFile) {
  const { parsePipelineSettings, readConfigFile } = require(path.join(ROOT, 'dist/src/settings.js'));
  const { repairTarget } = require(path.join(ROOT, 'dist/src/services/pipeline/repair.js'));
  const file = readConfigFile(configFile);
  const { datasets } = parsePipelineSettings(file);
  const modules = [];
  datasets.forEach((d, i) => {
    if (d.repair === undefined) return;
    const target = repairTarget(d.repair, file.baseDir);
    if (target.kind === 'module') modules.push([`datasets[${i}] (${d.name}).repair`, target.file]);
  });
  return { baseDir: file.baseDir, modules };
}

/**
 * Builds the package into `outdir` (emptied first) from `config`. Returns the bundle's path and size and
 * the metafile's path.
 */
async function buildLambda({ config = process.env.GAPWATCH_CONFIG || path.join(ROOT, 'gapwatch.config.yaml'), outdir = DEFAULT_OUTDIR } = {}) {
  const configFile = path.resolve(config);
  try {
    statSync(configFile);
  } catch {
    fail(`build:lambda: no config file at ${configFile} (set GAPWATCH_CONFIG)`);
  }
  let found;
  try {
    found = repairModules(configFile);
  } catch (err) {
    if (err.name === 'ConfigError') fail(`build:lambda: configuration error: ${err.message}`);
    throw err;
  }
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  try {
    return await pack(configFile, found, outdir);
  } catch (err) {
    // Never leave a package behind that the functions would refuse.
    rmSync(outdir, { recursive: true, force: true });
    rmSync(metafileOf(outdir), { force: true });
    throw err;
  }
}

/** esbuild's account of what went into the bundle, beside the package rather than in it. */
function metafileOf(outdir) {
  return `${outdir.replace(/\/+$/, '')}.meta.json`;
}

async function pack(configFile, { baseDir, modules }, outdir) {
  const metafile = metafileOf(outdir);

  const built = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/lambda.ts')],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: TARGET,
    format: 'cjs',
    minify: true,
    // Error and class names stay readable in logs (pino reports an error's constructor name as its type).
    keepNames: true,
    sourcemap: 'linked',
    // Stack traces need the mappings only; the sources themselves are in the repository.
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
    // The repair module a dataset names is loaded at run time by its path (services/pipeline/repair.ts).
    logOverride: { 'unsupported-require-call': 'silent' },
    plugins: [
      {
        name: 'apart',
        setup(b) {
          b.onResolve({ filter: /^@aws-sdk\/client-lambda$/ }, (args) => ({ path: `./${APART[args.path]}`, external: true }));
        },
      },
    ],
  });
  for (const [pkg, file] of Object.entries(APART)) {
    await esbuild.build({ stdin: { contents: `module.exports = require(${JSON.stringify(pkg)});`, resolveDir: ROOT }, outfile: path.join(outdir, file), bundle: true, platform: 'node', target: TARGET, format: 'cjs', minify: true, keepNames: true, logLevel: 'warning' });
  }
  writeFileSync(metafile, JSON.stringify(built.metafile));
  copyFileSync(configFile, path.join(outdir, 'gapwatch.config.yaml'));
  for (const [where, file] of modules) {
    const relative = path.relative(baseDir, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      fail(`build:lambda: ${where}: ${file} is outside the config file's folder ${baseDir}; it could not sit at the same relative path in the package`);
    }
    try {
      statSync(file);
    } catch {
      fail(`build:lambda: ${where}: no module at ${file}`);
    }
    try {
      await esbuild.build({ entryPoints: [file], outfile: path.join(outdir, relative), bundle: true, platform: 'node', target: TARGET, format: 'cjs', logLevel: 'silent' });
    } catch (err) {
      const first = err.errors?.[0];
      fail(`build:lambda: ${where}: ${file} could not be bundled with what it imports: ${first ? `${first.text}${first.location ? ` (${first.location.file}:${first.location.line})` : ''}` : err.message}`);
    }
  }

  // Loaded as Lambda would: a fresh process, the packaged config, nothing of this checkout on its path.
  const scratch = mkdtempSync(path.join(tmpdir(), 'gapwatch-build-lambda-'));
  try {
    execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(outdir, 'index.js'))}).prepare().then(() => process.exit(0), (e) => { process.stderr.write(e.message + '\\n'); process.exit(1); })`], {
      cwd: scratch,
      env: { PATH: process.env.PATH, GAPWATCH_CONFIG: path.join(outdir, 'gapwatch.config.yaml'), GAPWATCH_DATA_DIR: path.join(scratch, 'tmp'), GAPWATCH_LOG_LEVEL: 'silent', AWS_REGION: 'us-east-1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
  } catch (err) {
    fail(`build:lambda: the functions would refuse this configuration: ${String(err.stderr || err.message).trim()}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const bundle = path.join(outdir, 'index.js');
  return { outdir, bundle, bytes: statSync(bundle).size, metafile };
}

module.exports = { buildLambda, DEFAULT_OUTDIR };

if (require.main === module) {
  buildLambda().then(
    ({ outdir, bytes }) => process.stdout.write(`build:lambda: ${path.relative(process.cwd(), outdir) || '.'} (index.js ${(bytes / 1024 / 1024).toFixed(2)} MiB)\n`),
    (err) => {
      process.stderr.write(`${err.name === 'BuildLambdaError' ? err.message : err.stack}\n`);
      process.exit(2);
    },
  );
}
