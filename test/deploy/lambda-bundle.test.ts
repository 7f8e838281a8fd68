import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startEmbedded, type EmbeddedEndpoint } from '../../src/embedded/server';
import { ticksDatasetYaml } from '../support/config';
import { lambdaBundle, NODE24, nodeVersion } from '../support/lambda';

const run = promisify(execFile);

/**
 * A dataset on the embedded sample's table, repaired by a module that travels with the bundle, and one
 * repaired by a Lambda function.
 */
const CONFIG = `athena:
  database: market
datasets:
${ticksDatasetYaml('ticks', { groups: '[AMZN, GOOG, WORK]', minRatio: '0.8', repair: './repairs/fill.js' })}${ticksDatasetYaml('by_lambda', { repair: 'arn:aws:lambda:us-east-1:123456789012:function:gapwatch-repair-ticks' })}`;

/**
 * The repair module: it imports a helper of its own (bundled with it by build:lambda) and says which
 * process ran it, so the test sees the action ran inside the function's process.
 */
const REPAIR_MODULE = `const { describe } = require('./describe');
exports.repair = async (range, { signal }) => ({ filled: describe(range), node: process.version, aborted: signal.aborted });
`;
const HELPER = `exports.describe = (range) => range.group + '@' + range.start;\n`;

/**
 * Run in a fresh process from the package folder: loads the bundle, invokes each entry as Lambda would
 * (event, context), and prints what each answered (or its error's name, Lambda's errorType) and every
 * module the process loaded.
 */
const INVOKE = `
const lambda = require('./index.js');
const context = { getRemainingTimeInMillis: () => 60000 };
const window = { dataset: 'ticks', from: '2024-03-05T00:00:00Z', to: '2024-03-06T00:00:00Z' };
const range = { group: 'AMZN', start: '2024-03-05T13:00:00.000Z', end: '2024-03-05T14:00:00.000Z', kind: 'MISSING' };
const settle = (p) => p.then((value) => ({ value }), (e) => ({ errorType: e.name, message: e.message }));
(async () => {
  const out = {};
  out.check = await settle(lambda.check(window, context));
  out.repair = await settle(lambda.repair({ dataset: 'ticks', range }, context));
  out.validate = await settle(lambda.validate({ ...window, repaired: [out.repair.value] }, context));
  out.initiate = await settle(lambda.initiate({ ...window, runId: 'arn:aws:states:us-east-1:123456789012:execution:gapwatch-pipeline:r1' }, context));
  out.unknown = await settle(lambda.check({ ...window, dataset: 'nope' }, context));
  out.modules = Object.keys(require.cache);
  // A repair by a Lambda function: the Lambda client, bundled apart, is loaded now and not before.
  out.byLambda = await settle(lambda.repair({ dataset: 'by_lambda', range }, context));
  out.modulesAfter = Object.keys(require.cache);
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
})();
`;

