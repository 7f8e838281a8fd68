/**
 * SigV4 on the embedded endpoint: with keys (what gapwatch sets when it has API keys) every request must be
 * signed by one of them, and refusals read as AWS's JSON-protocol errors. Requests are signed by the real
 * SDK clients and by the SDK's own signer (@smithy/signature-v4), never by the code under test.
 */
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { AthenaClient, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SignatureV4 } from '@smithy/signature-v4';
import { startEmbedded, type EmbeddedEndpoint } from '../../src/embedded/server';
import { sigV4Verifier, UNSIGNED_PAYLOAD, sha256Hex, type KeyPair } from '../../src/embedded/sigv4';
import { awsCli, awsCliAs, describeCli, tempDir } from './helpers';

/** The SDK signer's hash: HMAC when given a secret, SHA-256 otherwise. */
class Sha256 {
  private readonly h;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
}

const KEY: KeyPair = { accessKeyId: 'GWTESTTESTTESTTEST00', secretAccessKey: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNl' };
const MACHINE = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });

const signer = (credentials: KeyPair & { sessionToken?: string }, service = 'states', region = 'us-east-1') =>
  new SignatureV4({ credentials, region, service, sha256: Sha256 as never });

describe('the embedded endpoint with keys verifies SigV4', () => {
  const dir = tempDir();
  let endpoint: EmbeddedEndpoint;
  let url: URL;
  const clients: { destroy(): void }[] = [];
  const sfn = (credentials: KeyPair, region = 'us-east-1'): SFNClient => {
    const c = new SFNClient({ endpoint: endpoint.url, region, credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    endpoint = await startEmbedded({ port: 0, dataDir: dir.path, stepFunctions: { dataDir: dir.path }, auth: { region: 'us-east-1', keys: [KEY] } });
    url = new URL(endpoint.url);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await endpoint.close();
    dir.remove();
  });

  /** POSTs a Step Functions call as signed by `sign` (or unsigned), returning status, error type header and body. */
  async function post(operation: string, body: object, sign?: (req: any) => Promise<any>, tamper?: (req: any) => void) {
    let req: any = {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${operation}` },
      body: JSON.stringify(body),
    };
    if (sign) req = await sign(req);
    tamper?.(req);
    const qs = new URLSearchParams(req.query).toString();
    const res = await fetch(`${endpoint.url}${req.path}${qs ? `?${qs}` : ''}`, { method: 'POST', headers: req.headers, body: req.body });
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as Record<string, string> };
  }

  it('serves a client that signs with the key pair: Step Functions and Athena alike', async () => {
    const out = await sfn(KEY).send(new ListStateMachinesCommand({}));
    expect(out.stateMachines).toStrictEqual([]);
    const athena = new AthenaClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: KEY, maxAttempts: 1 });
    clients.push(athena);
    expect((await athena.send(new ListQueryExecutionsCommand({}))).QueryExecutionIds).toBeDefined();
  });

  it('refuses an unsigned request: MissingAuthenticationTokenException, HTTP 400', async () => {
    const r = await post('ListStateMachines', {});
    expect(r).toStrictEqual({
      status: 400,
      type: 'MissingAuthenticationTokenException',
      body: { __type: 'MissingAuthenticationTokenException', Message: 'Request is missing Authentication Token' },
    });
  });

  it('refuses an unsigned or unknown-key request before reading its body, so unsigned uploads cannot fill its memory', async () => {
    // Headers that declare 8 MiB, and only the first bytes of it sent: the answer comes without the rest.
    const answer = (authorization?: string) =>
      new Promise<{ status: number; type: string | undefined; connection: string | undefined }>((resolve, reject) => {
        const req = request({
          host: url.hostname,
          port: Number(url.port),
          method: 'POST',
          path: '/',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': 'AWSStepFunctions.ListStateMachines',
            'content-length': 8 * 1024 * 1024,
            ...(authorization ? { authorization, 'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, '') } : {}),
          },
        });
        const timer = setTimeout(() => reject(new Error('no answer before the body was sent')), 5_000);
        req.on('response', (res) => {
          clearTimeout(timer);
          res.resume();
          resolve({ status: res.statusCode!, type: res.headers['x-amzn-errortype'] as string | undefined, connection: res.headers.connection });
          req.destroy();
        });
        req.on('error', () => undefined);
        req.write('{"a":"' + 'x'.repeat(1000));
      });
    await expect(answer()).resolves.toStrictEqual({ status: 400, type: 'MissingAuthenticationTokenException', connection: 'close' });
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const unknown = `AWS4-HMAC-SHA256 Credential=x/${day}/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
    await expect(answer(unknown)).resolves.toStrictEqual({ status: 400, type: 'UnrecognizedClientException', connection: 'close' });
    // The endpoint still serves a signed caller afterwards.
    expect((await sfn(KEY).send(new ListStateMachinesCommand({}))).stateMachines).toBeDefined();
  });

  it('refuses a key it does not have (the dummy credentials): UnrecognizedClientException, through the real SDK', async () => {
    const err = await sfn({ accessKeyId: 'x', secretAccessKey: 'x' })
      .send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:any' }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', $metadata: { httpStatusCode: 400 } });
  });

  it('refuses the right key id with the wrong secret, and a body changed after signing: InvalidSignatureException', async () => {
    const err = await sfn({ accessKeyId: KEY.accessKeyId, secretAccessKey: 'not-the-secret-at-all' })
      .send(new ListStateMachinesCommand({}))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } });
    expect((err as Error).message).toMatch(/^The request signature we calculated does not match the signature you provided/);

    const tampered = await post('ListStateMachines', { maxResults: 1 }, (r) => signer(KEY).sign(r), (r) => (r.body = JSON.stringify({ maxResults: 2 })));
    expect(tampered).toMatchObject({ status: 400, type: 'InvalidSignatureException' });
    // A header it signed, changed: the target (what the call does) cannot be swapped under a signature.
    const swapped = await post('ListStateMachines', {}, (r) => signer(KEY).sign(r), (r) => (r.headers['x-amz-target'] = 'AWSStepFunctions.ListExecutions'));
    expect(swapped).toMatchObject({ status: 400, type: 'InvalidSignatureException' });
  });

  it('refuses a credential scoped to another region or service', async () => {
    const region = await sfn(KEY, 'eu-west-1').send(new ListStateMachinesCommand({})).catch((e: unknown) => e);
    expect(region).toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } });
    expect((region as Error).message).toMatch(/^Credential should be scoped to a valid region, not 'eu-west-1'/);
    const service = await post('ListStateMachines', {}, (r) => signer(KEY, 'athena').sign(r));
    expect(service).toMatchObject({ status: 400, type: 'InvalidSignatureException', body: { Message: "Credential should be scoped to correct service: 'states'. " } });
  });

  it('allows 15 minutes of clock skew either way, as AWS, and no more', async () => {
    const at = (offsetMs: number) => (r: any) => signer(KEY).sign(r, { signingDate: new Date(Date.now() + offsetMs) });
    expect((await post('ListStateMachines', {}, at(-14 * 60_000))).status).toBe(200);
    expect((await post('ListStateMachines', {}, at(14 * 60_000))).status).toBe(200);
    const old = await post('ListStateMachines', {}, at(-16 * 60_000));
    expect(old).toMatchObject({ status: 400, type: 'InvalidSignatureException' });
    expect(old.body.Message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const future = await post('ListStateMachines', {}, at(16 * 60_000));
    expect(future).toMatchObject({ status: 400, type: 'InvalidSignatureException' });
    expect(future.body.Message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);
  });

  it('refuses a malformed signature as incomplete, and a session token it never issued', async () => {
    const noSignature = await post('ListStateMachines', {}, async (r) => {
      const signed: any = await signer(KEY).sign(r);
      signed.headers.authorization = signed.headers.authorization.replace(/, Signature=[0-9a-f]+/, '');
      return signed;
    });
    expect(noSignature).toMatchObject({ status: 400, type: 'IncompleteSignatureException' });
    expect(noSignature.body.Message).toMatch(/^Authorization header requires 'Signature' parameter\./);
    const token = await post('ListStateMachines', {}, (r) => signer({ ...KEY, sessionToken: 'a-token' }).sign(r));
    expect(token).toMatchObject({ status: 400, type: 'UnrecognizedClientException' });
  });

  it('accepts presigned query auth, and refuses it once expired', async () => {
    const presign = (expiresIn: number, signingDate = new Date()) => (r: any) =>
      signer(KEY).presign(r, { expiresIn, signingDate, unhoistableHeaders: new Set(['x-amz-target', 'content-type']) });
    const ok = await post('ListStateMachines', {}, presign(60));
    expect(ok.status).toBe(200);
    const expired = await post('ListStateMachines', {}, presign(60, new Date(Date.now() - 120_000)));
    expect(expired).toMatchObject({ status: 400, type: 'InvalidSignatureException' });
    expect(expired.body.Message).toMatch(/^Request has expired/);
  });

  describeCli('the AWS CLI', () => {
    it('works with the key pair and is refused with dummy credentials', async () => {
      await expect(awsCliAs(KEY, endpoint.url, dir.path, 'stepfunctions', 'list-state-machines')).resolves.toMatchObject({ stateMachines: expect.any(Array) });
      const err = await awsCli(endpoint.url, dir.path, 'stepfunctions', 'list-state-machines').catch((e: { stderr: string }) => e);
      expect((err as { stderr: string }).stderr.trim()).toBe(
        'An error occurred (UnrecognizedClientException) when calling the ListStateMachines operation: The security token included in the request is invalid.',
      );
    });
  });

  it('creates machines only for a signed caller', async () => {
    const created = await post(
      'CreateStateMachine',
      { name: 'mine', definition: MACHINE, roleArn: 'arn:aws:iam::000000000000:role/r' },
      (r) => signer(KEY).sign(r),
    );
    expect(created.status).toBe(200);
    const forged = await post('CreateStateMachine', { name: 'forged', definition: MACHINE, roleArn: 'arn:aws:iam::000000000000:role/r' }, (r) =>
      signer({ accessKeyId: 'x', secretAccessKey: 'x' }).sign(r),
    );
    expect(forged).toMatchObject({ status: 400, type: 'UnrecognizedClientException' });
  });
});

