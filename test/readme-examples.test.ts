import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { SAMPLE_DEFECTS } from '../src/embedded/athena/sample';
import { EXAMPLES } from '../src/explorer/examples';
import { startTestApp, take, type TestApp } from './support/app';

/**
 * Every GraphQL example a newcomer is shown — each ```graphql block of README.md and each explorer tab —
 * runs here as it stands, over HTTP or WebSocket, against the embedded sample and the repo's own
 * gapwatch.config.yaml (raw SQL enabled, as the README's runSql example says it must be). An example that
 * stops parsing, validating or running fails its test, so the README cannot drift from the API again.
 */
const ROOT = path.resolve(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Example {
  source: string;
  name: string;
  /** The operation with the fragments of its block, ready to send on its own. */
  document: string;
  operation: OperationDefinitionNode;
  /** The variables the example comes with (an explorer tab's Variables). */
  variables?: Record<string, unknown>;
}

/** One Example per operation of a block: a README block may hold several. */
function examplesOf(source: string, text: string, variables?: Record<string, unknown>): Example[] {
  const doc: DocumentNode = parse(text);
  const fragments = doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return doc.definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({
      source,
      name: `${operation.operation} ${operation.name?.value ?? '(anonymous)'}`,
      document: print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }),
      operation,
      ...(variables ? { variables } : {}),
    }));
}

const README_BLOCKS = [...README.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
const ALL: Example[] = [
  ...README_BLOCKS.flatMap((text, i) => examplesOf(`README.md graphql block ${i + 1}`, text)),
  ...EXAMPLES.flatMap((e) => examplesOf(`explorer tab '${e.title}'`, e.query, e.variables)),
];

/**
 * Values for the variables examples declare, by name. An example that needs another one fails with a
 * message pointing here.
 */
function variablesFor(example: Example, known: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of example.operation.variableDefinitions ?? []) {
    const name = v.variable.name.value;
    if (example.variables && name in example.variables) {
      out[name] = example.variables[name];
      continue;
    }
    // An optional variable the example leaves out is left out here too.
    if (!(name in known) && v.type.kind !== Kind.NON_NULL_TYPE) continue;
    if (!(name in known)) throw new Error(`${example.source} (${example.name}) declares $${name}: give it a value in known (beforeAll) of test/readme-examples.test.ts`);
    out[name] = known[name];
  }
  return out;
}

describe('the GraphQL examples newcomers are shown', () => {
  let t: TestApp;
  let known: Record<string, unknown>;
  beforeAll(async () => {
    t = await startTestApp({
      config: readFileSync(path.join(ROOT, 'gapwatch.config.yaml'), 'utf8'),
      env: { GAPWATCH_ALLOW_RAW_SQL: 'true' },
    });
    const run = await t.gql('mutation { runQuery(name: "ticks_per_symbol") { id } }');
    const id = run.data.runQuery.id as string;
    known = { id, ids: [id, id] };
  });
  afterAll(() => t.stop());

  it('finds them: the README has graphql blocks and the explorer has tabs', () => {
    expect(README_BLOCKS.length).toBeGreaterThanOrEqual(5);
    expect(ALL.filter((e) => e.source.startsWith('explorer')).length).toBe(EXAMPLES.length);
  });

  // Before the examples run: the explorer's repair tab starts a pipeline run that repairs the sample's defects.
  it.each([
    ['README.md', ALL.find((e) => e.source.startsWith('README') && e.name === 'query Gaps')],
    ['the explorer', ALL.find((e) => e.source.startsWith('explorer') && e.name === 'query Gaps')],
  ])('%s shows the sample’s planted defects beside a clean day', async (_where, example) => {
    expect(example).toBeDefined();
    const { data } = await t.gql(example!.document);
    expect(data.defects.status).toBe('GAPS');
    // ABSENT_DAY and MISSING are both MISSING ranges; each planted defect is one range.
    expect(data.defects.ranges).toHaveLength(SAMPLE_DEFECTS.length);
    expect(data.cleanDay).toMatchObject({ status: 'OK', checkedBuckets: 72 });
  });

  it.each(ALL.map((e) => [`${e.source}: ${e.name}`, e] as const))('%s runs without errors', async (_title, example) => {
    const variables = variablesFor(example, known);
    if (example.operation.operation === 'subscription') {
      const [event] = await take(t.ws(), example.document, 1, variables);
      expect(event.errors).toBeUndefined();
      expect(event.data).toEqual(expect.any(Object));
      return;
    }
    const body = await t.gql(example.document, variables);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual(expect.any(Object));
  });
});


/**
 * The README's API key example, pasted as it stands: the keys it sets start a gapwatch, and its curl line
 * (run here as fetch, with the same headers and body) is answered with data.
 */
describe('the README’s API key example', () => {
  const block = [...README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((b) => b.includes('GAPWATCH_API_KEYS='));

  it('starts with the keys it sets and answers its curl line', async () => {
    expect(block).toBeDefined();
    const keys = /GAPWATCH_API_KEYS='([^']*)'/.exec(block!)?.[1];
    const curl = block!.split('\n').find((l) => l.startsWith('curl '));
    expect(keys).toBeDefined();
    expect(curl).toBeDefined();
    const headers = Object.fromEntries([...curl!.matchAll(/-H '([^:']+): ([^']*)'/g)].map((m) => [m[1]!, m[2]!]));
    const body = /-d '([^']*)'/.exec(curl!)?.[1];
    const t = await startTestApp({ env: { GAPWATCH_API_KEYS: keys! } });
    try {
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers, body });
      expect(await res.json()).toStrictEqual({ data: { health: { status: 'OK' } } });
    } finally {
      await t.stop();
    }
  });
});
