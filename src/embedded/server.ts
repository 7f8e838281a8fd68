/**
 * One loopback HTTP listener for every embedded AWS service. AWS JSON requests (a POST to `/` with
 * `X-Amz-Target`) are routed by target prefix through a small registry: Athena (`AmazonAthena.`), Step
 * Functions (`AWSStepFunctions.`); those services see only parsed JSON in and JSON out. Every other request
 * is S3's REST API (s3/handler.ts), which serves the Athena results under their OutputLocation. This file
 * owns the wire details of both (headers, error bodies, request ids, the Host check, fault injection,
 * per-operation counters).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { DataDirInUseError } from '../errors';
import { athenaHandler } from './athena/handler';
import { AthenaEngine, type EngineLimits } from './athena/engine';
import { resetSample } from './athena/duckdb';
import { mulberry32 } from '../services/random';
import { PortInUseError } from '../errors';
import { AwsServiceError, quoted, ServiceRegistry, type ServiceRoute } from './protocol';
import { sha256Hex, sigV4Verifier, UNSIGNED_PAYLOAD, type KeyPair, type SigV4Failure, type SigV4Verifier } from './sigv4';
import { checkTableLocations, type EmbeddedTable } from './tables';
import { stepFunctionsRoute, type StepFunctionsOptions } from './stepfunctions';
import { ResultObjects } from './athena/result-objects';
import { S3_FAULTS, S3Error } from './s3/errors';
import { isS3Request, resolveS3, sendS3Error, serveS3 } from './s3/handler';

export type { EmbeddedTable } from './tables';
export { DataDirInUseError };
export type { StepFunctionsOptions, TaskHandler } from './stepfunctions';

export interface EmbeddedOptions {
  /** 0 = pick a free port. */
  port: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Where the DuckDB file and execution records live (GAPWATCH_DATA_DIR). */
  dataDir: string;
  /** Local tables over files (from the config file). */
  tables?: EmbeddedTable[];
  logger?: Logger;
  /** Athena workgroups that exist besides `primary` (StartQueryExecution and ListQueryExecutions refuse others). */
  workGroups?: readonly string[];
  /** Bounds on stored executions, results and the QUEUED queue; defaults in athena/engine.ts and athena/store.ts. */
  limits?: Partial<EngineLimits>;
  /** More services to route, each under its own target prefix. */
  services?: ServiceRoute[];
  /** When given, Step Functions is served too (`AWSStepFunctions.`), running these Task handlers in-process. */
  stepFunctions?: StepFunctionsOptions;
  /**
   * When given, every request must be signed (SigV4, sigv4.ts) by one of these keys, scoped to `region` and
   * the route's service; gapwatch sets it when it has API keys (credentials.ts). Without it any credentials
   * are accepted, as loopback development expects.
   */
  auth?: EndpointAuth;
}

export interface EndpointAuth {
  region: string;
  keys: KeyPair[];
}

/**
 * A refused signature as the AWS JSON protocols answer it: every such refusal is HTTP 400, typed as
 * Step Functions, Athena (and DynamoDB, Kinesis…) type them.
 */
export function jsonAuthError(failure: SigV4Failure): AwsServiceError {
  switch (failure.kind) {
    case 'missing':
      return new AwsServiceError('MissingAuthenticationTokenException', failure.message);
    case 'incomplete':
      return new AwsServiceError('IncompleteSignatureException', failure.message);
    case 'unknownKey':
      return new AwsServiceError('UnrecognizedClientException', failure.message);
    default:
      return new AwsServiceError('InvalidSignatureException', failure.message);
  }
}

export interface FaultSpec {
  rate: number;
  /**
   * The error answered: Athena's or Step Functions' throttling for their operations (default
   * ThrottlingException), or one of S3's (`S3_FAULTS`: AccessDenied, NoSuchKey, …) for S3 operations.
   */
  code?: 'ThrottlingException' | 'TooManyRequestsException' | keyof typeof S3_FAULTS;
  operations?: string[];
  seed?: number;
}