describe('the SigV4 verifier on its own', () => {
  it("agrees with AWS's published test vector (get-vanilla)", () => {
    const verifier = sigV4Verifier({
      region: 'us-east-1',
      service: 'service',
      keys: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }],
      now: () => Date.UTC(2015, 7, 30, 12, 36, 0),
    });
    const request = (signature: string) => ({
      method: 'GET',
      url: '/',
      rawHeaders: [
        'Host',
        'example.amazonaws.com',
        'X-Amz-Date',
        '20150830T123600Z',
        'Authorization',
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
      ],
      payloadHash: sha256Hex(''),
    });
    expect(verifier.verify(request('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'))).toStrictEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
    expect(verifier.verify(request('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30'))).toMatchObject({ ok: false, failure: { kind: 'mismatch' } });
  });

  it('verifies an S3 presigned GET (path signed as sent, query sorted, unsigned payload) for the S3 route to come', async () => {
    const now = Date.now();
    const verifier = sigV4Verifier({ region: 'us-east-1', service: 's3', keys: [KEY], now: () => now });
    const s3 = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 's3', sha256: Sha256 as never, uriEscapePath: false, applyChecksum: false });
    const presigned = await s3.presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 4566,
        path: '/bucket/a%20key/with%2Bplus',
        query: { 'response-content-type': 'text/plain', 'list-type': '2' },
        headers: { host: '127.0.0.1:4566', 'x-amz-content-sha256': UNSIGNED_PAYLOAD },
      } as never,
      { expiresIn: 300, signingDate: new Date(now) },
    );
    const qs = Object.entries(presigned.query as Record<string, string>)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    const verify = (url: string) => verifier.verify({ method: 'GET', url, rawHeaders: ['Host', '127.0.0.1:4566'], payloadHash: UNSIGNED_PAYLOAD });
    expect(verify(`${presigned.path}?${qs}`)).toStrictEqual({ ok: true, accessKeyId: KEY.accessKeyId });
    expect(verify(`/bucket/another?${qs}`)).toMatchObject({ ok: false, failure: { kind: 'mismatch' } });
    expect(verify(`${presigned.path}?${qs.replace('list-type=2', 'list-type=1')}`)).toMatchObject({ ok: false, failure: { kind: 'mismatch' } });
    expect(verify(`${presigned.path}?${qs.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=0')}`)).toMatchObject({ ok: false, failure: { kind: 'incomplete' } });
  });
});

