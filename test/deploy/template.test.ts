import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import validate from 'asl-validator';
import { parse } from 'yaml';
import { startEmbedded, type EmbeddedEndpoint } from '../../src/embedded/server';
import * as lambda from '../../src/lambda';
import { TASKS } from '../../src/services/pipeline/definition';
import { STOCK_TICKS_YAML, WITHOUT_SAMPLE_REPAIR } from '../support/config';

const ROOT = path.resolve(__dirname, '../..');
const TEMPLATE_FILE = path.join(ROOT, 'deploy/template.yaml');
const template = parse(readFileSync(TEMPLATE_FILE, 'utf8')) as { Resources: Record<string, { Type: string; Properties: any }>; Globals: any; Outputs: any };
const resources = Object.entries(template.Resources);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

/** What CloudFormation would put for an `Fn::GetAtt [Logical, Arn]` of a function (the account is made up). */
function render(value: unknown): string {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (!getAtt || getAtt[1] !== 'Arn') throw new Error(`unexpected substitution value ${JSON.stringify(value)}`);
  const fn = template.Resources[getAtt[0]];
  if (fn?.Type !== 'AWS::Serverless::Function') throw new Error(`${getAtt[0]} is not a function of the template`);
  return `arn:aws:lambda:eu-west-1:123456789012:function:${fn.Properties.FunctionName}`;
}

describe('deploy/template.yaml', () => {
  it('deploys the repository\'s ASL file with every Task resource substituted, as valid ASL', () => {
    const machines = ofType('AWS::Serverless::StateMachine');
    expect(machines).toHaveLength(1);
    const machine = machines[0]![1];
    const file = path.resolve(path.dirname(TEMPLATE_FILE), machine.Properties.DefinitionUri);
    expect(file).toBe(path.join(ROOT, 'src/services/pipeline/pipeline.asl.json'));
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
    const rendered = readFileSync(file, 'utf8').replace(/\$\{(\w+)\}/g, (whole, key: string) => (key in substitutions ? render(substitutions[key]) : whole));
    expect(rendered).not.toMatch(/\$\{\w+\}/);
    const definition = JSON.parse(rendered);
    const result = validate(definition);
    expect(result.errorsText('\n')).toBe('');
    expect(machine.Properties.Name).toBe('gapwatch-pipeline');
  });

  it('has one function per Task whose handler is an export of the Lambda entry, in the folder build:lambda writes', () => {
    const functions = ofType('AWS::Serverless::Function');
    expect(functions.map(([, f]) => f.Properties.Handler).sort()).toStrictEqual(TASKS.map((t) => `index.${t}`).sort());
    // CodeUri is the package folder scripts/build-lambda.js writes by default (index.js: src/lambda.ts bundled).
    expect(path.resolve(path.dirname(TEMPLATE_FILE), template.Globals.Function.CodeUri)).toBe(path.join(ROOT, 'dist/lambda'));
    expect(readFileSync(path.join(ROOT, 'scripts/build-lambda.js'), 'utf8')).toContain("outdir = path.join(ROOT, 'dist/lambda')");
    for (const [, f] of functions) {
      const [file, name] = f.Properties.Handler.split('.') as [string, string];
      expect(file).toBe('index');
      expect(typeof (lambda as Record<string, unknown>)[name]).toBe('function');
      // Step Functions' Task timeout fires first: the function outlives it.
      expect(f.Properties.Timeout).toBeGreaterThan(0);
    }
  });

  it('grants the Task role Athena, S3 results and Glue catalog read, and the state machine only its functions', () => {
    const text = JSON.stringify(template.Resources.TaskRole);
    for (const action of ['athena:StartQueryExecution', 'athena:GetQueryResults', 's3:GetObject', 's3:PutObject', 'glue:GetTable', 'glue:GetPartitions']) {
      expect(text).toContain(action);
    }
    const machineRole = template.Resources.StateMachineRole!.Properties.Policies[0].PolicyDocument.Statement[0];
    expect(machineRole.Action).toBe('lambda:InvokeFunction');
    expect(machineRole.Resource.map((r: unknown) => render(r)).sort()).toStrictEqual(TASKS.map((t) => `arn:aws:lambda:eu-west-1:123456789012:function:gapwatch-${t}`).sort());
    expect(template.Outputs.StateMachineArn.Value).toStrictEqual({ Ref: 'PipelineStateMachine' });
  });

  it('grants the service s3:GetObject on the Athena results prefix, and nothing else in S3', () => {
    const statements = template.Resources.ServicePolicy!.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    const s3 = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('s3:')));
    expect(s3).toStrictEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${AthenaResultsBucket}/${AthenaResultsPrefix}*' } },
    ]);
    const prefix = (template as unknown as { Parameters: Record<string, { AllowedPattern: string; Default: string }> }).Parameters.AthenaResultsPrefix!;
    const pattern = new RegExp(prefix.AllowedPattern);
    expect(['', 'results/', 'athena/results/'].every((p) => pattern.test(p))).toBe(true);
    // A prefix must end at a folder: `results` would also grant `results-of-others/…`.
    expect(['results', '/results/', '*'].some((p) => pattern.test(p))).toBe(false);
    expect(prefix.Default).toBe('');
  });
});

