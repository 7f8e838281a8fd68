/**
 * The Athena client's wire protocol (awsJson1_1, the SDK's own class) with one change, made through the
 * SDK's own extension point (the protocol's `jsonCodec`): a GetQueryResults body's rows are read straight
 * from its bytes into cells (result-json.ts) instead of being parsed into Row and Datum objects and then
 * copied, object by object, by the SDK's schema-driven deserializer; and they are read when first asked
 * for, not before the call returns.
 *
 * Why: those objects were most of what a page cost gapwatch (a page of 1,000 rows × 7 columns is 8,000 of
 * them, built twice), and a reader paging through a result waits on a chain of GetQueryResults calls, each
 * needing the NextToken of the one before: the token is taken from the body's bytes at once, so the next
 * call can be on its way while this page is read (docs/performance.md).
 *
 * The output is still a GetQueryResultsOutput: NextToken and UpdateCount are there when the call returns;
 * `ResultSet` reads the body on first use (the metadata through the SDK's deserializer, `Rows` made from
 * the cells if anything reads them). A body that is not plainly shaped is read whole before the call
 * returns, and one JSON.parse cannot read goes back to the SDK, which raises its own error; a body whose
 * top level looks whole but whose inside is not JSON throws a SyntaxError when its ResultSet is first read.
 * Every other operation, and every error response, is the SDK's own path.
 */
import { GetQueryResultsOutput$ } from '@aws-sdk/client-athena';
import { AwsJson1_1Protocol, JsonCodec2, JsonShapeDeserializer2 } from '@aws-sdk/core/protocols';
import { NormalizedSchema } from '@smithy/core/schema';
import { lazyResultSet, peekResults, scanResultRows, setCells } from './result-json';

type Schema = Parameters<JsonShapeDeserializer2['read']>[0];
type ProtocolSettings = ConstructorParameters<typeof AwsJson1_1Protocol>[0];

/** What AwsJsonRpcProtocol uses when it is given no codec. */
export const JSON_SETTINGS = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };

type Parsed = { ResultSet?: { Rows?: unknown } } | null;
type Output = { ResultSet: object; [member: string]: unknown };

class ResultsDeserializer extends JsonShapeDeserializer2 {
  override async read(schema: Schema, data: unknown): Promise<any> {
    if (!(data instanceof Uint8Array) || data.byteLength === 0 || NormalizedSchema.of(schema).getSchema() !== GetQueryResultsOutput$) {
      return super.read(schema, data);
    }
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const peeked = peekResults(body);
    if (peeked === null) return this.readResults(schema, body) ?? super.read(schema, data);
    // NextToken and UpdateCount now; the rows and metadata when first read (result-json.ts).
    const out: Record<string, unknown> = {};
    if (peeked.updateCount !== undefined) out['UpdateCount'] = peeked.updateCount;
    out['ResultSet'] = lazyResultSet(() => {
      const read = this.readResults(schema, body);
      if (read === null) throw new SyntaxError('GetQueryResults: the response body is not the JSON document Athena sends');
      return (read.ResultSet ?? {}) as never; // a "ResultSet" key not at the top: no members
    });
    if (peeked.nextToken !== undefined) out['NextToken'] = peeked.nextToken;
    return out;
  }

  /** The whole output, rows as cells where the scanner reads them; null when the body is not JSON. */
  private readResults(schema: Schema, body: Buffer): Output | null {
    const scanned = scanResultRows(body);
    if (scanned !== null) {
      const rest = parseOrNull(scanned.rest);
      const rows = rest?.ResultSet?.Rows;
      // Rows left empty where the scanner cut them out: the cut was ResultSet.Rows.
      if (Array.isArray(rows) && rows.length === 0) {
        const out = this.readObject(schema, rest as never) as Output;
        setCells(out.ResultSet, scanned.rows);
        return out;
      }
    }
    const parsed = parseOrNull(body.toString('utf8'));
    if (parsed === null) return null;
    const resultSet = parsed.ResultSet;
    const rows = resultSet?.Rows;
    if (!Array.isArray(rows)) return this.readObject(schema, parsed as never) as Output;
    // Rows as parsed: the SDK's copy of them would only drop members the decoder does not read.
    resultSet!.Rows = [];
    const out = this.readObject(schema, parsed as never) as Output;
    (out.ResultSet as { Rows?: unknown }).Rows = rows;
    return out;
  }
}

function parseOrNull(text: string): Parsed {
  try {
    return JSON.parse(text) as Parsed;
  } catch {
    return null;
  }
}

/** The SDK's JSON codec with gapwatch's GetQueryResults reading (exported for bench/decode.bench.ts). */
export class ResultsCodec extends JsonCodec2 {
  override createDeserializer(): ResultsDeserializer {
    const deserializer = new ResultsDeserializer(this.settings);
    if (this.serdeContext) deserializer.setSerdeContext(this.serdeContext);
    return deserializer;
  }
}

/** Pass as `protocol` in AthenaClient's config; the client constructs it with its own settings. */
export class AthenaProtocol extends AwsJson1_1Protocol {
  constructor(settings: ProtocolSettings) {
    super({ ...settings, jsonCodec: new ResultsCodec(JSON_SETTINGS) });
  }
}
