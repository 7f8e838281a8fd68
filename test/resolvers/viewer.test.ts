import { definitionFor, embeddedTaskArns } from '../../src/services/pipeline/definition';
import { startTestApp, type TestApp } from '../support/app';

const READER = 'viewer-reader-secret-0001';
const OPERATOR = 'viewer-operator-secret-001';

/** What a client (the status page) asks before it draws anything: who it is, and the pipeline's machine. */
describe('viewer and pipeline', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { GAPWATCH_API_KEYS: `ci:reader:${READER},ops:operator:${OPERATOR}` } });
  });
  afterAll(() => t.stop());

  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  it('tells a key its id and role, never its secret', async () => {
    expect(await t.gql('{ viewer { keyId role } }', undefined, as(READER))).toStrictEqual({ data: { viewer: { keyId: 'ci', role: 'READER' } } });
    expect(await t.gql('{ viewer { keyId role } }', undefined, as(OPERATOR))).toStrictEqual({ data: { viewer: { keyId: 'ops', role: 'OPERATOR' } } });
  });

  it('gives the state machine definition Step Functions holds, to any role', async () => {
    const body = await t.gql('{ pipeline { stateMachineArn definition } }', undefined, as(READER));
    expect(body.errors).toBeUndefined();
    expect(body.data.pipeline.stateMachineArn).toMatch(/^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:gapwatch-pipeline$/);
    expect(body.data.pipeline.definition).toStrictEqual(JSON.parse(definitionFor(embeddedTaskArns())));
  });
});

it('calls anyone an anonymous operator when gapwatch has no keys', async () => {
  const t = await startTestApp();
  try {
    expect(await t.gql('{ viewer { keyId role } }')).toStrictEqual({ data: { viewer: { keyId: 'anonymous', role: 'OPERATOR' } } });
  } finally {
    await t.stop();
  }
});
