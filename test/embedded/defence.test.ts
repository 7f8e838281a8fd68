/**
 * Defence in depth on the embedded endpoint (issue 20): a browser page must not reach it even where no
 * preflight would stop it, and an error never echoes a large input back.
 */
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { request } from 'node:http';
import { athenaClient } from './helpers';
import { MACHINE_ARN, startSfn, type SfnHarness } from './stepfunctions/helpers';

let h: SfnHarness;
beforeAll(async () => {
  h = await startSfn();
});
afterAll(async () => {
  await h.stop();
});

function raw(headers: Record<string, string>, body = '{}'): Promise<{ status: number; body: Record<string, unknown>; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(h.endpoint.url, { method: 'POST', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown>, bytes: text.length });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const LIST = { 'X-Amz-Target': 'AWSStepFunctions.ListStateMachines' };

describe('browser requests are refused', () => {
  it.each<Record<string, string>>([
    { Origin: 'https://evil.example' },
    { Origin: 'null' },
    { Origin: 'http://127.0.0.1:4000' },
    { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' },
    { 'Sec-Fetch-Site': 'same-site' },
  ])('refuses %p with 403 AccessDeniedException', async (browser) => {
    const res = await raw({ 'Content-Type': 'application/x-amz-json-1.0', ...LIST, ...browser });
    expect(res.status).toBe(403);
    expect(res.body.__type).toBe('AccessDeniedException');
    expect(String(res.body.message ?? res.body.Message)).toMatch(/browser/);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json', ''])(
    'refuses Content-Type %p with 415 UnsupportedMediaTypeException, before the operation runs',
    async (contentType) => {
      const before = (await h.endpoint.calls()).ListStateMachines ?? 0;
      const res = await raw({ ...(contentType ? { 'Content-Type': contentType } : {}), ...LIST });
      expect(res.status).toBe(415);
      expect(res.body.__type).toBe('UnsupportedMediaTypeException');
      expect((await h.endpoint.calls()).ListStateMachines ?? 0).toBe(before);
    },
  );

  it.each(['application/x-amz-json-1.0', 'application/x-amz-json-1.1', 'application/x-amz-json-1.0; charset=utf-8', 'APPLICATION/X-AMZ-JSON-1.0'])(
    'accepts the AWS JSON content type %p',
    async (contentType) => {
      const res = await raw({ 'Content-Type': contentType, ...LIST });
      expect(res.status).toBe(200);
    },
  );
});

describe('validation errors quote at most a short prefix of the input', () => {
  it('Step Functions: an input over 256 KiB', async () => {
    const input = JSON.stringify({ s: 'x'.repeat(360 * 1024) });
    const err = (await h.client.send(new StartExecutionCommand({ stateMachineArn: MACHINE_ARN, input })).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/^1 validation error detected: Value '\{"s":"x+…' at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144/);
    expect(err.message.length).toBeLessThan(400);
  });

  it('Athena: a QueryString over 256 KiB', async () => {
    const client = athenaClient(h.endpoint.url, 1);
    try {
      const err = (await client.send(new StartQueryExecutionCommand({ QueryString: `SELECT '${'y'.repeat(360 * 1024)}'` })).catch((e: unknown) => e)) as Error;
      expect(err.name).toBe('InvalidRequestException');
      expect(err.message).toMatch(/^1 validation error detected: Value 'SELECT 'y+…' at 'queryString' failed to satisfy constraint/);
      expect(err.message.length).toBeLessThan(400);
    } finally {
      client.destroy();
    }
  });

  it('a raw request: the whole response stays small', async () => {
    const body = JSON.stringify({ stateMachineArn: MACHINE_ARN, input: 'z'.repeat(360 * 1024) });
    const res = await raw({ 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AWSStepFunctions.StartExecution' }, body);
    expect(res.status).toBe(400);
    expect(res.bytes).toBeLessThan(1024);
  });
});
