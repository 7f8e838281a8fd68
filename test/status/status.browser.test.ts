import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LAKE_FROM, LAKE_GROUPS, LAKE_HOURS, LAKE_TO, writeStatusLake } from '../../bench/status-lake';
import { SAMPLE_DEFECTS, SAMPLE_RANGE } from '../../src/embedded/athena/sample';
import { describeBrowser, launchChromium, offMachine, screenshotDir } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';

/**
 * Gates the test holds a run at, so the page can be seen (and photographed) in Repair and in Validate: the
 * sample's own repair and Validate's own check still do the work once the gate opens. (A run of one range
 * otherwise goes Check → Initiate in well under a second.)
 */
const mockGates = { repair: Promise.resolve(), validate: Promise.resolve() };
jest.mock('../../src/embedded-backend/sample-repair', () => {
  const actual = jest.requireActual('../../src/embedded-backend/sample-repair');
  return {
    ...actual,
    sampleTicksRepair: (...args: unknown[]) => {
      const action = actual.sampleTicksRepair(...args);
      return async (range: unknown, options: unknown) => {
        await mockGates.repair;
        return action(range, options);
      };
    },
  };
});
jest.mock('../../src/services/pipeline/handlers', () => {
  const actual = jest.requireActual('../../src/services/pipeline/handlers');
  return {
    ...actual,
    createHandlers: (deps: unknown) => {
      const handlers = actual.createHandlers(deps);
      return {
        ...handlers,
        validate: async (input: unknown, context: unknown) => {
          await mockGates.validate;
          return handlers.validate(input, context);
        },
      };
    },
  };
});

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const ROOT = path.resolve(__dirname, '../..');
const OPERATOR = 'status-operator-secret-0001';
const READER = 'status-reader-secret-00001';
const SAMPLE = `/status?dataset=stock_ticks&from=2024-03-04&to=2024-03-14`;
const HOUR = 3_600_000;
const GROUPS = ['AMZN', 'GOOG', 'WORK'];

