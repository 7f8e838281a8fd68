import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { startEmbedded, type EmbeddedEndpoint, type EmbeddedOptions } from '../../src/embedded/server';

export function tempDir(prefix = 'gapwatch-embedded-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function athenaClient(url: string, maxAttempts = 3): AthenaClient {
  return new AthenaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts,
  });
}

export interface Harness {
  endpoint: EmbeddedEndpoint;
  client: AthenaClient;
  dataDir: string;
  stop(): Promise<void>;
}

/** An endpoint on 127.0.0.1:0 over a fresh data dir, with an SDK client pointed at it. */
export async function startHarness(extra: Partial<EmbeddedOptions> = {}): Promise<Harness> {
  const dir = tempDir();
  const endpoint = await startEmbedded({ port: 0, dataDir: dir.path, ...extra });
  const client = athenaClient(endpoint.url);
  return {
    endpoint,
    client,
    dataDir: dir.path,
    async stop() {
      client.destroy();
      await endpoint.close();
      dir.remove();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls GetQueryExecution until the execution reaches one of `states` (terminal states by default). */
export async function waitForState(
  client: AthenaClient,
  id: string,
  states: string[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'],
): Promise<QueryExecution> {
  for (;;) {
    const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    if (states.includes(QueryExecution!.Status!.State!)) return QueryExecution!;
    await sleep(10);
  }
}

/** Starts a query and waits for it to finish; returns its id and final execution. */
export async function runQuery(
  client: AthenaClient,
  sql: string,
  input: Partial<StartQueryExecutionCommandInput> = {},
): Promise<{ id: string; execution: QueryExecution }> {
  const { QueryExecutionId } = await client.send(new StartQueryExecutionCommand({ QueryString: sql, ...input }));
  return { id: QueryExecutionId!, execution: await waitForState(client, QueryExecutionId!) };
}

/** Every page of a result, following NextToken. */
export async function allPages(client: AthenaClient, id: string, maxResults?: number): Promise<GetQueryResultsCommandOutput[]> {
  const pages: GetQueryResultsCommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: maxResults, NextToken: token }));
    pages.push(page);
    token = page.NextToken;
  } while (token);
  return pages;
}

/** Rows of cells (undefined = NULL) across all pages, header included when Athena sends one. */
export async function resultRows(client: AthenaClient, id: string): Promise<(string | undefined)[][]> {
  const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
  if (QueryExecution!.Status!.State !== 'SUCCEEDED') {
    throw new Error(`query ${id} is ${QueryExecution!.Status!.State}: ${QueryExecution!.Status!.StateChangeReason ?? ''}`);
  }
  const pages = await allPages(client, id);
  return pages.flatMap((p) => p.ResultSet!.Rows!.map((r) => r.Data!.map((d) => d.VarCharValue)));
}

/** The AWS CLI v2 binary the CLI tests drive (Debian package `awscli`); GAPWATCH_AWS_CLI overrides. */
export const AWS_CLI = process.env.GAPWATCH_AWS_CLI ?? '/usr/bin/aws';
/** Skipped only on a developer machine without the CLI; in CI (.ci/run installs it) a missing CLI must fail. */
export const describeCli = existsSync(AWS_CLI) || process.env.CI ? describe : describe.skip;

const execFileAsync = promisify(execFile);

/**
 * Runs `aws <args> --endpoint-url <url> --output json` as a user following the docs would: dummy
 * credentials, no config files, no pager; returns the parsed JSON it prints.
 */
export function awsCli<T = unknown>(url: string, home: string, ...args: string[]): Promise<T> {
  return awsCliAs<T>({ accessKeyId: 'x', secretAccessKey: 'x' }, url, home, ...args);
}

/** `awsCli` with these credentials (an endpoint that verifies signatures wants its own key pair). */
export async function awsCliAs<T = unknown>(key: { accessKeyId: string; secretAccessKey: string }, url: string, home: string, ...args: string[]): Promise<T> {
  const { stdout } = await execFileAsync(AWS_CLI, [...args, '--endpoint-url', url, '--output', 'json'], { env: cliEnv(key, home) });
  return JSON.parse(stdout) as T;
}

/** `awsCli` returning what the command prints as bytes (`aws s3 cp s3://… -` prints the object). */
export async function awsCliOutput(url: string, home: string, ...args: string[]): Promise<Buffer> {
  const env = cliEnv({ accessKeyId: 'x', secretAccessKey: 'x' }, home);
  const { stdout } = await execFileAsync(AWS_CLI, [...args, '--endpoint-url', url], { env, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

function cliEnv(key: { accessKeyId: string; secretAccessKey: string }, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/**
 * A FROM-clause source of `count` rows, column `n` = 0 … count-1, in Athena's SQL (Trino's sequence() holds
 * at most 10,000 entries, so larger counts cross two of them).
 */
export function numbers(count: number): string {
  if (count <= 10_000) return `UNNEST(sequence(0, ${count - 1})) AS numbers(n)`;
  const outer = Math.ceil(count / 10_000);
  if (outer > 10_000) throw new RangeError('numbers(): at most 10^8 rows');
  return `(SELECT hi * 10000 + lo AS n FROM UNNEST(sequence(0, ${outer - 1})) AS h(hi) CROSS JOIN UNNEST(sequence(0, 9999)) AS l(lo) WHERE hi * 10000 + lo < ${count}) AS numbers`;
}

/** A query that runs for minutes unless stopped: 10^12 rows counted, none kept. */
export const SLOW_QUERY =
  'SELECT count(*) FROM UNNEST(sequence(1, 10000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 10000)) AS b(y) CROSS JOIN UNNEST(sequence(1, 10000)) AS c(z) WHERE x + y + z = -1';

/**
 * Why a statement is refused, whether Athena would refuse it at StartQueryExecution (a syntax error:
 * `InvalidRequestException: line …`) or run it and fail (`<CODE>: …`, a user error).
 */
export async function refusal(client: AthenaClient, sql: string, input: Partial<StartQueryExecutionCommandInput> = {}): Promise<string> {
  let id: string;
  try {
    id = (await client.send(new StartQueryExecutionCommand({ QueryString: sql, ...input }))).QueryExecutionId!;
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  const execution = await waitForState(client, id);
  if (execution.Status!.State !== 'FAILED') throw new Error(`${sql} ended ${execution.Status!.State}`);
  if (execution.Status!.AthenaError!.ErrorCategory !== 2) throw new Error(`${sql} failed as a system error: ${execution.Status!.StateChangeReason}`);
  return execution.Status!.StateChangeReason!;
}