export interface EmbeddedEndpoint {
  /** e.g. http://127.0.0.1:45123 */
  url: string;
  /** Stops the listener and DuckDB; no open handles afterwards. */
  close(): Promise<void>;
  /**
   * Requests per operation name, e.g. {BatchGetQueryExecution: 3}, faulted ones included. A promise, as
   * `injectFaults`, because the service's endpoint runs on a worker thread (worker-host.ts).
   */
  calls(): Promise<Record<string, number>>;
  /** A fraction `rate` of matching requests answer HTTP 400 with that error (as Athena throttles); null clears. */
  injectFaults(f: FaultSpec | null): Promise<void>;
  /** Whether it serves now: false while its worker thread is down (worker-host.ts restarts it), with why. */
  health(): { up: boolean; reason?: string };
}

const JSON_11 = 'application/x-amz-json-1.1';
const MAX_BODY = 16 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY) {
        reject(new AwsServiceError('SerializationException', 'Request body too large', 413));
        req.destroy();
        return;
      }
      parts.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** A refused signature as S3 answers it: its own codes and statuses for each kind of refusal. */
export function s3AuthError(failure: SigV4Failure): S3Error {
  switch (failure.kind) {
    case 'missing':
      return new S3Error('AccessDenied', 'Access Denied', 403);
    case 'incomplete':
    case 'scope':
      return new S3Error('AuthorizationHeaderMalformed', failure.message, 400);
    case 'unknownKey':
      return new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403);
    case 'skew':
      return new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403);
    case 'expired':
      return new S3Error('AccessDenied', 'Request has expired', 403);
    default:
      return new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);
  }
}

/**
 * Host names the endpoint answers to. A browser page on another site can reach a loopback port through DNS
 * rebinding (its own name resolving to 127.0.0.1), but its requests then carry that name in `Host`; the
 * SDKs and the AWS CLI send the endpoint URL's host, which is one of these. Names under `.localhost` are
 * S3's virtual-hosted form (`<bucket>.localhost`): they are loopback by definition (RFC 6761), so no other
 * site can hold one.
 */
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|(?:[a-z0-9][a-z0-9.-]{0,62}\.)?localhost|\[::1\])(?::\d{1,5})?$/i;

/**
 * The AWS JSON protocols' content types (1.0 and 1.1 differ only in the error body). A browser page can POST
 * `text/plain`, form or multipart bodies cross-origin without a preflight; only `X-Amz-Target` forces one
 * today, so the content type is checked too rather than leaning on that alone.
 */
const AWS_JSON = /^application\/x-amz-json-1\.[01]\s*(?:;.*)?$/i;

/**
 * Headers only a browser sends with a POST (the SDKs and the AWS CLI send neither; Node's own fetch sends
 * `Sec-Fetch-Mode` but not these). The endpoint serves no page, so every request a browser makes to it
 * comes from some other site's page.
 */
const fromBrowser = (req: IncomingMessage): boolean => req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined;

function send(res: ServerResponse, status: number, requestId: string, body: unknown, errorType?: string, contentType = JSON_11): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
    Date: new Date().toUTCString(),
  };
  if (errorType) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(status, headers);
  res.end(text);
}

/** DuckDB's words for a data dir another process holds: `IO Error: Could not set lock on file "…": Conflicting lock is held in … (PID …)`. */
function inUse(err: unknown, dataDir: string): unknown {
  return err instanceof Error && /Could not set lock on file/.test(err.message) ? new DataDirInUseError(dataDir) : err;
}

/**
 * `gapwatch reset-sample`: the sample table `market.ticks` in the data dir as first generated. Only while
 * no gapwatch uses the data dir (DataDirInUseError otherwise); check and run history are left as they are.
 */
