/**
 * The S3 REST API, read-only, over whatever an ObjectSource holds (the embedded Athena's result files:
 * athena/result-objects.ts). S3 is not an AWS JSON protocol: an operation is a method on a path, the bucket
 * is the first path segment (path-style, `http://127.0.0.1:4566/bucket/key`) or the first labels of the
 * host name (virtual-hosted, `http://bucket.localhost:4566/key`), and answers and errors are XML.
 *
 * Served: GetObject (one byte range, `If-Match`/`If-None-Match`/`If-Modified-Since`/`If-Unmodified-Since`,
 * `response-*` header overrides), HeadObject, HeadBucket, ListObjectsV2, ListObjects and ListBuckets. Every
 * other method is refused (AccessDenied: nothing here can be written) and every other sub-resource
 * answers NotImplemented, so a client never takes a missing feature for an empty answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { hostId, invalidArgument, noSuchBucket, noSuchKey, S3Error } from './errors';
import { element, xmlDate } from './xml';

/** What a listing shows of an object, and what GetObject's headers say. */
export interface S3ObjectInfo {
  key: string;
  size: number;
  /** MD5 of the content, hex: the ETag of an object uploaded whole. */
  md5: string;
  /** Epoch ms. */
  lastModified: number;
  contentType: string;
}

/** An object held open for reading; `release` lets the source drop it again (eviction waits meanwhile). */
export interface OpenedObject extends S3ObjectInfo {
  /** Bytes [start, end] (inclusive, as HTTP ranges are), streamed. */
  read(start: number, end: number): Readable;
  release(): void;
}

export interface ObjectSource {
  bucketExists(bucket: string): boolean;
  buckets(): { name: string; created: number }[];
  /** Every object of the bucket, in any order. */
  list(bucket: string): S3ObjectInfo[];
  open(bucket: string, key: string): Promise<OpenedObject | undefined>;
}

export type S3Operation = 'GetObject' | 'HeadObject' | 'HeadBucket' | 'ListObjectsV2' | 'ListObjects' | 'ListBuckets';

export interface S3Call {
  operation: S3Operation;
  bucket: string;
  key: string;
  query: URLSearchParams;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const OWNER = { ID: '0000000000000000000000000000000000000000000000000000000000000000', DisplayName: 'gapwatch-embedded' };
const MAX_KEY_BYTES = 1024;
const MAX_KEYS = 1000;

/** Sub-resources of a bucket or object that S3 serves and this endpoint does not. */
const BUCKET_SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'encryption', 'intelligent-tiering', 'inventory', 'lifecycle', 'location',
  'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'policy', 'policyStatus',
  'publicAccessBlock', 'replication', 'requestPayment', 'tagging', 'uploads', 'versioning', 'versions', 'website',
  'metadataTable', 'session',
]);
const OBJECT_SUBRESOURCES = new Set(['acl', 'attributes', 'legal-hold', 'restore', 'retention', 'select', 'tagging', 'torrent', 'uploadId', 'uploads']);

/** The response headers a GetObject request may override with `response-<header>` parameters. */
const RESPONSE_OVERRIDES = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'content-type', 'expires'] as const;

/** Whether a request is S3's: AWS JSON requests are a POST to `/` with `X-Amz-Target`; S3's never are. */
export function isS3Request(req: IncomingMessage): boolean {
  if (req.headers['x-amz-target'] !== undefined) return false;
  return !(req.method === 'POST' && (req.url === '/' || req.url?.startsWith('/?')));
}

const notImplemented = (what: string): S3Error =>
  new S3Error(
    'NotImplemented',
    `The embedded S3 endpoint does not implement ${what}; it serves GetObject, HeadObject, HeadBucket, ListObjectsV2, ListObjects and ListBuckets`,
    501,
  );

function decodePath(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400, { URI: text.slice(0, 1024) });
  }
}

/**
 * The operation a request asks for, with its bucket and key. `host` is the Host header: a name under
 * `.localhost` addresses its first labels as the bucket (virtual-hosted style), any other loopback name
 * takes the bucket from the path.
 */
