import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';

/** The API reads instants as the CLI does: a date alone is midnight UTC; anything else is refused, coded. */
describe('DateTime arguments over GraphQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: STOCK_TICKS_YAML });
  });
  afterAll(() => t.stop());

  const window = (from: string, to: string) => /* GraphQL */ `{ gaps(dataset: "stock_ticks", from: "${from}", to: "${to}") { from to status } }`;

  it('takes a date alone as midnight UTC, in a literal and in a variable', async () => {
    const expected = { data: { gaps: { from: '2024-03-10T00:00:00.000Z', to: '2024-03-11T00:00:00.000Z', status: 'OK' } } };
    expect(await t.gql(window('2024-03-10', '2024-03-11'))).toStrictEqual(expected);
    expect(await t.gql(window('2024-03-10T00:00:00Z', '2024-03-10T19:00:00-05:00'))).toStrictEqual(expected);
    const query = /* GraphQL */ `query ($from: DateTime!, $to: DateTime!) { gaps(dataset: "stock_ticks", from: $from, to: $to) { from to status } }`;
    expect(await t.gql(query, { from: '2024-03-10', to: '2024-03-11' })).toStrictEqual(expected);
  });

  it.each([['2024-02-30'], ['2024-03-10T00:00:00'], ['yesterday'], ['2024-3-10']])('refuses %s with a message naming the accepted forms', async (bad) => {
    const query = /* GraphQL */ `query ($from: DateTime!) { gaps(dataset: "stock_ticks", from: $from, to: "2024-03-11") { status } }`;
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { from: bad } }),
    });
    expect(res.status).toBeLessThan(500);
    const body = (await res.json()) as any;
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toContain(
      `DateTime: expected an ISO-8601 instant with a zone such as 2024-03-04T00:00:00Z (or a date, 2024-03-04, meaning midnight UTC), got "${bad}"`,
    );
  });
});
