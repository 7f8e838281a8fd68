/**
 * The start-up check of the Athena protocol hook (protocol.ts). The hook subclasses SDK internals
 * (`JsonCodec2`, `JsonShapeDeserializer2`, `AwsJson1_1Protocol`'s `jsonCodec` setting) that carry no
 * stability promise; the SDK packages are pinned to exact versions for that reason, and this check is what
 * makes an upgrade safe anyway: before any client uses the hook, one known GetQueryResults response goes
 * through a real AthenaClient with the hook and one with the SDK's stock protocol (in process, no network),
 * and the hook is used only if both give the same output and the hook's own reading produced it. Otherwise
 * the service runs on the stock protocol — slower pages, same rows — and says so in one warning.
 */
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { JsonCodec2, JsonShapeDeserializer2 } from '@aws-sdk/core/protocols';
import { HttpResponse } from '@smithy/core/protocols';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../logger';
import { AthenaProtocol } from './protocol';
import { cellsOf } from './result-json';

/** What an AthenaClient is given as its `protocol`: a class it constructs with its own settings. */
export type ProtocolClass = typeof AthenaProtocol;

/** The SDK members the hook overrides or calls; an upgrade that renames one must not reach a client. */
const MEMBERS_USED: readonly [string, () => unknown][] = [
  ['JsonCodec2.prototype.createDeserializer', () => JsonCodec2.prototype.createDeserializer],
  ['JsonShapeDeserializer2.prototype.read', () => JsonShapeDeserializer2.prototype.read],
  ['JsonShapeDeserializer2.prototype.readObject', () => (JsonShapeDeserializer2.prototype as unknown as Record<string, unknown>)['readObject']],
  ['JsonShapeDeserializer2.prototype.setSerdeContext', () => JsonShapeDeserializer2.prototype.setSerdeContext],
];

/**
 * A small page with what the hook reads differently from the SDK: a header row, a NULL (a Datum without
 * VarCharValue) beside an empty string, escapes, non-ASCII text, a cell longer than the short-ASCII path,
 * and the top-level members read before the rows (UpdateCount, NextToken).
 */
const KNOWN_PAGE = JSON.stringify({
  UpdateCount: 0,
  ResultSet: {
    Rows: [
      { Data: [{ VarCharValue: 'symbol' }, { VarCharValue: 'n' }, { VarCharValue: 'note' }] },
      { Data: [{ VarCharValue: 'AMZN' }, { VarCharValue: '42' }, {}] },
      { Data: [{ VarCharValue: 'G"O\\OG' }, { VarCharValue: '-9223372036854775808' }, { VarCharValue: '' }] },
      { Data: [{ VarCharValue: 'Zürich €' }, { VarCharValue: '0' }, { VarCharValue: 'a cell longer than twenty-four bytes' }] },
    ],
    ResultSetMetadata: {
      ColumnInfo: ['symbol:varchar', 'n:bigint', 'note:varchar'].map((c) => {
        const [name, type] = c.split(':');
        return { CatalogName: 'hive', SchemaName: '', TableName: '', Name: name, Label: name, Type: type, Precision: 0, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: false };
      }),
    },
  },
  NextToken: 'next-page',
});

const KNOWN_CELLS = [
  ['symbol', 'n', 'note'],
  ['AMZN', '42', null],
  ['G"O\\OG', '-9223372036854775808', ''],
  ['Zürich €', '0', 'a cell longer than twenty-four bytes'],
];

/** KNOWN_PAGE read by a real client with `protocol` (the SDK's own when undefined); nothing leaves the process. */
async function readKnownPage(protocol: ProtocolClass | undefined): Promise<{ output: unknown; cells: unknown }> {
  const client = new AthenaClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'check', secretAccessKey: 'check' },
    maxAttempts: 1,
    ...(protocol ? { protocol } : {}),
    requestHandler: {
      handle: async () => ({
        response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(KNOWN_PAGE) }),
      }),
    },
  });
  try {
    const { $metadata: _, ...output } = await client.send(new GetQueryResultsCommand({ QueryExecutionId: 'protocol-check' }));
    // Through JSON: reads every lazy member, and compares data, not property descriptors.
    return { output: JSON.parse(JSON.stringify(output)), cells: cellsOf(output.ResultSet) };
  } finally {
    client.destroy();
  }
}

/** Why `protocol` must not be used with the installed SDK; undefined when its assumptions hold. */
export async function protocolProblem(protocol: ProtocolClass = AthenaProtocol): Promise<string | undefined> {
  const missing = MEMBERS_USED.filter(([, member]) => typeof member() !== 'function').map(([name]) => name);
  if (missing.length > 0) return `the SDK no longer has ${missing.join(', ')}`;
  try {
    const [stock, hooked] = await Promise.all([readKnownPage(undefined), readKnownPage(protocol)]);
    if (!isDeepStrictEqual(hooked.output, stock.output)) return 'a known GetQueryResults page reads differently from the SDK\'s own protocol';
    if (!isDeepStrictEqual(hooked.cells, KNOWN_CELLS)) return 'the SDK did not read GetQueryResults through the hook\'s codec';
    return undefined;
  } catch (err) {
    return `a known GetQueryResults page failed to read: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
  }
}

/**
 * The `protocol` setting for every AthenaClient of this app: the hook when its assumptions hold, else none
 * (the SDK's stock protocol), with one warning saying why.
 */
export async function athenaProtocol(logger: Logger, protocol: ProtocolClass = AthenaProtocol): Promise<{ protocol?: ProtocolClass }> {
  const problem = await protocolProblem(protocol);
  if (problem === undefined) return { protocol };
  logger.warn({ problem }, 'Athena protocol hook disabled, using the SDK\'s stock protocol (same rows, slower pages)');
  return {};
}
