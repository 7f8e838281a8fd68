import { BUCKET_MS, type Bucket } from '../services/gaps/dataset';
import { parseDuration } from '../services/time/duration';
import type { CheckArgs } from './args';
import { CliError, oneLine } from './errors';
import { REPORT_FIELDS, type CliReport } from './report';
import { resolveWindow, type WindowBasis } from './window';

type Fetch = typeof fetch;

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: ReadonlyArray<{ message?: string; extensions?: { code?: string } }>;
}

/** POSTs one operation; every way it can fail becomes a CliError naming the server and what went wrong. */
async function post<T>(fetchFn: Fetch, endpoint: string, query: string, variables: Record<string, unknown>): Promise<T> {
  let res: Response;
  try {
    res = await fetchFn(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    // undici hides the socket error (ECONNREFUSED, ENOTFOUND …) in `cause`; that is the useful part.
    const cause = (err as { cause?: unknown }).cause;
    throw new CliError(`cannot reach gapwatch at ${endpoint}: ${oneLine(cause ?? err)}`);
  }
  const text = await res.text();
  let body: GraphQLResponse<T>;
  try {
    body = JSON.parse(text) as GraphQLResponse<T>;
  } catch {
    throw new CliError(`${endpoint} answered HTTP ${res.status} with a body that is not GraphQL JSON; is --url a gapwatch server?`);
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code ? ` (${first.extensions.code})` : '';
    throw new CliError(`gapwatch at ${endpoint}: ${oneLine(first.message ?? 'unknown error')}${code}`);
  }
  if (!res.ok || body.data === undefined || body.data === null) {
    throw new CliError(`${endpoint} answered HTTP ${res.status} without data; is --url a gapwatch server?`);
  }
  return body.data;
}

const DATASET = /* GraphQL */ `
  query ($name: String!) {
    dataset(name: $name) { name bucket timezone settle checkWindow }
    datasets { name }
  }
`;

interface DatasetAnswer {
  dataset: { name: string; bucket: string; timezone: string; settle: string; checkWindow: string } | null;
  datasets: Array<{ name: string }>;
}

/** The server's view of a dataset, as much as placing a trailing window needs. */
async function remoteBasis(fetchFn: Fetch, endpoint: string, name: string): Promise<WindowBasis> {
  const { dataset, datasets } = await post<DatasetAnswer>(fetchFn, endpoint, DATASET, { name });
  if (!dataset) {
    const known = datasets.map((d) => d.name);
    throw new CliError(`dataset: no dataset '${name}' on ${endpoint}; configured: ${known.length ? known.join(', ') : 'none'}`);
  }
  const bucketMs = BUCKET_MS[dataset.bucket as Bucket];
  const settleMs = parseDuration(dataset.settle);
  const checkWindowMs = parseDuration(dataset.checkWindow);
  if (bucketMs === undefined || settleMs === undefined || checkWindowMs === undefined) {
    throw new CliError(`gapwatch at ${endpoint} describes dataset '${name}' in a form this CLI does not read (bucket ${dataset.bucket}, settle ${dataset.settle}, checkWindow ${dataset.checkWindow}); is the CLI older than the server?`);
  }
  return { timezone: dataset.timezone, bucketMs, settleMs, checkWindowMs };
}

const GAPS = /* GraphQL */ `
  query ($dataset: String!, $from: DateTime!, $to: DateTime!, $groups: [String!]) {
    gaps(dataset: $dataset, from: $from, to: $to, groups: $groups) { ${REPORT_FIELDS} }
  }
`;

/**
 * Runs the check on a running gapwatch over HTTP. A trailing window (--last, or none given) is placed
 * with the server's dataset settings, so it ends where the server's own scheduled checks end.
 */
export async function checkRemote(args: CheckArgs & { url: string }, now: number, fetchFn: Fetch = fetch): Promise<CliReport> {
  const window =
    args.window.kind === 'range' ? args.window : resolveWindow(args.window, await remoteBasis(fetchFn, args.url, args.dataset), now);
  const { gaps } = await post<{ gaps: CliReport }>(fetchFn, args.url, GAPS, {
    dataset: args.dataset,
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    groups: args.groups ?? null,
  });
  return gaps;
}
