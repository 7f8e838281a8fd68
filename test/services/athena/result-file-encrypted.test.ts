/**
 * A result Athena encrypted on the client side (CSE_KMS) cannot be read from S3 by the service: it must be
 * read with GetQueryResults. The embedded endpoint does no encryption, so Athena's and S3's answers here
 * are canned (the real SDK clients read them): the execution's EncryptionConfiguration, and an object
 * carrying the S3 encryption client's envelope metadata.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { AthenaService } from '../../../src/services/athena/athena.service';
import { ResultFiles, ResultFileUnreadable } from '../../../src/services/athena/result-file';
import { FIRST_PAGE, nextRef } from '../../../src/services/athena/result-pages';
import { ATHENA_DEFAULTS } from '../../../src/services/athena/settings';
import { cannedEndpoint } from '../../support/canned-endpoint';

const CSV = '"n"\n' + Array.from({ length: 1500 }, (_, i) => `"${i}"\n`).join('');

/** An S3 stand-in answering every GET with the CSV above and, when `envelope`, the CSE metadata. */
async function s3Server(envelope: boolean): Promise<{ url: string; gets: number; server: Server }> {
  const state = { url: '', gets: 0, server: undefined as unknown as Server };
  state.server = createServer((req, res) => {
    state.gets++;
    const start = Number(/bytes=(\d+)-/.exec(String(req.headers.range))?.[1] ?? 0);
    const body = Buffer.from(CSV).subarray(start);
    res.writeHead(206, {
      'content-length': body.length,
      'content-range': `bytes ${start}-${CSV.length - 1}/${CSV.length}`,
      etag: '"e"',
      ...(envelope ? { 'x-amz-meta-x-amz-key-v2': 'AQIDAHhWrappedKey==', 'x-amz-meta-x-amz-cek-alg': 'AES/GCM/NoPadding', 'x-amz-meta-x-amz-wrap-alg': 'kms+context' } : {}),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

const s3Client = (url: string) => new S3Client({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, forcePathStyle: true, maxAttempts: 1 });

describe('a client-side encrypted result', () => {
  it('is refused by the file reader when the object carries the encryption client’s envelope', async () => {
    const s3 = await s3Server(true);
    const client = s3Client(s3.url);
    try {
      const files = new ResultFiles(client, { enabled: true });
      const file = files.file('q', () => ({ id: 'q', bucket: 'b', key: 'q.csv', labels: ['n'], firstPageRows: 999 }))!;
      const err = await file.cells(1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResultFileUnreadable);
      expect(err).toMatchObject({ permanent: true, message: 's3://b/q.csv is client-side encrypted (CSE-KMS); the service does not decrypt it' });
      files.close();
    } finally {
      client.destroy();
      s3.server.close();
    }
  });

  it('is read with GetQueryResults when Athena says CSE_KMS, without asking S3, logged once', async () => {
    const athena = cannedEndpoint();
    const s3 = await s3Server(false);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    athena.reply('GetQueryExecution', {
      status: 200,
      body: JSON.stringify({
        QueryExecution: {
          QueryExecutionId: 'q',
          Query: 'SELECT n',
          StatementType: 'DML',
          Status: { State: 'SUCCEEDED' },
          ResultConfiguration: { OutputLocation: 's3://b/q.csv', EncryptionConfiguration: { EncryptionOption: 'CSE_KMS', KmsKey: 'k' } },
        },
      }),
    });
    const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `{"Data":[{"VarCharValue":"${from + i}"}]}`).join(',');
    athena.reply('GetQueryResults', (request) => {
      const meta = '"ResultSetMetadata":{"ColumnInfo":[{"Name":"n","Label":"n","Type":"integer"}]}';
      return request['NextToken'] === undefined
        ? { status: 200, body: `{"UpdateCount":0,"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"n"}]},${rows(0, 999)}],${meta}},"NextToken":"t1"}` }
        : { status: 200, body: `{"UpdateCount":0,"ResultSet":{"Rows":[${rows(999, 1500)}],${meta}}}` };
    });
    const athenaClient = new AthenaClient({ endpoint: await athena.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    const client = s3Client(s3.url);
    const service = new AthenaService(athenaClient, ATHENA_DEFAULTS, undefined, undefined, { client, logger });
    try {
      const first = await service.page('q', FIRST_PAGE);
      const second = await service.page('q', nextRef(first));
      expect(second.values[0]).toStrictEqual([999]);
      expect(second.last).toBe(true);
      expect(s3.gets).toBe(0);
      const warned = lines.map((l) => JSON.parse(l));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ queryExecutionId: 'q', permanent: true, reason: 'the result is client-side encrypted (CSE_KMS); the service does not decrypt it' });
    } finally {
      service.close();
      athenaClient.destroy();
      client.destroy();
      s3.server.close();
      await athena.close();
    }
  });
});