export function resolveS3(req: IncomingMessage): S3Call {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  let bucket: string;
  let key: string;
  if (host.endsWith('.localhost')) {
    bucket = host.slice(0, -'.localhost'.length);
    key = decodePath(rawPath.slice(1));
  } else {
    const slash = rawPath.indexOf('/', 1);
    bucket = decodePath(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
    key = slash < 0 ? '' : decodePath(rawPath.slice(slash + 1));
  }
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    throw new S3Error('AccessDenied', `Access Denied: the embedded S3 endpoint serves Athena's result files read-only (${method} is not allowed)`, 403);
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', 'Your key is too long', 400, { MaxSizeAllowed: String(MAX_KEY_BYTES) });
  if (bucket === '') {
    if (method === 'HEAD') throw notImplemented('HEAD on the service');
    return { operation: 'ListBuckets', bucket, key, query };
  }
  if (key === '') {
    for (const name of query.keys()) if (BUCKET_SUBRESOURCES.has(name)) throw notImplemented(`the bucket sub-resource '${name}'`);
    if (method === 'HEAD') return { operation: 'HeadBucket', bucket, key, query };
    return { operation: query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', bucket, key, query };
  }
  for (const name of query.keys()) if (OBJECT_SUBRESOURCES.has(name)) throw notImplemented(`the object sub-resource '${name}'`);
  return { operation: method === 'HEAD' ? 'HeadObject' : 'GetObject', bucket, key, query };
}

function baseHeaders(requestId: string): Record<string, string | number> {
  return { 'x-amz-request-id': requestId, 'x-amz-id-2': hostId(requestId), Date: new Date().toUTCString() };
}

/** Answers an S3 error: XML for GET, the status alone for HEAD (a HEAD response has no body). */
export function sendS3Error(res: ServerResponse, err: S3Error, requestId: string, head: boolean): void {
  const headers = baseHeaders(requestId);
  if (head) {
    res.writeHead(err.status, headers);
    res.end();
    return;
  }
  const body = err.xml(requestId);
  res.writeHead(err.status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendXml(res: ServerResponse, requestId: string, body: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(200, { ...baseHeaders(requestId), 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export async function serveS3(source: ObjectSource, call: S3Call, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  switch (call.operation) {
    case 'ListBuckets':
      return listBuckets(source, res, requestId);
    case 'HeadBucket':
      if (!source.bucketExists(call.bucket)) throw noSuchBucket(call.bucket);
      res.writeHead(200, baseHeaders(requestId));
      res.end();
      return;
    case 'ListObjectsV2':
    case 'ListObjects':
      return listObjects(source, call, res, requestId);
    case 'GetObject':
    case 'HeadObject':
      return getObject(source, call, req, res, requestId);
  }
}

function listBuckets(source: ObjectSource, res: ServerResponse, requestId: string): void {
  const buckets = source
    .buckets()
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((b) => `<Bucket>${element('Name', b.name)}${element('CreationDate', xmlDate(b.created))}</Bucket>`)
    .join('');
  sendXml(res, requestId, `<ListAllMyBucketsResult xmlns="${XMLNS}">${owner()}<Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`);
}

function owner(): string {
  return `<Owner>${element('ID', OWNER.ID)}${element('DisplayName', OWNER.DisplayName)}</Owner>`;
}

/** S3 lists keys in the binary order of their UTF-8 bytes, which JavaScript's string order is not. */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `encoding-type=url`: as S3 encodes (form encoding, a space as `+`), which the SDKs and the CLI decode. */
function urlEncode(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

function listObjects(source: ObjectSource, call: S3Call, res: ServerResponse, requestId: string): void {
  const q = call.query;
  if (!source.bucketExists(call.bucket)) throw noSuchBucket(call.bucket);
  const v2 = call.operation === 'ListObjectsV2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const encoding = q.get('encoding-type');
  if (encoding !== null && encoding !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encoding);
  const maxText = q.get('max-keys');
  let maxKeys = MAX_KEYS;
  if (maxText !== null) {
    if (!/^\d{1,10}$/.test(maxText) || Number(maxText) > 2147483647) {
      throw invalidArgument('Provided max-keys not an integer or within integer range', 'max-keys', maxText);
    }
    maxKeys = Math.min(MAX_KEYS, Number(maxText));
  }
  // Where the listing resumes: after this key, or (when the last entry of the page before was a common
  // prefix) after every key under that prefix.
  let after = '';
  let afterPrefix = false;
  const token = q.get('continuation-token');
  if (v2 && token !== null) {
    const decoded = decodeContinuation(token);
    if (decoded === null) throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
    [after, afterPrefix] = decoded;
  } else {
    const start = v2 ? q.get('start-after') : q.get('marker');
    if (start !== null) after = start;
  }
  const objects = source
    .list(call.bucket)
    .filter((o) => o.key.startsWith(prefix) && byUtf8(o.key, after) > 0 && !(afterPrefix && o.key.startsWith(after)))
    .sort((a, b) => byUtf8(a.key, b.key));
  const encode = encoding === 'url' ? urlEncode : (s: string) => s;
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last: [string, boolean] | undefined;
  let truncated = false;
  for (const o of objects) {
    const cut = delimiter === '' ? -1 : o.key.indexOf(delimiter, prefix.length);
    const common = cut < 0 ? undefined : o.key.slice(0, cut + delimiter.length);
    if (common !== undefined && last?.[1] && last[0] === common) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (common !== undefined) {
      prefixes.push(`<CommonPrefixes>${element('Prefix', encode(common))}</CommonPrefixes>`);
      last = [common, true];
    } else {
      contents.push(
        `<Contents>${element('Key', encode(o.key))}${element('LastModified', xmlDate(o.lastModified))}${element('ETag', `"${o.md5}"`)}` +
          `${element('Size', o.size)}${!v2 || q.get('fetch-owner') === 'true' ? owner() : ''}${element('StorageClass', 'STANDARD')}</Contents>`,
      );
      last = [o.key, false];
    }
  }
  let head = `${element('Name', call.bucket)}${element('Prefix', encode(prefix))}`;
  if (v2) {
    if (token !== null) head += element('ContinuationToken', token);
    if (q.get('start-after') !== null) head += element('StartAfter', encode(q.get('start-after')!));
    head += element('KeyCount', contents.length + prefixes.length);
  } else {
    head += element('Marker', encode(q.get('marker') ?? ''));
  }
  head += element('MaxKeys', maxKeys);
  if (delimiter !== '') head += element('Delimiter', encode(delimiter));
  if (encoding !== null) head += element('EncodingType', encoding);
  head += element('IsTruncated', truncated);
  if (truncated && last) {
    if (v2) head += element('NextContinuationToken', encodeContinuation(last));
    else if (delimiter !== '') head += element('NextMarker', encode(last[0]));
  }
  sendXml(res, requestId, `<ListBucketResult xmlns="${XMLNS}">${head}${contents.join('')}${prefixes.join('')}</ListBucketResult>`);
}

function encodeContinuation(last: [string, boolean]): string {
  return Buffer.from(JSON.stringify(last)).toString('base64url');
}

function decodeContinuation(token: string): [string, boolean] | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'boolean') return [v[0], v[1]];
  } catch {
    // not one of ours
  }
  return null;
}

/** An entity tag list (`If-Match: "a", "b"`, or `*`) against the object's. */
function etagMatches(header: string, md5: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === `"${md5}"` || t === md5);
}

/** An HTTP date, or undefined when the header is not one (S3 then ignores the condition). */
function httpDate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

type Range = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * A `Range` header against an object of `size` bytes: one range of bytes, or undefined to send the whole
 * object (no header, or one S3 ignores: not `bytes=`, several ranges, an end before its start).
 */
export function parseRange(header: string | undefined, size: number): Range {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}

async function getObject(source: ObjectSource, call: S3Call, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const object = await source.open(call.bucket, call.key);
  if (!object) throw source.bucketExists(call.bucket) ? noSuchKey(call.key) : noSuchBucket(call.bucket);
  let released = false;
  const release = (): void => {
    if (!released) {
      released = true;
      object.release();
    }
  };
  try {
    const head = call.operation === 'HeadObject';
    const etag = `"${object.md5}"`;
    // HTTP dates have whole seconds; conditions compare at that precision.
    const modified = Math.floor(object.lastModified / 1000) * 1000;
    const meta: Record<string, string | number> = { ETag: etag, 'Last-Modified': new Date(object.lastModified).toUTCString() };
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    const ifUnmodified = httpDate(req.headers['if-unmodified-since']);
    const ifModified = httpDate(req.headers['if-modified-since']);
    if (ifMatch !== undefined ? !etagMatches(ifMatch, object.md5) : ifUnmodified !== undefined && modified > ifUnmodified) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
        Condition: ifMatch !== undefined ? 'If-Match' : 'If-Unmodified-Since',
      });
    }
    if (ifNoneMatch !== undefined ? etagMatches(ifNoneMatch, object.md5) : ifModified !== undefined && modified <= ifModified) {
      res.writeHead(304, { ...baseHeaders(requestId), ...meta });
      res.end();
      return;
    }
    const range = parseRange(req.headers.range, object.size);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${object.size}`);
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, {
        RangeRequested: String(req.headers.range),
        ActualObjectSize: String(object.size),
      });
    }
    const [start, end] = range ? [range.start, range.end] : [0, object.size - 1];
    const headers: Record<string, string | number> = {
      ...baseHeaders(requestId),
      ...meta,
      'Accept-Ranges': 'bytes',
      'Content-Type': object.contentType,
      'Content-Length': end - start + 1,
    };
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${object.size}`;
    for (const name of RESPONSE_OVERRIDES) {
      const value = call.query.get(`response-${name}`);
      if (value !== null) headers[name.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase())] = value;
    }
    res.writeHead(range ? 206 : 200, headers);
    if (head || end < start) {
      res.end();
      return;
    }
    // Streamed with backpressure: a slow reader holds a read stream, never the object in memory.
    await pipeline(object.read(start, end), res).catch((err: unknown) => {
      // The client went away mid-body (its socket is gone, nothing to answer), or the read failed after
      // the headers were sent: the cut-short body is what tells the client.
      res.destroy(err instanceof Error ? err : undefined);
    });
  } finally {
    release();
  }
}
