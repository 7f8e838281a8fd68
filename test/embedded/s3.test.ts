/**
 * Results in S3, as Athena writes them (issue 22): each SUCCEEDED execution's `<id>.csv` (or `.txt`) and
 * `.metadata` under its OutputLocation, read through the real @aws-sdk/client-s3 against the embedded
 * endpoint's S3 API, path-style and virtual-hosted.
 */
import { GetQueryResultsCommand } from '@aws-sdk/client-athena';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { AthenaClient } from '@aws-sdk/client-athena';
import { Agent, request } from 'node:http';
import { csvLine } from '../../src/services/athena/csv';
import { numbers, resultRows, runQuery, SLOW_QUERY, startHarness, waitForState, type Harness } from './helpers';
import { StartQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';

const BUCKET = 'gapwatch-embedded';

let h: Harness;
let s3: S3Client;
beforeAll(async () => {
  h = await startHarness();
  s3 = s3Client(h.endpoint.url);
});
afterAll(async () => {
  s3.destroy();
  await h.stop();
});

function s3Client(endpoint: string, options: { forcePathStyle?: boolean; agent?: Agent } = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    forcePathStyle: options.forcePathStyle ?? true,
    maxAttempts: 1,
    ...(options.agent ? { requestHandler: new NodeHttpHandler({ httpAgent: options.agent }) } : {}),
  });
}

const text = async (out: GetObjectCommandOutput): Promise<string> => out.Body!.transformToString();
const bytes = async (out: GetObjectCommandOutput): Promise<Buffer> => Buffer.from(await out.Body!.transformToByteArray());

async function s3Error(p: Promise<unknown>): Promise<S3ServiceException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(S3ServiceException);
  return err as S3ServiceException;
}

/** The raw HTTP answer, for what the SDK does not show (an error's XML body). */
function raw(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return rawAt(h.endpoint.url, path, method, headers);
}

