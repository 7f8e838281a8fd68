import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbedded, type EmbeddedEndpoint } from '../../src/embedded/server';
import { ConfigError } from '../../src/errors';
import * as lambda from '../../src/lambda';
import { definitionFor, embeddedTaskArns, STATE_MACHINE_NAME, TASKS } from '../../src/services/pipeline/definition';
import { startTestApp, type TestApp } from '../support/app';
import { ticksDatasetYaml } from '../support/config';
import { recordingProxy, statements } from '../support/recording-proxy';
import { until } from '../support/runs';

const REGION = 'us-east-1';
const MACHINE_ARN = `arn:aws:states:${REGION}:000000000000:stateMachine:${STATE_MACHINE_NAME}`;

/** A dataset over `market.ticks` (the embedded sample's table, and the template's default Glue database) with no `repair:`. */
const TICKS_WITHOUT_REPAIR = `athena:
  database: market
datasets:
${ticksDatasetYaml('ticks', { groups: '[AMZN, GOOG, WORK]', minRatio: '0.8' })}`;
const WITH_SAMPLE_REPAIR = `${TICKS_WITHOUT_REPAIR}    repair: sample\n`;

/**
 * AWS as gapwatch's `aws` backend meets it, on loopback: Step Functions (the embedded one) runs the
 * deployed state machine with the Lambda entries (src/lambda.ts) as its Tasks, and Athena is the embedded
 * one — which holds a `market.ticks` with gaps — behind a proxy that records every statement it is sent.
 * The service runs in aws mode against both, through AWS_ENDPOINT_URL_*.
 */
describe('the aws backend never writes the built-in sample', () => {
  let dir: string;
  let embedded: EmbeddedEndpoint;
  let athena: Awaited<ReturnType<typeof recordingProxy>>;
  let service: TestApp | undefined;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-aws-sample-'));
    const arns = embeddedTaskArns(REGION);
    embedded = await startEmbedded({
      port: 0,
      dataDir: path.join(dir, 'aws'),
      stepFunctions: {
        dataDir: path.join(dir, 'aws'),
        region: REGION,
        taskHandlers: Object.fromEntries(TASKS.map((t) => [arns[t], (input: unknown) => lambda[t](input, { getRemainingTimeInMillis: () => 300_000 })])),
        stateMachines: [{ name: STATE_MACHINE_NAME, definition: definitionFor(arns) }],
      },
    });
    athena = await recordingProxy(embedded.url);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ATHENA: athena.url,
      AWS_ENDPOINT_URL_SFN: embedded.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      // The Lambda entries' environment (deploy/template.yaml sets GAPWATCH_CONFIG; /tmp is theirs).
      GAPWATCH_CONFIG: path.join(dir, 'gapwatch.config.yaml'),
      GAPWATCH_DATA_DIR: path.join(dir, 'lambda-tmp'),
      GAPWATCH_LOG_LEVEL: 'silent',
    });
  });
  afterAll(async () => {
    await service?.stop();
    await lambda.resetForTests();
    await athena.close();
    await embedded.close();
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a FULL run over market.ticks with no repair: fails its Repair with gapwatch.RepairNotConfigured, and Athena is sent no INSERT', async () => {
    writeFileSync(path.join(dir, 'gapwatch.config.yaml'), TICKS_WITHOUT_REPAIR);
    service = await startTestApp({
      dataDir: path.join(dir, 'service'),
      env: { GAPWATCH_BACKEND: 'aws', GAPWATCH_STATE_MACHINE_ARN: MACHINE_ARN, GAPWATCH_CONFIG: path.join(dir, 'gapwatch.config.yaml') },
    });
    const started = await service.gql(`mutation { startCheck(dataset: "ticks", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z", repair: true) { id mode } }`);
    expect(started.errors).toBeUndefined();
    const id: string = started.data.startCheck.id;
    expect(started.data.startCheck.mode).toBe('FULL');
    let run: { status: string; error: string | null; cause: string | null } | undefined;
    await until('the run to end', async () => {
      run = (await service!.gql(`query ($id: ID!) { run(id: $id) { status error cause } }`, { id })).data.run;
      return run?.status !== 'RUNNING';
    });
    expect(run).toMatchObject({ status: 'FAILED', error: 'gapwatch.RepairNotConfigured' });
    expect(run!.cause).toMatch(/'ticks'/);
    const sql = statements(athena.requests);
    // The Check ran through the stand-in (so it records what the Tasks send), and nothing was written.
    expect(sql.some((s) => /^\s*(WITH|SELECT)\b/i.test(s))).toBe(true);
    expect(sql.filter((s) => /\bINSERT\b/i.test(s))).toStrictEqual([]);
  });

  it('refuses `repair: sample` at start: the service (exit 2, one line) and a Lambda entry', async () => {
    const config = path.join(dir, 'with-sample.yaml');
    writeFileSync(config, WITH_SAMPLE_REPAIR);
    const message = /datasets\[0\] \(ticks\)\.repair: 'sample' .*embedded backend/;
    const env = { GAPWATCH_BACKEND: 'aws', GAPWATCH_STATE_MACHINE_ARN: MACHINE_ARN, GAPWATCH_CONFIG: config };
    // (A service that did start is stopped again, so a failing run of this test leaves nothing behind.)
    await expect(startTestApp({ dataDir: path.join(dir, 'refused'), env }).then((t) => t.stop())).rejects.toThrow(message);

    const run = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/src/main.js')], {
      env: { PATH: process.env.PATH, ...env, GAPWATCH_DATA_DIR: path.join(dir, 'refused-main'), PORT: '0', AWS_REGION: REGION, AWS_ENDPOINT_URL_ATHENA: athena.url, AWS_ENDPOINT_URL_SFN: embedded.url },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^gapwatch: configuration error: [^\n]+\n$/);
    expect(run.stderr).toMatch(message);

    await lambda.resetForTests();
    process.env.GAPWATCH_CONFIG = config;
    const before = athena.requests.length;
    const window = { dataset: 'ticks', from: '2024-03-05T00:00:00Z', to: '2024-03-06T00:00:00Z' };
    const range = { group: 'AMZN', start: '2024-03-05T13:00:00Z', end: '2024-03-05T14:00:00Z' };
    await expect(lambda.repair({ dataset: 'ticks', range }, {})).rejects.toThrow(ConfigError);
    await expect(lambda.check(window, {})).rejects.toThrow(message);
    expect(athena.requests.length).toBe(before);
  });
});