describeBrowser('the status page', () => {
  let t: TestApp;
  let browser: Browser;
  let shots: string;
  beforeAll(async () => {
    t = await startTestApp({
      config: readFileSync(path.join(ROOT, 'gapwatch.config.yaml'), 'utf8'),
      env: { GAPWATCH_API_KEYS: `ops:operator:${OPERATOR},viewer:reader:${READER}` },
    });
    browser = await launchChromium();
    shots = screenshotDir('status-page');
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function open(context: BrowserContext, url: string, key?: string): Promise<{ page: Page; requested: string[]; problems: string[] }> {
    const page = await context.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${t.url}${url}`);
    if (key) {
      // gapwatch has keys: the page asks for one, once per browser session.
      await page.locator('#key-dialog').waitFor({ state: 'visible' });
      await page.locator('#key-input').fill(key);
      await page.locator('#key-form button[type=submit]').click();
    }
    await page.locator('#heatmap[data-loaded="true"]').waitFor({ timeout: 60_000 });
    return { page, requested, problems };
  }

  /** The focused cell's description, after moving the keyboard focus to group row `g`, bucket `b`. */
  async function cell(page: Page, g: number, b: number): Promise<string> {
    const canvas = page.locator('canvas.heatmap-canvas');
    await canvas.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 4; i++) await page.keyboard.press('PageUp');
    for (let i = 0; i < g; i++) await page.keyboard.press('ArrowDown');
    const page30 = 30; // ']' moves an eighth of the 240 buckets in view
    for (let i = 0; i < Math.floor(b / page30); i++) await page.keyboard.press(']');
    for (let i = 0; i < b % page30; i++) await page.keyboard.press('ArrowRight');
    return page.locator('#cell-live').innerText();
  }

  const bucketOf = (iso: string) => (Date.parse(iso) - Date.parse(SAMPLE_RANGE.start)) / HOUR;

  it('shows the sample’s planted defects on the heatmap, each named by hover or keyboard, and asks nothing off this machine', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page, requested, problems } = await open(context, SAMPLE, OPERATOR);
    // The legend counts the window's 3 × 240 buckets by state: each planted defect, the rest OK.
    const legend = Object.fromEntries(
      await page.locator('#legend li').evaluateAll((items) => items.map((li) => [li.textContent!.replace(/\(.*\)/, '').trim(), li.querySelector('.count')!.textContent])),
    );
    expect(legend).toStrictEqual({
      OK: '(688)',
      Underfilled: '(3)',
      Missing: '(28)',
      'Partial edge': '(1)',
      Settling: '(0)',
      'Before series start': '(0)',
      'Calendar closed': '(0)',
    });
    for (const d of SAMPLE_DEFECTS) {
      const text = await cell(page, GROUPS.indexOf(d.symbol), bucketOf(d.start));
      const word = { MISSING: 'Missing', ABSENT_DAY: 'Missing', UNDERFILLED: 'Underfilled', STARTS_MID_HOUR: 'Partial edge' }[d.kind];
      expect(text).toContain(`${d.symbol} · `);
      expect(text).toContain(` · ${word} · `);
    }
    expect(await cell(page, 0, bucketOf('2024-03-05T13:00:00Z'))).toBe('AMZN · Tue 05 Mar 13:00–14:00 UTC · Missing · 0 of 60 expected');
    expect(await cell(page, 2, bucketOf('2024-03-06T07:00:00Z'))).toBe('WORK · Wed 06 Mar 07:00–08:00 UTC · Underfilled · 12 of 60 expected');
    // Hover names the same cell as focus does.
    await page.locator('canvas.heatmap-canvas').blur();
    const box = (await page.locator('canvas.heatmap-canvas').boundingBox())!;
    expect(await page.locator('.heatmap-tip').isVisible()).toBe(false);
    await page.mouse.move(box.x + box.width - 9, box.y + 24 + 22 * 2 + 11);
    await page.locator('.heatmap-tip').waitFor({ state: 'visible' });
    expect(await page.locator('.heatmap-tip').innerText()).toMatch(/^WORK · Wed 13 Mar 23:00–00:00 UTC · OK · \d+ of 60 expected$|^WORK · Wed 13 Mar 23:00 – Thu 14 Mar 00:00 UTC · OK · \d+ of 60 expected$/);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(shots, 'status-sample-defects.png'), fullPage: true });

    expect(problems).toStrictEqual([]);
    expect(offMachine(requested)).toStrictEqual([]);
    await context.close();
  });

  it('keeps its view in the URL: a reload, or the link in another tab of the session, opens the same zoom', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page } = await open(context, SAMPLE, OPERATOR);
    await cell(page, 1, bucketOf('2024-03-07T00:00:00Z'));
    for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).location.search.includes('zoom='));
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ dataset: 'stock_ticks', from: '2024-03-04', to: '2024-03-14', zoom: '2024-03-07T00:00:00.000Z..2024-03-07T06:00:00.000Z' });
    const zoomed = await page.locator('#zoom-info').innerText();
    expect(zoomed).toBe('Showing Thu 07 Mar 00:00–06:00 UTC');
    // The same link in a new tab of this browser session: no key asked again, the same view.
    const again = await context.newPage();
    await again.goto(url.toString());
    await again.locator('#heatmap[data-loaded="true"]').waitFor({ timeout: 60_000 });
    expect(await again.locator('#key-dialog').isVisible()).toBe(false);
    expect(await again.locator('#zoom-info').innerText()).toBe(zoomed);
    await context.close();
  });

  it('repairs a selected range: the run appears, goes Repair → Validate → Initiate with its state lit, and the cells turn OK', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
    const { page } = await open(context, SAMPLE, OPERATOR);
    const repair = gate();
    const validate = gate();
    mockGates.repair = repair.promise;
    mockGates.validate = validate.promise;
    try {
      // GOOG's two missing hours on 7 March, selected with the keyboard (a drag selects the same way).
      const start = bucketOf('2024-03-07T01:00:00Z');
      expect(await cell(page, 1, start)).toContain('GOOG · Thu 07 Mar 01:00–02:00 UTC · OK');
      for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowRight');
      expect(await page.locator('#selection-info').innerText()).toBe('Selected GOOG, Thu 07 Mar 01:00–05:00 UTC: 1 gap range.');
      await page.locator('#repair').click();

      const machine = page.locator('#machine');
      await machine.locator('[data-state="Repair"].current').waitFor({ timeout: 30_000 });
      expect(await page.locator('.run-item[aria-pressed="true"] .run-status').innerText()).toBe('RUNNING');
      await page.screenshot({ path: path.join(shots, 'status-repair-1-repair.png'), fullPage: true });
      repair.open();

      await machine.locator('[data-state="Validate"].current').waitFor({ timeout: 30_000 });
      // Not yet confirmed: the cells are still as the last check read them.
      expect(await cell(page, 1, bucketOf('2024-03-07T02:00:00Z'))).toContain('· Missing ·');
      await page.screenshot({ path: path.join(shots, 'status-repair-2-validate.png'), fullPage: true });
      validate.open();

      await page.locator('#run-head[data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
      await machine.locator('[data-state="Initiate"].succeeded').waitFor({ timeout: 30_000 });
      const path_ = await machine.locator('svg').getAttribute('aria-label');
      expect(path_).toMatch(/Mode → Repair → Validate → Validated → Initiate/);
      // The cells read back from a check after Validate: OK now.
      await page.locator('#legend .count[data-state="MISSING"]').getByText('(26)').waitFor({ timeout: 30_000 });
      expect(await cell(page, 1, bucketOf('2024-03-07T02:00:00Z'))).toMatch(/^GOOG · Thu 07 Mar 02:00–03:00 UTC · OK · \d+ of 60 expected$/);
      expect(await cell(page, 1, bucketOf('2024-03-07T03:00:00Z'))).toMatch(/· OK ·/);
      const events = await page.locator('#events li').allInnerTexts();
      expect(events[0]).toMatch(/^#1 ExecutionStarted/);
      expect(events.at(-1)).toMatch(/ExecutionSucceeded/);
      await page.locator('canvas.heatmap-canvas').blur();
      await page.screenshot({ path: path.join(shots, 'status-repair-3-initiate-cells-ok.png'), fullPage: true });
    } finally {
      repair.open();
      validate.open();
      mockGates.repair = Promise.resolve();
      mockGates.validate = Promise.resolve();
    }
    await context.close();
  });

  it('shows a reader everything, and no buttons that change anything', async () => {
    // A run in the history to read (a check of a clean day, started by an operator).
    const started = await t.gql('mutation { startCheck(dataset: "stock_ticks", from: "2024-03-10", to: "2024-03-11") { id } }', undefined, { authorization: `Bearer ${OPERATOR}` });
    expect(started.errors).toBeUndefined();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page } = await open(context, SAMPLE, READER);
    expect(await page.locator('#viewer').innerText()).toBe('viewer · reader');
    expect(await page.locator('#repair').count()).toBe(0);
    expect(await page.locator('#stop-run').isVisible()).toBe(false);
    // The run history and its machine are there to read.
    await page.locator('.run-item').first().waitFor();
    await page.locator('#machine svg').waitFor();
    await cell(page, 1, bucketOf('2024-03-07T01:00:00Z'));
    await page.keyboard.press('Shift+ArrowRight');
    expect(await page.locator('#selection-info').innerText()).toMatch(/^Selected GOOG/);
    expect(await page.getByRole('button', { name: /^Repair/ }).count()).toBe(0);
    await page.locator('canvas.heatmap-canvas').blur();
    await page.screenshot({ path: path.join(shots, 'status-reader.png'), fullPage: true });
    await context.close();
  });

  it('says why a run failed, in words, with the state it ended in marked', async () => {
    // The wide dataset has no repair action: the run's Repair fails with gapwatch.RepairNotConfigured.
    const started = await t.gql(
      `mutation { startRepair(dataset: "stock_ticks_hourly_wide", from: "2024-03-05", to: "2024-03-06", ranges: [{ group: "AMZN", start: "2024-03-05T13:00:00Z", end: "2024-03-05T14:00:00Z" }]) { id } }`,
      undefined,
      { authorization: `Bearer ${OPERATOR}` },
    );
    expect(started.errors).toBeUndefined();
    const id: string = started.data.startRepair.id;
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const { page } = await open(context, `/status?dataset=stock_ticks_hourly_wide&from=2024-03-05&to=2024-03-06&run=${encodeURIComponent(id)}`, READER);
    await page.locator('#run-head[data-status="FAILED"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#run-cause').innerText()).toMatch(
      /^This dataset has no repair action configured \(repair: in the config file\): range AMZN from 2024-03-05T13:00:00.000Z to 2024-03-05T14:00:00.000Z could not be repaired: .+ \(gapwatch\.RepairNotConfigured\)$/,
    );
    // The state the run last entered, as its history says, is the one marked failed (inside Repair, here).
    const history = await t.gql(`query ($id: ID!) { run(id: $id) { events(first: 1000) { edges { node { type state } } } } }`, { id }, { authorization: `Bearer ${READER}` });
    const last = history.data.run.events.edges.map((e: any) => e.node).filter((e: any) => e.type.endsWith('StateEntered')).at(-1).state;
    await page.locator(`#machine [data-state="${last}"].failed`).waitFor({ timeout: 30_000 });
    expect(await page.locator('#machine [data-state="Repair"].visited').count()).toBe(1);
    await page.screenshot({ path: path.join(shots, 'status-run-failed.png'), fullPage: true });
    await context.close();
  });

  it('says what failed, in words, when the key is wrong', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.url}${SAMPLE}`);
    await page.locator('#key-input').fill('not-a-key-gapwatch-knows');
    await page.locator('#key-form button[type=submit]').click();
    await page.locator('#key-reason').getByText('gapwatch did not accept this key.').waitFor();
    await context.close();
  });
});

describeBrowser('the status page at 500 groups × 744 buckets', () => {
  let t: TestApp;
  let browser: Browser;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-status-lake-'));
  beforeAll(async () => {
    t = await startTestApp({ dataDir, config: await writeStatusLake(dataDir) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('draws every cell on one canvas, in chunks the server allows, without moving the page', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    // Every layout shift the page makes while it loads, as Chromium reports them.
    await page.addInitScript(() => {
      const w = globalThis as any;
      w.__shifts = [];
      new w.PerformanceObserver((list: any) => w.__shifts.push(...list.getEntries().map((e: any) => e.value))).observe({ type: 'layout-shift', buffered: true });
    });
    const operations: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') operations.push(JSON.parse(r.postData() ?? '{}').operationName ?? /(query|mutation)\s+(\w+)/.exec(JSON.parse(r.postData() ?? '{}').query ?? '')?.[2] ?? '?');
    });
    await page.goto(`${t.url}/status?dataset=many_groups&from=${LAKE_FROM}&to=${LAKE_TO}`);
    // Four checks of 372,000 count rows each (a check reads every group's rows and keeps the asked-for ones).
    await page.locator('#heatmap[data-loaded="true"]').waitFor({ timeout: 280_000 });
    const counts = await page.locator('#legend .count').allInnerTexts();
    const total = counts.reduce((n, c) => n + Number(c.replace(/[(),]/g, '')), 0);
    expect(total).toBe(LAKE_GROUPS * LAKE_HOURS);
    expect(await page.locator('#legend .count[data-state="LOADING"]').count()).toBe(0);
    // maxSeriesCells (100,000) over 745 buckets: 134 groups a request, four requests.
    expect(operations.filter((o) => o === 'StatusSeries')).toHaveLength(4);
    expect(await page.locator('canvas').count()).toBe(1);
    expect(await page.locator('*').count()).toBeLessThan(400);
    expect(await page.evaluate(() => (globalThis as any).__shifts.reduce((a: number, b: number) => a + b, 0))).toBe(0);
    expect(await cell500(page)).toMatch(/^G007 · Sat 13 Jan 12:00–13:00 UTC · Missing · 0 of 2 expected$/);
    await page.screenshot({ path: path.join(screenshotDir('status-page'), 'status-500-groups.png'), fullPage: true });
    await context.close();
  }, 300_000);

  /** G007 was out for 24 hours from hour 300 (Saturday 13 January, 12:00 UTC). */
  async function cell500(page: Page): Promise<string> {
    await page.locator('canvas.heatmap-canvas').focus();
    for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowDown');
    // ']' moves an eighth of the 744 buckets in view (93).
    for (let i = 0; i < 3; i++) await page.keyboard.press(']');
    for (let i = 0; i < 300 - 279; i++) await page.keyboard.press('ArrowRight');
    return page.locator('#cell-live').innerText();
  }
});
