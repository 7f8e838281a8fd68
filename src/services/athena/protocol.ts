/**
 * The Athena client's wire protocol (awsJson1_1, the SDK's own class) with one change, made through the
 * SDK's own extension point (the protocol's `jsonCodec`): a GetQueryResults body's rows are read straight
 * from its text into cells (result-json.ts) instead of being parsed into Row and Datum objects and then
 * copied, object by object, by the SDK's schema-driven deserializer.
 *
 * Why: those objects were most of what a page cost gapwatch (a page of 1,000 rows × 7 columns is 8,000 of
 * them, built twice); see docs/performance.md. The output is still a GetQueryResultsOutput: the metadata,
 * NextToken and UpdateCount go through the SDK's deserializer unchanged, and `ResultSet.Rows` is made from
 * the cells if anything reads it. A body the scanner does not recognise is parsed whole, its rows kept as
 * parsed; one JSON.parse cannot read goes back to the SDK, which raises its own error. Every other
 * operation, and every error response, is the SDK's own path.
 */
import { GetQueryResultsOutput$ } from '@aws-sdk/client-athena';
import { AwsJson1_1Protocol, JsonCodec2, JsonShapeDeserializer2 } from '@aws-sdk/core/protocols';
import { NormalizedSchema } from '@smithy/core/schema';
import { scanResultRows, setCells } from './result-json';

type Schema = Parameters<JsonShapeDeserializer2['read']>[0];
type ProtocolSettings = ConstructorParameters<typeof AwsJson1_1Protocol>[0];

/** What AwsJsonRpcProtocol uses when it is given no codec. */
const JSON_SETTINGS = { timestampFormat: { useTrait: true, default: 7 as const }, jsonName: false };

type Parsed = { ResultSet?: { Rows?: unknown } } | null;

class ResultsDeserializer extends JsonShapeDeserializer2 {
  override async read(schema: Schema, data: unknown): Promise<any> {
    if (!(data instanceof Uint8Array) || data.byteLength === 0 || NormalizedSchema.of(schema).getSchema() !== GetQueryResultsOutput$) {
      return super.read(schema, data);
    }
    const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    const scanned = scanResultRows(text);
    let parsed: Parsed;
    try {
      parsed = JSON.parse(scanned === null ? text : scanned.rest) as Parsed;
    } catch {
      return super.read(schema, data);
    }
    const resultSet = parsed?.ResultSet;
    const rows = resultSet?.Rows;
    if (!Array.isArray(rows) || (scanned !== null && rows.length > 0)) {
      return scanned === null ? this.readObject(schema, parsed as never) : super.read(schema, data);
    }
    resultSet!.Rows = [];
    const out = this.readObject(schema, parsed as never);
    if (scanned !== null) setCells(out.ResultSet, scanned.rows);
    else out.ResultSet.Rows = rows;
    return out;
  }
}

class ResultsCodec extends JsonCodec2 {
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