export async function resetEmbeddedSample(dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  await resetSample(dataDir).catch((err: unknown) => {
    throw inUse(err, dataDir);
  });
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedEndpoint> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger;
  const tables = opts.tables ?? [];
  checkTableLocations(tables);
  mkdirSync(opts.dataDir, { recursive: true });

  const engine = await AthenaEngine.open({ dataDir: opts.dataDir, tables, logger, limits: opts.limits, workGroups: opts.workGroups }).catch((err: unknown) => {
    throw inUse(err, opts.dataDir);
  });
  const registry = new ServiceRegistry();
  registry.register({ prefix: 'AmazonAthena.', signingName: 'athena', handler: athenaHandler(engine), close: () => engine.close() });
  if (opts.stepFunctions) {
    try {
      registry.register(stepFunctionsRoute({ logger, ...opts.stepFunctions }));
    } catch (err) {
      await engine.close();
      throw err;
    }
  }
  for (const s of opts.services ?? []) registry.register(s);

  // One verifier per signing name: each route's requests must be scoped to its own service.
  const auth = opts.auth;
  const verifiers = new Map<string, SigV4Verifier>();
  const verifierFor = (service: string): SigV4Verifier => {
    let v = verifiers.get(service);
    if (!v) verifiers.set(service, (v = sigV4Verifier({ region: auth!.region, service, keys: auth!.keys })));
    return v;
  };

  const s3Objects = new ResultObjects(engine.store);
  const counts = new Map<string, number>();
  let faults: (FaultSpec & { next: () => number }) | null = null;

  const faulted = (operation: string): FaultSpec | undefined =>
    faults && (!faults.operations || faults.operations.includes(operation)) && faults.next() < faults.rate ? faults : undefined;

  /** The Host check and the browser refusal, the same for every protocol the endpoint speaks. */
  const checkAccess = (req: IncomingMessage): void => {
    const hostHeader = req.headers.host ?? '';
    if (!LOOPBACK_HOST.test(hostHeader)) {
      throw new AwsServiceError(
        'AccessDeniedException',
        `Host '${quoted(hostHeader)}' is not a loopback name; the embedded endpoint answers only 127.0.0.1, localhost and [::1]`,
        403,
      );
    }
    if (fromBrowser(req)) {
      throw new AwsServiceError('AccessDeniedException', 'Requests from a browser are refused: the embedded endpoint serves AWS SDKs and the AWS CLI only', 403);
    }
  };

  /** An S3 REST request (s3/handler.ts): Athena's result files, read-only, with S3's XML errors. */
  const handleS3 = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    const head = req.method === 'HEAD';
    // Nothing is read from a body (a GET has none, and anything else is refused): it is let through up to
    // the JSON bodies' bound, and the connection closed past it.
    let drained = 0;
    req.on('data', (b: Buffer) => {
      drained += b.length;
      if (drained > MAX_BODY) req.destroy();
    });
    try {
      try {
        checkAccess(req);
      } catch (err) {
        throw new S3Error('AccessDenied', (err as Error).message, 403);
      }
      if (auth) {
        // S3 signs its payload by the hash the client declares (or not at all, presigned); nothing here reads
        // a body, so the declared hash is what the signature covers.
        const declared = req.headers['x-amz-content-sha256'];
        const payloadHash = typeof declared === 'string' ? declared : UNSIGNED_PAYLOAD;
        const verified = verifierFor('s3').verify({ method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, payloadHash });
        if (!verified.ok) throw s3AuthError(verified.failure);
      }
      const call = resolveS3(req);
      counts.set(call.operation, (counts.get(call.operation) ?? 0) + 1);
      const fault = faulted(call.operation);
      if (fault) {
        const code = fault.code && fault.code in S3_FAULTS ? fault.code : 'SlowDown';
        const { status, message } = S3_FAULTS[code]!;
        throw new S3Error(code, message, status, call.key ? { Key: call.key } : { BucketName: call.bucket });
      }
      await serveS3(s3Objects, call, req, res, requestId);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof S3Error) {
        sendS3Error(res, err, requestId, head);
      } else {
        logger?.error({ err, requestId }, 'embedded endpoint internal error');
        sendS3Error(res, new S3Error('InternalError', `We encountered an internal error, request id ${requestId}`, 500), requestId, head);
      }
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    if (isS3Request(req)) return handleS3(req, res, requestId);
    let contentType: string | undefined;
    /** Refused before its body was read: the connection is closed after the answer rather than drained. */
    let unread = false;
    try {
      checkAccess(req);
      if (req.method !== 'POST') throw new AwsServiceError('UnknownOperationException', `${req.method} is not supported; AWS JSON services take POST /`, 404);
      const type = req.headers['content-type'] ?? '';
      if (!AWS_JSON.test(type)) {
        throw new AwsServiceError(
          'UnsupportedMediaTypeException',
          `Content-Type '${quoted(type)}' is not supported; AWS JSON services take application/x-amz-json-1.0 or 1.1`,
          415,
        );
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const routed = registry.resolve(target);
      if (!routed) throw new AwsServiceError('UnknownOperationException', `No embedded service handles X-Amz-Target '${quoted(target)}'`);
      contentType = routed.route.contentType;
      const verify = (payloadHash: string) => verifierFor(routed.route.signingName).verify({ method: req.method!, url: req.url ?? '/', rawHeaders: req.rawHeaders, payloadHash });
      if (auth) {
        // Everything but the payload is checked before the body is read (up to MAX_BODY): a caller with no
        // key, a key not ours or a stale date is answered at once, and its upload is never held in memory.
        const early = verify('');
        if (!early.ok && early.failure.kind !== 'mismatch') {
          unread = true;
          throw jsonAuthError(early.failure);
        }
      }
      const bytes = await readBody(req);
      if (auth) {
        const verified = verify(sha256Hex(bytes));
        if (!verified.ok) throw jsonAuthError(verified.failure);
      }
      const body = bytes.toString('utf8');
      // A Map: an operation named `__proto__` must count like any other, not reach the prototype.
      counts.set(routed.operation, (counts.get(routed.operation) ?? 0) + 1);
      const fault = faulted(routed.operation);
      if (fault) {
        const code = fault.code === 'TooManyRequestsException' ? fault.code : 'ThrottlingException';
        throw new AwsServiceError(code, 'Rate exceeded', 400, code === 'TooManyRequestsException' ? { Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED' } : {});
      }
      let input: unknown;
      try {
        input = body.trim() === '' ? {} : JSON.parse(body);
      } catch {
        throw new AwsServiceError('SerializationException', 'Request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new AwsServiceError('SerializationException', 'Request body must be a JSON object');
      }
      const out = await routed.route.handler(routed.operation, input as Record<string, unknown>);
      send(res, 200, requestId, out ?? {}, undefined, contentType);
    } catch (err) {
      if (unread) res.shouldKeepAlive = false;
      if (err instanceof AwsServiceError) {
        send(res, err.status, requestId, err.body(), err.type, contentType);
      } else {
        // Internal details stay in the log, keyed by the request id the client also sees.
        logger?.error({ err, requestId }, 'embedded endpoint internal error');
        const e = new AwsServiceError('InternalServerException', `Internal error, request id ${requestId}`, 500);
        send(res, 500, requestId, e.body(), e.type, contentType);
      }
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(opts.port, host, 'GAPWATCH_EMBEDDED_PORT') : err));
      server.listen(opts.port, host, () => resolve());
    });
  } catch (err) {
    for (const r of registry.all()) await r.drain?.();
    await engine.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger?.info({ url }, 'embedded AWS endpoint listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    calls: async () => Object.fromEntries(counts),
    health: () => (closing ? { up: false, reason: 'closed' } : { up: true }),
    async injectFaults(f) {
      if (f === null) {
        faults = null;
        return;
      }
      if (!(f.rate >= 0 && f.rate <= 1)) throw new RangeError(`injectFaults: rate must be within 0..1, got ${f.rate}`);
      faults = { ...f, next: mulberry32(f.seed ?? 1) };
    },
    close() {
      closing ??= (async () => {
        for (const r of registry.all()) await r.drain?.();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        for (const r of registry.all()) await r.close?.();
      })();
      return closing;
    },
  };
}