/** Lambda's Invoke API (REST-JSON) as the SDK reaches it through AWS_ENDPOINT_URL_LAMBDA: echoes the range. */
async function startInvokeEndpoint(): Promise<{ url: string; invoked: string[]; close(): Promise<void> }> {
  const invoked: string[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (b: Buffer) => (text += b.toString('utf8')));
    req.on('end', () => {
      invoked.push(decodeURIComponent(req.url ?? ''));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ repairedBy: 'lambda', group: JSON.parse(text).range.group }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, invoked, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the Lambda bundle (npm run build:lambda)', () => {
  let dir: string;
  let pkg: string;
  let embedded: EmbeddedEndpoint;
  let invokeEndpoint: Awaited<ReturnType<typeof startInvokeEndpoint>>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-bundle-'));
    const project = path.join(dir, 'project');
    mkdirSync(path.join(project, 'repairs'), { recursive: true });
    writeFileSync(path.join(project, 'gapwatch.config.yaml'), CONFIG);
    writeFileSync(path.join(project, 'repairs/fill.js'), REPAIR_MODULE);
    writeFileSync(path.join(project, 'repairs/describe.js'), HELPER);
    // Built into a temporary folder: no node_modules in it or above it.
    pkg = (await lambdaBundle(path.join(project, 'gapwatch.config.yaml'), path.join(dir, 'package'))).outdir;
    embedded = await startEmbedded({ port: 0, dataDir: path.join(dir, 'embedded') });
    invokeEndpoint = await startInvokeEndpoint();
  });
  afterAll(async () => {
    await invokeEndpoint?.close();
    await embedded?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function invoke(node: string): Promise<any> {
    const { stdout } = await run(node, ['-e', INVOKE], {
      cwd: pkg,
      // Lambda's environment: the template's variables, and the SDK's own configuration pointing at the embedded Athena.
      env: {
        PATH: process.env.PATH,
        GAPWATCH_CONFIG: path.join(pkg, 'gapwatch.config.yaml'),
        GAPWATCH_DATA_DIR: path.join(dir, `tmp-${path.basename(node)}-${Date.now()}`),
        GAPWATCH_LOG_LEVEL: 'silent',
        AWS_ENDPOINT_URL_ATHENA: embedded.url,
        AWS_ENDPOINT_URL_LAMBDA: invokeEndpoint.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'lambda',
        AWS_SECRET_ACCESS_KEY: 'lambda',
      },
      timeout: 120_000,
    });
    return JSON.parse(stdout);
  }

  async function expectEveryEntryAnswers(node: string): Promise<void> {
    const before = (await embedded.calls()).StartQueryExecution ?? 0;
    const out = await invoke(node);
    const range = { group: 'AMZN', start: '2024-03-05T13:00:00.000Z', end: '2024-03-05T14:00:00.000Z', kind: 'MISSING' };
    expect(out.check.value).toMatchObject({ status: 'GAPS', truncated: false });
    expect(out.check.value.ranges).toContainEqual(range);
    expect(out.repair).toStrictEqual({ value: { range, result: { filled: 'AMZN@2024-03-05T13:00:00.000Z', node: await nodeVersion(node), aborted: false } } });
    // The module wrote nothing: the re-check of exactly that range still finds it.
    expect(out.validate.value).toMatchObject({ status: 'GAPS', windows: [range], remaining: [range] });
    expect(out.initiate.value).toMatchObject({ dataset: 'ticks', runId: 'arn:aws:states:us-east-1:123456789012:execution:gapwatch-pipeline:r1' });
    expect(out.unknown).toMatchObject({ errorType: 'gapwatch.InvalidInput', message: expect.stringContaining("'nope'") });
    // Everything the process loaded came from the package folder: the bundle and the repair module.
    const outside = out.modules.filter((m: string) => !m.startsWith(`${pkg}${path.sep}`));
    expect(outside).toStrictEqual([]);
    expect(out.modules.map((m: string) => path.relative(pkg, m)).sort()).toStrictEqual(['index.js', 'repairs/fill.js']);
    expect(out.byLambda).toStrictEqual({ value: { range, result: { repairedBy: 'lambda', group: 'AMZN' } } });
    expect(out.modulesAfter.map((m: string) => path.relative(pkg, m)).sort()).toStrictEqual(['client-lambda.js', 'index.js', 'repairs/fill.js']);
    expect(invokeEndpoint.invoked.at(-1)).toBe('/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:gapwatch-repair-ticks/invocations');
    // Check and Validate queried the embedded Athena through the SDK's own configuration.
    expect(((await embedded.calls()).StartQueryExecution ?? 0) - before).toBeGreaterThanOrEqual(2);
  }

  it('holds only what the functions load: the bundle, its source map, the Lambda client apart, the config file and the repair module (with its helper bundled in)', () => {
    const files = (d: string, prefix = ''): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
    expect(files(pkg).sort()).toStrictEqual(['client-lambda.js', 'gapwatch.config.yaml', 'index.js', 'index.js.map', 'repairs/fill.js']);
    expect(readFileSync(path.join(pkg, 'repairs/fill.js'), 'utf8')).toContain('range.group + "@" + range.start');
  });

  it('answers Check, Repair (a module action), Validate and Initiate on this Node, loaded from a folder with no node_modules', async () => {
    await expectEveryEntryAnswers(process.execPath);
  });

  // The functions run on nodejs24.x. .ci/run fetches Node 24 (GAPWATCH_NODE24); a developer machine without
  // it skips this one.
  (NODE24 || process.env.CI ? it : it.skip)('answers the same on Node 24, the Lambda runtime', async () => {
    expect(NODE24).toBeDefined();
    expect(await nodeVersion(NODE24!)).toMatch(/^v24\./);
    await expectEveryEntryAnswers(NODE24!);
  });

  it('contains no DuckDB, Apollo, graphql, ioredis or embedded backend, by its own metafile', () => {
    const meta = JSON.parse(readFileSync(`${pkg}.meta.json`, 'utf8')) as { outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown> }> };
    const [bundle] = Object.values(meta.outputs).filter((o) => o.entryPoint);
    const inputs = Object.keys(bundle!.inputs);
    expect(inputs).toContain('src/lambda.ts');
    const packages = new Set(inputs.filter((i) => i.includes('node_modules/')).map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i)![1]!));
    const forbidden = [...packages].filter((p) => /^(@duckdb\/|@apollo\/|graphql|@graphql-|ioredis$|aws-local-stepfunctions$|@escape\.tech\/|type-graphql$|ws$|prom-client$)/.test(p));
    expect(forbidden).toStrictEqual([]);
    const service = inputs.filter((i) => /^src\/(embedded|embedded-backend|http|schema|resolvers|explorer|cli|services\/events)\//.test(i) || /^src\/(app|backends|config)\.ts$/.test(i));
    expect(service).toStrictEqual([]);
  });

  it('refuses to build a package the functions would refuse: repair: sample, a module outside the config folder', async () => {
    const project = path.join(dir, 'refused');
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'sample.yaml'), CONFIG.replace('./repairs/fill.js', 'sample'));
    await expect(lambdaBundle(path.join(project, 'sample.yaml'), path.join(dir, 'refused-sample'))).rejects.toThrow(/datasets\[0\] \(ticks\)\.repair: 'sample' is the embedded backend's sample repair/);
    writeFileSync(path.join(project, 'outside.yaml'), CONFIG.replace('./repairs/fill.js', '../project/repairs/fill.js'));
    await expect(lambdaBundle(path.join(project, 'outside.yaml'), path.join(dir, 'refused-outside'))).rejects.toThrow(/outside the config file's folder/);
    // Nothing is left behind to deploy.
    expect(existsSync(path.join(dir, 'refused-sample'))).toBe(false);
  });
});