function rawAt(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const key = (id: string, ext = 'csv'): string => `results/${id}.${ext}`;

const athenaClientFor = (endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): AthenaClient =>
  new AthenaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

describe('result files in S3', () => {
  let id: string;
  let csv: string;
  beforeAll(async () => {
    id = (
      await runQuery(
        h.client,
        `SELECT n, CASE WHEN n % 2 = 0 THEN NULL ELSE 'say "hi"' END AS o, '' AS e, 'two' || chr(10) || 'lines' AS l FROM ${numbers(4)} ORDER BY n`,
      )
    ).id;
    csv = '"n","o","e","l"\n' + '"0",,"","two\nlines"\n' + '"1","say ""hi""","","two\nlines"\n' + '"2",,"","two\nlines"\n' + '"3","say ""hi""","","two\nlines"\n';
  });

  it('GetObject serves <id>.csv in Athena’s format: a header line, every value quoted, NULL an empty field', async () => {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id) }));
    expect(await text(out)).toBe(csv);
    expect(out.ContentLength).toBe(Buffer.byteLength(csv));
    expect(out.ETag).toBe(`"${createHash('md5').update(csv).digest('hex')}"`);
    expect(out.ContentType).toBe('text/csv');
    expect(out.AcceptRanges).toBe('bytes');
    expect(out.LastModified).toBeInstanceOf(Date);
  });

  it('holds exactly the cells GetQueryResults sends, for values of every kind', async () => {
    const q = await runQuery(
      h.client,
      `SELECT CAST(1 AS TINYINT) AS t, CAST(2 AS SMALLINT) AS s, 3 AS i, 9007199254740993 AS b, CAST(1.5 AS REAL) AS r,
              CAST(0.1 AS DOUBLE) AS d, CAST(12.34 AS DECIMAL(10,4)) AS dc, true AS bo, 'x,y' AS v, DATE '2024-03-05' AS da,
              TIMESTAMP '2024-03-05 13:00:00.123' AS ts, X'0102' AS vb, ARRAY[1, NULL] AS a, MAP(ARRAY['k'], ARRAY[1]) AS m,
              CAST(ROW(1, 'z') AS ROW(x INTEGER, y VARCHAR)) AS ro, NULL AS nu, INTERVAL '2' DAY AS iv, JSON '{"a":1}' AS j`,
    );
    const rows = await resultRows(h.client, q.id);
    const out = await text(await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(q.id) })));
    expect(out).toBe(rows.map((r) => csvLine(r.map((c) => c ?? null))).join(''));
  });

  it('serves one byte range (start-end, start-, the last n bytes) and refuses one past the end', async () => {
    const full = Buffer.from(csv);
    const part = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), Range: 'bytes=4-9' }));
    expect(await bytes(part)).toStrictEqual(full.subarray(4, 10));
    expect(part.ContentRange).toBe(`bytes 4-9/${full.length}`);
    expect(part.$metadata.httpStatusCode).toBe(206);
    expect(await bytes(await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), Range: 'bytes=20-' })))).toStrictEqual(full.subarray(20));
    expect(await bytes(await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), Range: 'bytes=-7' })))).toStrictEqual(full.subarray(full.length - 7));
    const beyond = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), Range: `bytes=${full.length - 3}-999999` }));
    expect(await bytes(beyond)).toStrictEqual(full.subarray(full.length - 3));
    const err = await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), Range: `bytes=${full.length}-` })));
    expect(err.name).toBe('InvalidRange');
    expect(err.$metadata.httpStatusCode).toBe(416);
    // A Range S3 does not take (several ranges, another unit) is ignored: the whole object.
    expect((await raw(`/${BUCKET}/${key(id)}`, 'GET', { range: 'bytes=0-1,4-5' })).body).toBe(csv);
  });

  it('HeadObject answers the size, ETag and type without the body', async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key(id) }));
    expect(head.ContentLength).toBe(Buffer.byteLength(csv));
    expect(head.ETag).toBe(`"${createHash('md5').update(csv).digest('hex')}"`);
    expect((await s3Error(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'results/nope.csv' })))).name).toBe('NotFound');
  });

  it('honours If-Match and If-None-Match', async () => {
    const { ETag } = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key(id) }));
    expect(await text(await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), IfMatch: ETag })))).toBe(csv);
    expect((await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), IfMatch: '"0"' })))).name).toBe('PreconditionFailed');
    expect((await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id), IfNoneMatch: ETag })))).$metadata.httpStatusCode).toBe(304);
  });

  it('serves <id>.csv.metadata: the columns in Athena’s binary form', async () => {
    const meta = await bytes(await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${key(id)}.metadata` })));
    // Field 1 the engine's query id, then a field 4 per column holding catalog, name, label and type.
    expect(meta[0]).toBe(0x0a);
    const latin = meta.toString('latin1');
    for (const name of ['n', 'o', 'e', 'l']) expect(latin).toContain(`\u0022\u0001${name}\u002a\u0001${name}`);
    expect(latin).toContain('\u0032\u0006bigint');
    expect(latin).toContain('\u0032\u0007varchar');
  });

  it('answers NoSuchKey and NoSuchBucket in S3’s XML, and no object for a query that has not succeeded', async () => {
    const missing = await raw(`/${BUCKET}/results/nope.csv`);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/xml');
    expect(missing.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>results\/nope.csv<\/Key><RequestId>[^<]+<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
    expect(missing.headers['x-amz-request-id']).toBeDefined();
    const bucket = await s3Error(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x.csv' })));
    expect(bucket.name).toBe('NoSuchBucket');
    expect(bucket.message).toBe('The specified bucket does not exist');
    expect((await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'results/nope.csv' })))).name).toBe('NoSuchKey');

    const failed = await runQuery(h.client, 'SELECT 1 / 0');
    expect((await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(failed.id) })))).name).toBe('NoSuchKey');
    const slow = await h.client.send(new StartQueryExecutionCommand({ QueryString: SLOW_QUERY }));
    await waitForState(h.client, slow.QueryExecutionId!, ['RUNNING']);
    expect((await s3Error(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(slow.QueryExecutionId!) })))).name).toBe('NoSuchKey');
    await h.client.send(new StopQueryExecutionCommand({ QueryExecutionId: slow.QueryExecutionId }));
  });

  it('is read-only, and refuses what it does not serve rather than answer it empty', async () => {
    const put = await s3Error(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'results/x.csv', Body: 'x' })));
    expect(put.name).toBe('AccessDenied');
    expect(put.$metadata.httpStatusCode).toBe(403);
    const acl = await raw(`/${BUCKET}/${key(id)}?acl`);
    expect(acl.status).toBe(501);
    expect(acl.body).toContain('<Code>NotImplemented</Code>');
    expect((await raw(`/${BUCKET}?versioning`)).status).toBe(501);
  });

  it('answers only loopback host names, in S3’s form', async () => {
    const res = await raw(`/${BUCKET}/${key(id)}`, 'GET', { host: 'evil.example:80' });
    expect(res.status).toBe(403);
    expect(res.body).toContain('<Code>AccessDenied</Code>');
  });
});

describe('DDL, UTILITY and statements without rows', () => {
  it('writes a DDL or UTILITY result as <id>.txt: the cells of each row joined by tabs, no header, no quotes', async () => {
    const { id, execution } = await runQuery(h.client, 'DESCRIBE market.ticks');
    expect(execution.ResultConfiguration!.OutputLocation).toBe(`s3://${BUCKET}/results/${id}.txt`);
    const rows = await resultRows(h.client, id);
    const txt = await text(await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id, 'txt') })));
    expect(txt).toBe(rows.map((r) => r.map((c) => c ?? '').join('\t') + '\n').join(''));
    // Hive's DESCRIBE pads each field to 20 characters (docs/embedded-athena.md).
    expect(txt.split('\n')[0]!.split('\t')[0]).toBe('symbol              ');
    const range = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id, 'txt'), Range: 'bytes=3-12' }));
    expect(await text(range)).toBe(txt.slice(3, 13));
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key(id, 'txt') }))).ContentLength).toBe(Buffer.byteLength(txt));
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${key(id, 'txt')}.metadata` }))).ContentLength).toBeGreaterThan(0);
  });

  it('has an empty object for a statement that returns no rows (CREATE, INSERT)', async () => {
    const ddl = await runQuery(h.client, 'CREATE TABLE s3_scratch (a INTEGER)');
    const ins = await runQuery(h.client, 'INSERT INTO s3_scratch VALUES (1), (2)');
    expect((await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: ins.id }))).UpdateCount).toBe(2);
    for (const [q, ext] of [
      [ddl, 'txt'],
      [ins, 'csv'],
    ] as const) {
      const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(q.id, ext) }));
      expect(await text(out)).toBe('');
      expect(out.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    }
  });
});

describe('ListObjectsV2, ListObjects, ListBuckets, HeadBucket', () => {
  const LISTED = 'listed-bucket';
  let ids: string[];
  beforeAll(async () => {
    ids = [];
    for (const [i, prefix] of ['a/', 'a/', 'b/'].entries()) {
      ids.push((await runQuery(h.client, `SELECT ${i}`, { ResultConfiguration: { OutputLocation: `s3://${LISTED}/${prefix}` } })).id);
    }
  });

  const all = (): string[] =>
    [`a/${ids[0]}.csv`, `a/${ids[0]}.csv.metadata`, `a/${ids[1]}.csv`, `a/${ids[1]}.csv.metadata`, `b/${ids[2]}.csv`, `b/${ids[2]}.csv.metadata`].sort();

  it('lists every result and metadata object of a bucket in key order, with size and ETag', async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: LISTED }));
    expect(out.Contents!.map((c) => c.Key)).toStrictEqual(all());
    expect(out.KeyCount).toBe(6);
    expect(out.IsTruncated).toBe(false);
    const csv = out.Contents!.find((c) => c.Key === `a/${ids[0]}.csv`)!;
    const obj = await s3.send(new GetObjectCommand({ Bucket: LISTED, Key: csv.Key }));
    expect(await text(obj)).toBe('"_col0"\n"0"\n');
    expect(csv.Size).toBe(12);
    expect(csv.ETag).toBe(obj.ETag);
    expect(csv.StorageClass).toBe('STANDARD');
  });

  it('filters by prefix, groups by delimiter, pages by max-keys with continuation tokens, starts after a key', async () => {
    expect((await s3.send(new ListObjectsV2Command({ Bucket: LISTED, Prefix: 'b/' }))).Contents!.map((c) => c.Key)).toStrictEqual(all().filter((k) => k.startsWith('b/')));
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: LISTED, Delimiter: '/' }));
    expect(grouped.CommonPrefixes!.map((p) => p.Prefix)).toStrictEqual(['a/', 'b/']);
    expect(grouped.Contents).toBeUndefined();
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: LISTED, MaxKeys: 4, ContinuationToken: token }));
      expect(page.KeyCount).toBeLessThanOrEqual(4);
      seen.push(...page.Contents!.map((c) => c.Key!));
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
    } while (token);
    expect(seen).toStrictEqual(all());
    expect((await s3.send(new ListObjectsV2Command({ Bucket: LISTED, StartAfter: all()[3] }))).Contents!.map((c) => c.Key)).toStrictEqual(all().slice(4));
    const v1 = await s3.send(new ListObjectsCommand({ Bucket: LISTED, Marker: all()[1], MaxKeys: 2 }));
    expect(v1.Contents!.map((c) => c.Key)).toStrictEqual(all().slice(2, 4));
    expect(v1.IsTruncated).toBe(true);
  });

  it('refuses a bad max-keys or continuation token, and lists no bucket that is not there', async () => {
    expect((await raw(`/${LISTED}?list-type=2&max-keys=-1`)).body).toContain('<Code>InvalidArgument</Code>');
    expect((await s3Error(s3.send(new ListObjectsV2Command({ Bucket: LISTED, ContinuationToken: 'garbage' })))).name).toBe('InvalidArgument');
    expect((await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).name).toBe('NoSuchBucket');
    expect((await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })))).$metadata.httpStatusCode).toBe(404);
    expect((await s3.send(new HeadBucketCommand({ Bucket: LISTED }))).$metadata.httpStatusCode).toBe(200);
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name);
    expect(buckets).toEqual(expect.arrayContaining([BUCKET, LISTED]));
  });
});

