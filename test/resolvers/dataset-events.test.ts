import { startTestApp, take, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';

/**
 * Subscribes, then keeps causing the event until the first one arrives: graphql-ws sets a subscription up
 * asynchronously, and an event published before that is (rightly) not delivered to it.
 */
async function firstWhile<T>(subscription: Promise<T[]>, cause: () => Promise<unknown>): Promise<T> {
  let got: T[] | undefined;
  void subscription.then((v) => (got = v));
  while (!got) {
    await cause().catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
  }
  return got[0]!;
}

describe('dataset subscriptions over graphql-ws', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      config: `${STOCK_TICKS_YAML}  - name: broken
    database: market
    table: no_such_table
    timestampColumn: capture_datetime
    groupColumn: symbol
    bucket: 1h
    expectedPerBucket: 60
`,
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('checkCompleted delivers a scheduled check of the dataset asked for, and only that dataset', async () => {
    const sub = take(t.ws(), /* GraphQL */ `subscription { checkCompleted(dataset: "stock_ticks") { dataset status trigger checkedAt } }`, 1);
    const event: any = await firstWhile(sub, async () => {
      await t.gql(`{ gaps(dataset: "broken", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z") { status } }`);
      await t.app.scheduler.runOnce('stock_ticks');
    });
    expect(event.data.checkCompleted).toMatchObject({ dataset: 'stock_ticks', trigger: 'SCHEDULE' });
    expect(Date.parse(event.data.checkCompleted.checkedAt)).not.toBeNaN();
  });

  it('checkCompleted delivers failed checks too, with their error', async () => {
    const sub = take(t.ws(), /* GraphQL */ `subscription { checkCompleted(dataset: "broken") { dataset status error { code } } }`, 1);
    const event: any = await firstWhile(sub, () =>
      t.gql(`{ gaps(dataset: "broken", from: "2024-03-05T00:00:00Z", to: "2024-03-06T00:00:00Z") { status } }`),
    );
    expect(event.data.checkCompleted).toMatchObject({ dataset: 'broken', status: 'FAILED', error: { code: expect.any(String) } });
  });

  it('datasetReady arrives when a check of every group finds a window complete', async () => {
    const sub = take(t.ws(), /* GraphQL */ `subscription { datasetReady { dataset from to source { kind checkId } } }`, 1);
    const event: any = await firstWhile(sub, () =>
      t.gql(`{ gaps(dataset: "stock_ticks", from: "2024-03-10T00:00:00Z", to: "2024-03-11T00:00:00Z") { status } }`),
    );
    expect(event.data.datasetReady).toMatchObject({
      dataset: 'stock_ticks',
      from: '2024-03-10T00:00:00.000Z',
      to: '2024-03-11T00:00:00.000Z',
      source: { kind: 'CHECK', checkId: expect.any(String) },
    });
  });
});
