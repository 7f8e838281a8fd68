/**
 * Verifying AWS Signature Version 4 as AWS does, for every protocol the embedded endpoint speaks: the
 * `Authorization` header form (the SDKs and the AWS CLI) and the presigned query form (`X-Amz-Signature` in
 * the URL, as S3 presigned URLs). The verifier answers why a request is refused as a protocol-neutral
 * `SigV4Failure`; each protocol words it in its own error shape (server.ts: the JSON protocol's
 * `__type`; an S3 REST route would answer its XML codes, `SignatureDoesNotMatch`, `InvalidAccessKeyId`,
 * `RequestTimeTooSkewed`, `AccessDenied`, by the same kinds).
 *
 * What is checked, in AWS's order: the form is complete (algorithm, Credential, SignedHeaders, Signature, a
 * date), the credential scope is `<date>/<region>/<service>/aws4_request` with this endpoint's region and
 * the route's signing name and the request's own date, the date is within 15 minutes of now (a presigned
 * URL: not past its X-Amz-Expires, at most 7 days), the access key is one of the endpoint's, and the
 * signature is the one its secret makes of the canonical request (method, path, query, the signed headers,
 * the payload hash). The canonical request is built as the SDK's signer builds it (@smithy/signature-v4):
 * every path but S3's normalised and encoded twice, query keys and values decoded then encoded by RFC 3986,
 * header values trimmed with inner whitespace runs as one space.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's date may be from the endpoint's clock, either way (AWS: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60_000;
/** The longest a presigned URL may be valid (AWS: 7 days). */
export const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;
/** The payload hash of a request whose body is not signed (S3 and presigned URLs only). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface KeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Why a request was refused:
 * - `missing`: no signature at all;
 * - `incomplete`: a signature that is not well formed (a part or the date missing, a bad date format);
 * - `unknownKey`: an access key (or session token) the endpoint does not have;
 * - `scope`: the credential is scoped to another date, region or service;
 * - `skew`: the request's date is more than 15 minutes from now;
 * - `expired`: a presigned URL past its expiry;
 * - `mismatch`: the signature is not the one the key's secret makes.
 */
export type SigV4FailureKind = 'missing' | 'incomplete' | 'unknownKey' | 'scope' | 'skew' | 'expired' | 'mismatch';

export interface SigV4Failure {
  kind: SigV4FailureKind;
  /** AWS's wording for it. */
  message: string;
}

export interface SigV4Request {
  method: string;
  /** The request target as received: raw path and query (`req.url`). */
  url: string;
  /** `req.rawHeaders`: names and values in order, so repeated headers are joined as AWS joins them. */
  rawHeaders: readonly string[];
  /**
   * The payload's SHA-256 in hex, as the protocol defines it: for the JSON protocols the hash of the body
   * received (whatever `x-amz-content-sha256` says: a different one fails the signature); for S3 the
   * `x-amz-content-sha256` the client sent (the S3 route then checks the body against it), or
   * UNSIGNED_PAYLOAD when it sent none (a presigned URL).
   */
  payloadHash: string;
}

export interface SigV4Verifier {
  /** The access key id that signed the request, or why it is refused. */
  verify(request: SigV4Request): { ok: true; accessKeyId: string } | { ok: false; failure: SigV4Failure };
}

export interface SigV4Options {
  region: string;
  /** The signing name of the service the request is for: `athena`, `states`, `s3`. */
  service: string;
  keys: readonly KeyPair[];
  /** The endpoint's clock (ms); default Date.now. */
  now?: () => number;
}

const fail = (kind: SigV4FailureKind, message: string): { ok: false; failure: SigV4Failure } => ({ ok: false, failure: { kind, message } });

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding as AWS canonicalises (the SDK's escapeUri): everything but A-Z a-z 0-9 - _ . ~ as %XX. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** `20240304T120000Z` → epoch ms, or undefined when it is not ISO-8601 basic format. */
function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) || new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '') !== text ? undefined : ms;
}

const basic = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/** Header values by lower-case name, repeated headers joined by `,`, each value trimmed and its whitespace runs made one space. */
function canonicalHeaderValues(rawHeaders: readonly string[]): Map<string, string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').trim();
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return new Map([...values].map(([name, list]) => [name, list.join(',')]));
}

/** The query's parameters, decoded, in order; undefined when one is not valid percent-encoding. */
function queryParams(query: string): [string, string][] | undefined {
  const out: [string, string][] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    out.push([key, value]);
  }
  return out;
}