describe('OutputLocation', () => {
  it('must be an S3 location the results can be served from', async () => {
    for (const location of ['results/', 'https://bucket/x/', 's3://Bad_Bucket/x/', 's3://b/x/', 's3://bucket/a\nb/']) {
      const err = await h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', ResultConfiguration: { OutputLocation: location } })).catch((e: Error) => e);
      expect(err).toMatchObject({ name: 'InvalidRequestException', message: expect.stringContaining('is not an S3 location') });
    }
  });
});

describe('virtual-hosted addressing', () => {
  it('reads <bucket>.localhost the same as the path-style form', async () => {
    // `<bucket>.localhost` is loopback by definition (RFC 6761); this resolver says so where the system's does not.
    const agent = new Agent({
      lookup: (hostname, options, callback) => {
        const cb = callback as unknown as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
        if (options.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
        else cb(null, '127.0.0.1', 4);
      },
    });
    const port = new URL(h.endpoint.url).port;
    const virtual = s3Client(`http://localhost:${port}`, { forcePathStyle: false, agent });
    try {
      const { id } = await runQuery(h.client, "SELECT 'v' AS x");
      const out = await virtual.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id) }));
      expect(await text(out)).toBe('"x"\n"v"\n');
      const listed = await virtual.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key(id) }));
      expect(listed.Contents!.map((c) => c.Key)).toStrictEqual([key(id), `${key(id)}.metadata`]);
      expect((await s3Error(virtual.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'results/nope.csv' })))).name).toBe('NoSuchKey');
    } finally {
      virtual.destroy();
      agent.destroy();
    }
  });
});

