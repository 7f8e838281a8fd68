import { GraphQLError, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { SharedExecution } from '../../src/http/shared-execution';

/** One source of events every subscriber shares (as a run's event list is), and counts of field executions. */
function fixture() {
  const events = [{ n: 1 }, { n: 2 }, { n: 3 }];
  const calls = { n: 0, label: 0, broken: 0 };
  const Tick = new GraphQLObjectType({
    name: 'Tick',
    fields: {
      n: { type: new GraphQLNonNull(GraphQLInt), resolve: (e: { n: number }) => (calls.n++, e.n) },
      label: { type: GraphQLString, args: { prefix: { type: GraphQLString } }, resolve: (e: { n: number }, a: { prefix?: string }) => (calls.label++, `${a.prefix ?? ''}${e.n}`) },
      broken: { type: GraphQLString, resolve: () => (calls.broken++, Promise.reject(new GraphQLError('no'))) },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt, resolve: () => 1 } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: Tick,
          subscribe: async function* () {
            yield* events;
          },
          resolve: (e: unknown) => e,
        },
      },
    }),
  });
  return { schema, calls };
}

async function collect(shared: SharedExecution, schema: GraphQLSchema, source: string, variables?: Record<string, unknown>, keyId = 'anonymous'): Promise<ExecutionResult[]> {
  const document = parse(source);
  shared.parsed(document, source);
  const stream = await shared.subscribe({ schema, document, variableValues: variables, contextValue: { principal: { id: keyId } } });
  if (!(Symbol.asyncIterator in stream)) throw new Error(`not a stream: ${JSON.stringify(stream)}`);
  const out: ExecutionResult[] = [];
  for await (const r of stream) out.push(r);
  return out;
}

describe('SharedExecution (graphql-ws subscribe)', () => {
  it('executes a selection once per event for subscribers asking the same, each still getting every event in order', async () => {
    const { schema, calls } = fixture();
    const shared = new SharedExecution();
    const q = 'subscription { ticks { n label } }';
    const [a, b] = await Promise.all([collect(shared, schema, q), collect(shared, schema, q)]);
    expect(a.map((r) => r.data)).toEqual([{ ticks: { n: 1, label: '1' } }, { ticks: { n: 2, label: '2' } }, { ticks: { n: 3, label: '3' } }]);
    expect(b).toEqual(a);
    expect(calls).toMatchObject({ n: 3, label: 3 });
  });

  it('executes separately for other variables, another selection or another key', async () => {
    const { schema, calls } = fixture();
    const shared = new SharedExecution();
    const q = 'subscription ($p: String) { ticks { label(prefix: $p) } }';
    const [x, y, other, keyed] = await Promise.all([
      collect(shared, schema, q, { p: 'x' }),
      collect(shared, schema, q, { p: 'y' }),
      collect(shared, schema, 'subscription { ticks { n } }'),
      collect(shared, schema, q, { p: 'x' }, 'key-2'),
    ]);
    expect(x.map((r) => r.data)).toEqual([1, 2, 3].map((n) => ({ ticks: { label: `x${n}` } })));
    expect(y.map((r) => r.data)).toEqual([1, 2, 3].map((n) => ({ ticks: { label: `y${n}` } })));
    expect(other.map((r) => r.data)).toEqual([1, 2, 3].map((n) => ({ ticks: { n } })));
    expect(keyed).toEqual(x);
    expect(calls).toMatchObject({ label: 9, n: 3 });
  });

  it('does not share a result with errors: each subscriber executes (and is masked) for itself', async () => {
    const { schema, calls } = fixture();
    const shared = new SharedExecution();
    const q = 'subscription { ticks { n broken } }';
    const [a, b] = await Promise.all([collect(shared, schema, q), collect(shared, schema, q)]);
    for (const r of [...a, ...b]) expect(r.errors?.[0]?.message).toBe('no');
    // Two subscribers that ran in the same tick may share the one execution in flight; later ones do not.
    const c = await collect(shared, schema, q);
    expect(c.map((r) => r.data)).toEqual([1, 2, 3].map((n) => ({ ticks: { n, broken: null } })));
    expect(calls.broken).toBeGreaterThanOrEqual(3 + 3);
  });

  it('sends shared results through the subscription\'s sender, serialised once, and the rest through the stream, all in order', async () => {
    const { schema } = fixture();
    const shared = new SharedExecution();
    const run = async (source: string, accept: (n: number) => boolean) => {
      const document = parse(source);
      shared.parsed(document, source);
      const contextValue = { principal: { id: 'anonymous' } };
      // What the subscriber receives, in order: ['sent', payload text] or ['streamed', result].
      const got: [string, unknown][] = [];
      shared.sendsWith(contextValue, {
        next: (payload) => {
          if (!accept(got.length)) return false;
          got.push(['sent', payload]);
          return true;
        },
        flush: () => {},
      });
      const stream = await shared.subscribe({ schema, document, contextValue });
      if (!(Symbol.asyncIterator in stream)) throw new Error('not a stream');
      for await (const r of stream) got.push(['streamed', r]);
      return got;
    };
    // A sender that takes everything: nothing is left for the stream (graphql-ws) but its completion.
    const all = await run('subscription { ticks { n } }', () => true);
    expect(all).toEqual([1, 2, 3].map((n) => ['sent', JSON.stringify({ data: { ticks: { n } } })]));
    // Another subscriber of the same selection gets the very same text: it was serialised once.
    const again = await run('subscription { ticks { n } }', () => true);
    expect(again.map(([, text]) => text)).toEqual(all.map(([, text]) => text));
    // A socket that does not keep up (the sender refuses the second) gets that one through the stream, in its place.
    const refused = await run('subscription { ticks { n } }', (i) => i !== 1);
    expect(refused).toEqual([
      ['sent', JSON.stringify({ data: { ticks: { n: 1 } } })],
      ['streamed', { data: { ticks: { n: 2 } } }],
      ['sent', JSON.stringify({ data: { ticks: { n: 3 } } })],
    ]);
    // Results with errors are the subscriber's own, masked by graphql-ws's onNext: never sent directly.
    const failing = await run('subscription { ticks { n broken } }', () => true);
    expect(failing.map(([how]) => how)).toEqual(['streamed', 'streamed', 'streamed']);
  });

  it('passes a failure to set up the stream through as the result', async () => {
    const { schema } = fixture();
    const shared = new SharedExecution();
    const document = parse('subscription { nope }');
    const result = await shared.subscribe({ schema, document });
    expect(Symbol.asyncIterator in result).toBe(false);
    expect((result as ExecutionResult).errors?.[0]?.message).toMatch(/nope/);
  });
});
