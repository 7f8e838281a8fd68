import { parseLimits, DEFAULT_LIMITS } from '../../src/http/limits';
import { ConfigError } from '../../src/errors';
import { startTestApp, take, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';

/** The same ticks, judged per minute: a 31-day window is 44,640 buckets a symbol. */
const MINUTE_TICKS_YAML = `${STOCK_TICKS_YAML}  - name: minute_ticks
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    groups: [AMZN, GOOG, WORK]
    bucket: 1m
    expectedPerBucket: 1
  - name: minute_ticks_any_group
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    bucket: 1m
    expectedPerBucket: 1
`;

const GAPS_SERIES = /* GraphQL */ `
  query ($dataset: String!, $from: DateTime!, $to: DateTime!, $groups: [String!]) {
    gaps(dataset: $dataset, from: $from, to: $to, groups: $groups) { status series { group buckets { start count } } }
  }
`;

function limitError(body: any) {
  expect(body.data ?? null).toBeNull();
  expect(body.errors).toHaveLength(1);
  return body.errors[0];
}

describe('limits on what one operation may ask', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: `${MINUTE_TICKS_YAML}limits:\n  rateLimitPerMinute: 0\n  maxSubscriptionsPerConnection: 3\n` });
  });
  afterAll(() => t.stop());

  it('refuses 10,000 group names up front (it stalled the service for minutes)', async () => {
    const groups = Array.from({ length: 10_000 }, (_, i) => `G${i}`);
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: GAPS_SERIES, variables: { dataset: 'stock_ticks', from: '2024-03-04T00:00:00Z', to: '2024-03-14T00:00:00Z', groups } }),
    });
    expect(res.status).toBe(400);
    expect(limitError(await res.json())).toStrictEqual({
      message: 'maxGroups (500) exceeded: groups lists 10000 names',
      extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxGroups', value: 500 },
    });
  });

  it('refuses a series of buckets × groups over its bound (a 670-byte request made a 212 MB answer)', async () => {
    const body = await t.gql(GAPS_SERIES, { dataset: 'minute_ticks', from: '2024-03-01T00:00:00Z', to: '2024-03-31T00:00:00Z' });
    expect(limitError(body)).toMatchObject({
      extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxSeriesCells', value: DEFAULT_LIMITS.maxSeriesCells },
    });
    expect(body.errors[0].message).toContain('series would return 129603 buckets × groups');
    // The same check without series is within bounds, and runs.
    const plain = await t.gql(`query { gaps(dataset: "minute_ticks", from: "2024-03-04T00:00:00Z", to: "2024-03-14T00:00:00Z") { status checkedBuckets } }`);
    expect(plain.errors).toBeUndefined();
    expect(plain.data.gaps.checkedBuckets).toBeGreaterThan(40_000);
  });

  it('reports a window the dataset cannot judge as bad input, not as a check too big to run', async () => {
    // Both windows are also far over maxCheckCells; the size of a check nobody may run is not the caller's
    // problem, its window is, so the answer is the resolver's BAD_USER_INPUT naming the argument.
    const outside = await t.gql(GAPS_SERIES, { dataset: 'stock_ticks', from: '0000-01-01T00:00:00Z', to: '9999-12-31T00:00:00Z' });
    expect(limitError(outside)).toMatchObject({
      message: expect.stringMatching(/^from: expected an instant from 0001-01-02T00:00:00.000Z to 9999-12-30T00:00:00.000Z/),
      extensions: { code: 'BAD_USER_INPUT', argument: 'from' },
    });
    const tooLong = await t.gql(GAPS_SERIES, { dataset: 'minute_ticks', from: '2000-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' });
    expect(limitError(tooLong)).toMatchObject({
      message: expect.stringContaining('exceeds maxWindow'),
      extensions: { code: 'BAD_USER_INPUT', argument: 'from' },
    });
  });

  it('refuses an oversized series once the groups are known, when the dataset judges every group seen', async () => {
    // Up front this looks like one group (44,641 cells, under the bound); the rows hold three.
    const body = await t.gql(GAPS_SERIES, { dataset: 'minute_ticks_any_group', from: '2024-03-01T00:00:00Z', to: '2024-03-31T00:00:00Z' });
    expect(body.data).toBeNull();
    expect(body.errors).toStrictEqual([
      {
        message: 'maxSeriesCells (100000) exceeded: series would return 129600 buckets × groups (3 groups seen); narrow the window, name the groups, or leave series out',
        locations: [expect.any(Object)],
        path: ['gaps', 'series'],
        extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxSeriesCells', value: 100_000 },
      },
    ]);
  });

  it('refuses a check judged in the service of more buckets × groups than it may judge, before it runs', async () => {
    const groups = Array.from({ length: 100 }, (_, i) => `S${i}`);
    const body = await t.gql(GAPS_SERIES, { dataset: 'minute_ticks', from: '2024-03-01T00:00:00Z', to: '2024-03-31T00:00:00Z', groups });
    expect(limitError(body)).toStrictEqual({
      message: 'maxCheckCells (2000000) exceeded: this check would judge 4320100 buckets × groups in the service; narrow the window or the groups, or leave series out (then Athena judges it)',
      extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxCheckCells', value: 2_000_000 },
    });
    // Without series Athena judges it: the service's work is one grid of the window, whatever the groups.
    const plain = await t.gql('query ($groups: [String!]) { gaps(dataset: "minute_ticks", from: "2024-03-01T00:00:00Z", to: "2024-03-31T00:00:00Z", groups: $groups) { status ranges { group } } }', { groups });
    expect(plain.errors).toBeUndefined();
    expect(plain.data.gaps.status).toBe('GAPS');
  });

  it('lets a check without series of 500 groups over five years of hours run as one query', async () => {
    const groups = Array.from({ length: 500 }, (_, i) => `S${i}`);
    const body = await t.gql('query ($groups: [String!]) { gaps(dataset: "stock_ticks", from: "2019-03-01T00:00:00Z", to: "2024-03-01T00:00:00Z", groups: $groups) { status checkedBuckets ranges { group absent } } }', { groups });
    expect(body.errors).toBeUndefined();
    expect(body.data.gaps).toMatchObject({ status: 'GAPS', checkedBuckets: 500 * 1827 * 24 });
    expect(body.data.gaps.ranges).toHaveLength(500);
  });

  it('refuses 1,000 aliases of runQuery (they started 1,000 executions)', async () => {
    const aliases = Array.from({ length: 1_000 }, (_, i) => `q${i}: runQuery(name: "x", wait: false) { id }`).join(' ');
    const body = await t.gql(`mutation { ${aliases} }`);
    // The token bound trips first: a 1,000-alias document is refused before it is even parsed.
    expect(limitError(body).extensions).toStrictEqual({ code: 'LIMIT_EXCEEDED', limit: 'maxTokens', value: 2_000 });

    const fewer = Array.from({ length: 21 }, (_, i) => `q${i}: health { status }`).join(' ');
    expect(limitError(await t.gql(`{ ${fewer} }`))).toStrictEqual({
      message: 'maxAliases (20) exceeded: Aliases limit of 20 exceeded, found 21.',
      extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxAliases', value: 20 },
    });
  });

  it('weighs started queries and checks: 11 gaps checks cost more than one operation may', async () => {
    const checks = Array.from({ length: 11 }, (_, i) => `c${i}: gaps(dataset: "stock_ticks", from: "2024-03-04T00:00:00Z", to: "2024-03-05T00:00:00Z") { status }`).join(' ');
    const body = await t.gql(`{ ${checks} }`);
    expect(limitError(body).extensions).toStrictEqual({ code: 'LIMIT_EXCEEDED', limit: 'maxCost', value: DEFAULT_LIMITS.maxCost });
    expect(body.errors[0].message).toMatch(/^maxCost \(20000\) exceeded: this operation costs \d+$/);
  });

  it('multiplies by `first`: a thousand rows of every cell costs more than a field', async () => {
    const rows = 'queryExecution(id: "x") { rows(first: 1000) { edges { cursor node { values cells { column type raw value } } } } }';
    const body = await t.gql(`{ a: ${rows} b: ${rows} c: ${rows} }`);
    expect(limitError(body).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxCost' });
  });

  it('bounds depth (fragments do not add to it)', async () => {
    const deepest = `{ datasets { ... on DatasetInfo { lastCheck { queryExecution { rows { edges { node { cells { column } } } } } } } } }`;
    expect((await t.gql(deepest)).errors).toBeUndefined();
    const tooDeep = `{ ${'a { '.repeat(13)}b${' }'.repeat(13)} }`;
    const body = await t.gql(tooDeep);
    expect(body.errors).toContainEqual({
      message: 'maxDepth (12) exceeded: Query depth limit of 12 exceeded, found 14.',
      extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxDepth', value: 12 },
    });
  });

  it('bounds subscriptions per connection', async () => {
    const client = t.ws();
    const seen: unknown[] = [];
    const refused = new Promise((resolve) => {
      for (let i = 0; i <= 3; i++) {
        client.subscribe({ query: 'subscription { heartbeat(intervalMs: 60000) { seq } }' }, { next: () => {}, error: (e) => (seen.push(i), resolve(e)), complete: () => {} });
      }
    });
    expect(await refused).toStrictEqual([
      {
        message: 'maxSubscriptionsPerConnection (3) exceeded: this connection already runs 3 operations',
        extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxSubscriptionsPerConnection', value: 3 },
      },
    ]);
    expect(seen).toStrictEqual([3]);
  });

  it('applies the same limits over WebSocket', async () => {
    const fewer = Array.from({ length: 21 }, (_, i) => `q${i}: health { status }`).join(' ');
    expect(await take(t.ws(), `{ ${fewer} }`, 1).catch((e) => e)).toStrictEqual([
      {
        message: 'maxAliases (20) exceeded: Aliases limit of 20 exceeded, found 21.',
        extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxAliases', value: 20 },
      },
    ]);
    const tokens = `{ ${'__typename '.repeat(2_001)}}`;
    expect((await take(t.ws(), tokens, 1).catch((e) => e))[0].extensions).toStrictEqual({ code: 'LIMIT_EXCEEDED', limit: 'maxTokens', value: 2_000 });
  });

  it('hides "Did you mean" field suggestions', async () => {
    const body = await t.gql('{ helth { status } }');
    expect(body.errors[0].message).toBe('Cannot query field "helth" on type "Query".');
  });
});