describe('with keys: the same SigV4 verification as every other request', () => {
  const KEY = { accessKeyId: 'GWS3TESTTESTTEST0000', secretAccessKey: 'czMtc2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' };
  let signed: Harness;
  beforeAll(async () => {
    signed = await startHarness({ auth: { region: 'us-east-1', keys: [KEY] } });
  });
  afterAll(async () => {
    await signed.stop();
  });

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

  it('serves a request signed with the endpoint’s key, header or presigned, and refuses the rest in S3’s terms', async () => {
    const athena = athenaClientFor(signed.endpoint.url, KEY);
    const good = new S3Client({ endpoint: signed.endpoint.url, region: 'us-east-1', credentials: KEY, forcePathStyle: true, maxAttempts: 1 });
    const unknown = new S3Client({ endpoint: signed.endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, forcePathStyle: true, maxAttempts: 1 });
    const wrongSecret = new S3Client({ endpoint: signed.endpoint.url, region: 'us-east-1', credentials: { ...KEY, secretAccessKey: 'wrong' }, forcePathStyle: true, maxAttempts: 1 });
    try {
      const { id } = await runQuery(athena, "SELECT 'signed' AS s");
      expect(await text(await good.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id) })))).toBe('"s"\n"signed"\n');
      expect((await s3Error(unknown.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id) })))).name).toBe('InvalidAccessKeyId');
      expect((await s3Error(wrongSecret.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(id) })))).name).toBe('SignatureDoesNotMatch');
      const url = new URL(signed.endpoint.url);
      const plain = await rawAt(signed.endpoint.url, `/${BUCKET}/${key(id)}`);
      expect(plain.status).toBe(403);
      expect(plain.body).toContain('<Code>AccessDenied</Code>');

      // As S3's presigners make them: the payload is not signed.
      const presign = async (expiresIn: number, signingDate = new Date()): Promise<string> => {
        const signer = new SignatureV4({ credentials: KEY, region: 'us-east-1', service: 's3', sha256: Sha256 as never, uriEscapePath: false, applyChecksum: false });
        const p = await signer.presign(
          { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: `/${BUCKET}/${key(id)}`, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } } as never,
          { expiresIn, signingDate },
        );
        return `${p.path}?${new URLSearchParams(p.query as Record<string, string>).toString()}`;
      };
      const presigned = await rawAt(signed.endpoint.url, await presign(60));
      expect(presigned.status).toBe(200);
      expect(presigned.body).toBe('"s"\n"signed"\n');
      const expired = await rawAt(signed.endpoint.url, await presign(60, new Date(Date.now() - 120_000)));
      expect(expired.status).toBe(403);
      expect(expired.body).toContain('<Message>Request has expired</Message>');
    } finally {
      athena.destroy();
      for (const c of [good, unknown, wrongSecret]) c.destroy();
    }
  });
});
