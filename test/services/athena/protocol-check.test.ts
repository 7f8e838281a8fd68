/**
 * The start-up check of the Athena protocol hook (src/services/athena/protocol-check.ts): the installed SDK
 * passes it; a hook whose assumptions break (it reads differently, the SDK ignores its codec, it cannot be
 * constructed, an SDK member it relies on is gone) is refused with exactly one warning, and the client then
 * runs on the SDK's stock protocol and still reads the same rows from the embedded Athena.
 */
import { Writable } from 'node:stream';
import { AthenaClient } from '@aws-sdk/client-athena';
import { AwsJson1_1Protocol, JsonShapeDeserializer2 } from '@aws-sdk/core/protocols';
import pino from 'pino';
import { AthenaService } from '../../../src/services/athena/athena.service';
import { AthenaProtocol, JSON_SETTINGS, ResultsCodec } from '../../../src/services/athena/protocol';
import { athenaProtocol, protocolProblem, type ProtocolClass } from '../../../src/services/athena/protocol-check';
import { ATHENA_DEFAULTS } from '../../../src/services/athena/settings';
import { startHarness, type Harness } from '../../embedded/helpers';

/** A real pino logger whose lines the test reads. */
function capturingLogger() {
  const lines: { level: number; msg: string; problem?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

type Settings = ConstructorParameters<typeof AwsJson1_1Protocol>[0];

/** A hook whose reading drops NextToken: what a changed SDK internal could silently do. */
class DroppingCodec extends ResultsCodec {
  override createDeserializer() {
    const deserializer = super.createDeserializer();
    const read = deserializer.read.bind(deserializer);
    deserializer.read = async (schema, data) => {
      const out = await read(schema, data);
      if (out && typeof out === 'object') delete (out as Record<string, unknown>)['NextToken'];
      return out;
    };
    return deserializer;
  }
}
class DroppingProtocol extends AthenaProtocol {
  constructor(settings: Settings) {
    super(settings);
    Object.assign(this, { codec: new DroppingCodec(JSON_SETTINGS) });
    Object.assign(this, { deserializer: (this as unknown as { codec: DroppingCodec }).codec.createDeserializer() });
  }
}

/** A protocol that accepts the hook's codec but never uses it: an SDK that stopped honouring `jsonCodec`. */
class IgnoringProtocol extends AwsJson1_1Protocol {
  constructor(settings: Settings) {
    super(settings); // no jsonCodec passed on: the SDK's own
  }
}

/** A hook that cannot even be built, as when the SDK's constructor contract changes. */
class UnbuildableProtocol extends AthenaProtocol {
  constructor(settings: Settings) {
    super(settings);
    throw new TypeError('jsonCodec.createDeserializer is not a function');
  }
}

describe('the Athena protocol hook start-up check', () => {
  it('passes with the installed SDK: the hook is used, and nothing is logged', async () => {
    expect(await protocolProblem()).toBeUndefined();
    const { logger, lines } = capturingLogger();
    expect(await athenaProtocol(logger)).toStrictEqual({ protocol: AthenaProtocol });
    expect(lines).toStrictEqual([]);
  });

  it.each<[string, ProtocolClass, RegExp]>([
    ['reads a known page differently', DroppingProtocol as ProtocolClass, /reads differently from the SDK's own protocol/],
    ['is not used by the SDK', IgnoringProtocol as unknown as ProtocolClass, /did not read GetQueryResults through the hook's codec/],
    ['cannot be constructed', UnbuildableProtocol as ProtocolClass, /failed to read: TypeError: jsonCodec\.createDeserializer is not a function/],
  ])('falls back to the stock protocol with one warning when the hook %s', async (_, hook, why) => {
    const { logger, lines } = capturingLogger();
    expect(await athenaProtocol(logger, hook)).toStrictEqual({});
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: expect.stringContaining('Athena protocol hook disabled'), problem: expect.stringMatching(why) });
  });

  it('falls back when an SDK member the hook relies on is gone', async () => {
    const proto = JsonShapeDeserializer2.prototype as unknown as Record<string, unknown>;
    const readObject = proto['readObject'];
    delete proto['readObject'];
    try {
      const { logger, lines } = capturingLogger();
      expect(await athenaProtocol(logger)).toStrictEqual({});
      expect(lines.map((l) => l.problem)).toStrictEqual(['the SDK no longer has JsonShapeDeserializer2.prototype.readObject']);
    } finally {
      proto['readObject'] = readObject;
    }
    expect(await protocolProblem()).toBeUndefined();
  });

  describe('after a fallback', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness();
    });
    afterAll(() => h.stop());

    it('the stock protocol reads the same typed rows from the embedded Athena as the hook', async () => {
      const fallback = await athenaProtocol(capturingLogger().logger, DroppingProtocol as ProtocolClass);
      const read = async (config: { protocol?: ProtocolClass }) => {
        const client = new AthenaClient({
          ...config,
          endpoint: h.endpoint.url,
          region: 'us-east-1',
          credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        });
        try {
          const athena = new AthenaService(client, ATHENA_DEFAULTS);
          const id = await athena.start({ sql: "SELECT * FROM (VALUES (1, 'a\"b', NULL), (2, '', 'Zürich')) t(n, s, z) ORDER BY n" });
          await athena.wait(id);
          const page = await athena.page(id, null);
          return { columns: page.columns.map((c) => [c.key, c.type]), values: page.values, raw: page.raw };
        } finally {
          client.destroy();
        }
      };
      const stock = await read(fallback);
      expect(stock.values).toStrictEqual([
        [1, 'a"b', null],
        [2, '', 'Zürich'],
      ]);
      expect(stock).toStrictEqual(await read({ protocol: AthenaProtocol }));
    });
  });
});