describe('the per-key rate limit', () => {
  it('refuses operations past rateLimitPerMinute with HTTP 429', async () => {
    const t = await startTestApp({ config: 'limits:\n  rateLimitPerMinute: 3\n' });
    try {
      for (let i = 0; i < 3; i++) expect((await t.gql('{ __typename }')).errors).toBeUndefined();
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('20');
      expect(limitError(await res.json())).toStrictEqual({
        message: "rateLimitPerMinute (3) exceeded: key 'anonymous' sent more than 3 operations in the last minute; retry later",
        extensions: { code: 'LIMIT_EXCEEDED', limit: 'rateLimitPerMinute', value: 3 },
      });
    } finally {
      await t.stop();
    }
  });
});

describe('the limits: section of the config file', () => {
  it('takes overrides and refuses unknown names and bad values', () => {
    expect(parseLimits({ maxGroups: 10 })).toStrictEqual({ ...DEFAULT_LIMITS, maxGroups: 10 });
    expect(() => parseLimits({ maxGroup: 10 })).toThrow(ConfigError);
    expect(() => parseLimits({ maxDepth: 0 })).toThrow('limits.maxDepth: expected a whole number ≥ 1, got 0');
    expect(() => parseLimits({ maxCost: '5' })).toThrow(ConfigError);
  });
});