describe('the Lambda entries, invoked as Lambda does, against the embedded Athena', () => {
  let dir: string;
  let embedded: EmbeddedEndpoint;
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-lambda-'));
    embedded = await startEmbedded({ port: 0, dataDir: path.join(dir, 'embedded') });
    // On AWS a dataset names its own repair (the embedded sample repair is refused there): a module here.
    writeFileSync(path.join(dir, 'repair.js'), 'exports.repair = async (range) => ({ filled: range.group });\n');
    writeFileSync(path.join(dir, 'gapwatch.config.yaml'), WITHOUT_SAMPLE_REPAIR(STOCK_TICKS_YAML).replace('    schedule: 1h\n', '    repair: ./repair.js\n'));
    // A Lambda's environment: the template's variables, and the SDK's own configuration pointing at the embedded endpoint.
    Object.assign(process.env, {
      GAPWATCH_CONFIG: path.join(dir, 'gapwatch.config.yaml'),
      GAPWATCH_DATA_DIR: path.join(dir, 'lambda-tmp'),
      GAPWATCH_LOG_LEVEL: 'silent',
      AWS_ENDPOINT_URL_ATHENA: embedded.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'lambda',
      AWS_SECRET_ACCESS_KEY: 'lambda',
    });
  });
  afterAll(async () => {
    await lambda.resetForTests();
    await embedded.close();
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  const context = { getRemainingTimeInMillis: () => 60_000 };
  const range = { group: 'GOOG', start: '2024-03-07T02:00:00.000Z', end: '2024-03-07T04:00:00.000Z', kind: 'MISSING' };
  const window = { dataset: 'stock_ticks', from: '2024-03-07T00:00:00Z', to: '2024-03-08T00:00:00Z' };

  it('check, repair, validate and initiate each answer a Task-shaped event', async () => {
    await expect(lambda.check(window, context)).resolves.toMatchObject({ status: 'GAPS', ranges: [range] });
    const repaired = await lambda.repair({ dataset: 'stock_ticks', range }, context);
    expect(repaired).toStrictEqual({ range, result: { filled: 'GOOG' } });
    // The module wrote nothing, so the re-check still finds the range.
    await expect(lambda.validate({ ...window, repaired: [repaired] }, context)).resolves.toMatchObject({ status: 'GAPS', remaining: [range] });
    const runId = 'arn:aws:states:us-east-1:123456789012:execution:gapwatch-pipeline:run-1';
    await expect(lambda.initiate({ ...window, runId }, context)).resolves.toMatchObject({ dataset: 'stock_ticks', runId });
    // The Athena calls went to the embedded endpoint through the SDK's own configuration.
    expect((await embedded.calls()).StartQueryExecution).toBeGreaterThan(0);
  });

  it('fails with the Task error name Lambda reports as errorType', async () => {
    await expect(lambda.check({ ...window, dataset: 'missing' }, context)).rejects.toMatchObject({ name: 'gapwatch.InvalidInput' });
  });
});
