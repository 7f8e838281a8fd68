/**
 * With API keys the service's embedded endpoint takes only its own key pair, kept in the data dir: a local
 * process with the SDK (or the AWS CLI) and the dummy credentials that work without keys cannot start, stop
 * or create runs, nor run queries, while the service's own clients and `gapwatch credentials` users can.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AthenaClient, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { CreateStateMachineCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CREDENTIALS_FILE } from '../../src/embedded/credentials';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';
import { awsCli, awsCliAs, describeCli } from './helpers';

const OPERATOR = 'operator-secret-0123456789';
const PIPELINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:gapwatch-pipeline';
const DUMMY = { accessKeyId: 'x', secretAccessKey: 'x' };

/** `gapwatch credentials` as a user runs it: the built bin, in its own process. */
async function printedCredentials(dataDir: string, json = false): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(__dirname, '../../bin/gapwatch.js'), 'credentials', ...(json ? ['--json'] : [])], {
    env: { PATH: process.env.PATH ?? '', GAPWATCH_DATA_DIR: dataDir },
  });
  return stdout;
}

describe('the embedded endpoint of a gapwatch with API keys', () => {
  let t: TestApp;
  const clients: { destroy(): void }[] = [];
  const sfn = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const c = new SFNClient({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const gql = (query: string, variables?: Record<string, unknown>) => t.gql(query, variables, { authorization: `Bearer ${OPERATOR}` });

  beforeAll(async () => {
    t = await startTestApp({ config: STOCK_TICKS_YAML, env: { GAPWATCH_API_KEYS: `ops:operator:${OPERATOR}` } });
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t.stop();
  });

  it('keeps its key pair in the data dir, readable by its owner only, and signs its own calls with it', async () => {
    expect(statSync(path.join(t.dataDir, CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
    const started = await gql(`mutation { startCheck(dataset: "stock_ticks", from: "2024-03-10", to: "2024-03-11") { id } }`);
    expect(started.errors).toBeUndefined();
    let run: any;
    for (let i = 0; i < 300 && run?.status !== 'SUCCEEDED'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await gql(`query ($id: ID!) { run(id: $id) { status error cause } }`, { id: started.data.startCheck.id })).data.run;
    }
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    const gaps = await gql(`{ gaps(dataset: "stock_ticks", from: "2024-03-10", to: "2024-03-11") { status } }`);
    expect(gaps.data.gaps.status).toBe('OK');
  });

  it('refuses a local process with the dummy credentials: no StartExecution, StopExecution, CreateStateMachine or query', async () => {
    const refused = { name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } };
    const local = sfn(DUMMY);
    await expect(local.send(new StartExecutionCommand({ stateMachineArn: PIPELINE, input: '{"dataset":"stock_ticks","from":"1990-01-01T00:00:00Z","to":"1990-01-02T00:00:00Z","mode":"REPAIR","ranges":[]}' }))).rejects.toMatchObject(refused);
    await expect(local.send(new StopExecutionCommand({ executionArn: `${PIPELINE.replace(':stateMachine:', ':execution:')}:any` }))).rejects.toMatchObject(refused);
    await expect(
      local.send(new CreateStateMachineCommand({ name: 'forged', roleArn: 'arn:aws:iam::000000000000:role/r', definition: '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}' })),
    ).rejects.toMatchObject(refused);
    const athena = new AthenaClient({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials: DUMMY, maxAttempts: 1 });
    clients.push(athena);
    await expect(athena.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }))).rejects.toMatchObject(refused);
  });

  it('`gapwatch credentials` prints the pair for people who call the endpoint themselves', async () => {
    const text = await printedCredentials(t.dataDir);
    const value = (name: string) => new RegExp(`^export ${name}='([^']+)'$`, 'm').exec(text)?.[1];
    const pair = { accessKeyId: value('AWS_ACCESS_KEY_ID')!, secretAccessKey: value('AWS_SECRET_ACCESS_KEY')! };
    expect(value('AWS_REGION')).toBe('us-east-1');
    expect(JSON.parse(await printedCredentials(t.dataDir, true))).toMatchObject({ ...pair, region: 'us-east-1' });
    const listed = await sfn(pair).send(new ListExecutionsCommand({ stateMachineArn: PIPELINE }));
    expect(listed.executions!.length).toBeGreaterThanOrEqual(1);
    expect((await sfn(pair).send(new ListStateMachinesCommand({}))).stateMachines!.map((m) => m.name)).toContain('gapwatch-pipeline');
  });

  describeCli('with the AWS CLI', () => {
    it('works with the printed pair and is refused without it', async () => {
      const text = await printedCredentials(t.dataDir);
      const value = (name: string) => new RegExp(`^export ${name}='([^']+)'$`, 'm').exec(text)![1]!;
      const pair = { accessKeyId: value('AWS_ACCESS_KEY_ID'), secretAccessKey: value('AWS_SECRET_ACCESS_KEY') };
      await expect(awsCliAs(pair, t.app.embedded!.url, t.dataDir, 'stepfunctions', 'list-state-machines')).resolves.toMatchObject({
        stateMachines: [expect.objectContaining({ name: 'gapwatch-pipeline' })],
      });
      const err = await awsCli(t.app.embedded!.url, t.dataDir, 'stepfunctions', 'list-state-machines').catch((e: { stderr: string }) => e);
      expect((err as { stderr: string }).stderr).toContain('(UnrecognizedClientException)');
    });
  });
});

describe('the embedded endpoint of a gapwatch without API keys', () => {
  it('keeps taking the dummy credentials (loopback development)', async () => {
    const t = await startTestApp({ config: STOCK_TICKS_YAML });
    const client = new SFNClient({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials: DUMMY, maxAttempts: 1 });
    try {
      expect((await client.send(new ListStateMachinesCommand({}))).stateMachines!.map((m) => m.name)).toStrictEqual(['gapwatch-pipeline']);
    } finally {
      client.destroy();
      await t.stop();
    }
  });
});