function canonicalQuery(params: readonly [string, string][]): string {
  return params
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [escapeUri(key), escapeUri(value)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/** S3 signs the path as sent; every other service normalises it (`.`, `..`, empty segments) and encodes it again. */
function canonicalPath(path: string, service: string): string {
  if (service === 's3') return path;
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

interface Parsed {
  accessKeyId: string;
  scope: string[];
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Presigned: seconds the URL is valid from its date. */
  expires?: number;
  sessionToken?: string;
}

/** `Credential=…, SignedHeaders=…, Signature=…` after the algorithm, in any order, separated by commas and/or spaces. */
function parseHeaderForm(authorization: string, headers: Map<string, string>): Parsed | SigV4Failure {
  const rest = authorization.slice(ALGORITHM.length);
  const parts = new Map<string, string>();
  for (const piece of rest.split(/[,\s]+/)) {
    const eq = piece.indexOf('=');
    if (eq > 0) parts.set(piece.slice(0, eq), piece.slice(eq + 1));
  }
  const missing: string[] = [];
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) if (!parts.get(name)) missing.push(`Authorization header requires '${name}' parameter.`);
  const amzDate = headers.get('x-amz-date') ?? dateHeader(headers.get('date'));
  if (amzDate === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length > 0) return { kind: 'incomplete', message: `${missing.join(' ')} Authorization=${authorization.slice(0, 200)}` };
  return {
    ...splitCredential(parts.get('Credential')!),
    signedHeaders: parts.get('SignedHeaders')!.split(';'),
    signature: parts.get('Signature')!,
    amzDate: amzDate!,
    ...(headers.has('x-amz-security-token') ? { sessionToken: headers.get('x-amz-security-token') } : {}),
  };
}

function parseQueryForm(params: readonly [string, string][]): Parsed | SigV4Failure {
  const get = (name: string): string | undefined => params.find(([k]) => k === name)?.[1];
  const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'].filter((name) => !get(name));
  if (missing.length > 0) {
    return { kind: 'incomplete', message: `${missing.map((name) => `AWS query-string parameters must include '${name}'.`).join(' ')} Re-examine the query-string parameters.` };
  }
  if (get('X-Amz-Algorithm') !== ALGORITHM) return { kind: 'incomplete', message: `Unsupported AWS 'algorithm': '${get('X-Amz-Algorithm')!.slice(0, 100)}'` };
  const expiresText = get('X-Amz-Expires')!;
  const expires = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : NaN;
  if (!(expires >= 1 && expires <= MAX_PRESIGNED_SECONDS)) {
    return { kind: 'incomplete', message: `X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGNED_SECONDS} (7 days), got '${expiresText.slice(0, 20)}'` };
  }
  const token = get('X-Amz-Security-Token');
  return {
    ...splitCredential(get('X-Amz-Credential')!),
    signedHeaders: get('X-Amz-SignedHeaders')!.split(';'),
    signature: get('X-Amz-Signature')!,
    amzDate: get('X-Amz-Date')!,
    expires,
    ...(token !== undefined ? { sessionToken: token } : {}),
  };
}

function splitCredential(credential: string): { accessKeyId: string; scope: string[] } {
  const [accessKeyId = '', ...scope] = credential.split('/');
  return { accessKeyId, scope };
}

/** An HTTP `Date` header (RFC 7231) in basic format, for requests that sign with it instead of X-Amz-Date. */
function dateHeader(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : basic(ms);
}

const SIGNATURE = /^[0-9a-f]{64}$/;

export function sigV4Verifier(options: SigV4Options): SigV4Verifier {
  const { region, service, keys } = options;
  const now = options.now ?? Date.now;
  const secrets = new Map(keys.map((k) => [k.accessKeyId, k.secretAccessKey]));
  // One signing key per access key, day: derived four HMACs deep, so kept (a few keys, one day at a time).
  const signingKeys = new Map<string, Buffer>();
  const signingKey = (accessKeyId: string, secret: string, day: string): Buffer => {
    const cacheKey = `${accessKeyId}/${day}`;
    let key = signingKeys.get(cacheKey);
    if (!key) {
      key = Buffer.from(`AWS4${secret}`);
      for (const part of [day, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
      if (signingKeys.size >= 64) signingKeys.clear();
      signingKeys.set(cacheKey, key);
    }
    return key;
  };

  return {
    verify(request) {
      const q = request.url.indexOf('?');
      const path = q < 0 ? request.url : request.url.slice(0, q);
      const params = queryParams(q < 0 ? '' : request.url.slice(q + 1));
      const headers = canonicalHeaderValues(request.rawHeaders);
      const authorization = headers.get('authorization');
      const presigned = params?.some(([k]) => k === 'X-Amz-Signature') ?? false;
      if (authorization === undefined && !presigned) return fail('missing', 'Request is missing Authentication Token');
      if (params === undefined) return fail('incomplete', 'The query string is not valid percent-encoding');
      if (authorization !== undefined && presigned) return fail('incomplete', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified');
      if (authorization !== undefined && !authorization.startsWith(`${ALGORITHM} `)) {
        const algorithm = authorization.split(' ')[0]!.slice(0, 100);
        return algorithm.startsWith('AWS4-')
          ? fail('incomplete', `Unsupported AWS 'algorithm': '${algorithm}'`)
          : fail('missing', 'Request is missing Authentication Token');
      }
      const parsed = authorization !== undefined ? parseHeaderForm(authorization, headers) : parseQueryForm(params);
      if ('kind' in parsed) return { ok: false, failure: parsed };

      const at = parseAmzDate(parsed.amzDate);
      if (at === undefined) return fail('incomplete', `Date must be in ISO-8601 'basic format'. Got '${parsed.amzDate.slice(0, 40)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
      const [day, scopeRegion, scopeService, terminator, ...extra] = parsed.scope;
      if (terminator === undefined || extra.length > 0) {
        return fail('incomplete', `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${[parsed.accessKeyId, ...parsed.scope].join('/').slice(0, 200)}'`);
      }
      if (terminator !== 'aws4_request') return fail('scope', `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator.slice(0, 40)}'.`);
      if (day !== parsed.amzDate.slice(0, 8)) {
        return fail('scope', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day!.slice(0, 20)}' != '${parsed.amzDate.slice(0, 8)}', from '${parsed.amzDate}'.`);
      }
      if (scopeRegion !== region) return fail('scope', `Credential should be scoped to a valid region, not '${scopeRegion!.slice(0, 40)}'. This endpoint's region is '${region}'.`);
      if (scopeService !== service) return fail('scope', `Credential should be scoped to correct service: '${service}'. `);

      const t = now();
      if (parsed.expires !== undefined) {
        if (t > at + parsed.expires * 1000) return fail('expired', `Request has expired: X-Amz-Date ${parsed.amzDate} plus X-Amz-Expires ${parsed.expires} seconds is before ${basic(t)}`);
        if (at - t > MAX_SKEW_MS) return fail('skew', `Request is not yet valid: X-Amz-Date ${parsed.amzDate} is more than 15 minutes after ${basic(t)}`);
      } else if (t - at > MAX_SKEW_MS) {
        return fail('skew', `Signature expired: ${parsed.amzDate} is now earlier than ${basic(t - MAX_SKEW_MS)} (${basic(t)} - 15 min.)`);
      } else if (at - t > MAX_SKEW_MS) {
        return fail('skew', `Signature not yet current: ${parsed.amzDate} is still later than ${basic(t + MAX_SKEW_MS)} (${basic(t)} + 15 min.)`);
      }

      const secret = secrets.get(parsed.accessKeyId);
      // This endpoint issues no session tokens: one sent is one it cannot know, as AWS says of a bad token.
      if (secret === undefined || parsed.sessionToken !== undefined) return fail('unknownKey', 'The security token included in the request is invalid.');
      if (!parsed.signedHeaders.includes('host')) return fail('incomplete', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
      if (!SIGNATURE.test(parsed.signature)) return fail('mismatch', MISMATCH);

      const canonicalHeaders = parsed.signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');
      const canonicalRequest = [
        request.method,
        canonicalPath(path, service),
        canonicalQuery(params),
        canonicalHeaders,
        parsed.signedHeaders.join(';'),
        request.payloadHash,
      ].join('\n');
      const scope = `${day}/${region}/${service}/aws4_request`;
      const stringToSign = `${ALGORITHM}\n${parsed.amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
      const expected = createHmac('sha256', signingKey(parsed.accessKeyId, secret, day!)).update(stringToSign).digest();
      if (!timingSafeEqual(expected, Buffer.from(parsed.signature, 'hex'))) return fail('mismatch', MISMATCH);
      return { ok: true, accessKeyId: parsed.accessKeyId };
    },
  };
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** Every request header of `headers` as `rawHeaders` gives them (for callers that have only the parsed object). */
export function rawHeadersOf(headers: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, v);
  }
  return raw;
}
