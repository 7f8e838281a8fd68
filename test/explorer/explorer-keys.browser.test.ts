import type { Browser, Page } from 'playwright-core';
import { describeBrowser, launchChromium } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';

const KEY = 'explorer-reader-0123456789';

/** The explorer against a gapwatch with API keys: one key, typed once, for every tab. */
describeBrowser('the explorer with API keys', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp({ env: { GAPWATCH_API_KEYS: `me:reader:${KEY}` } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t.stop();
  });

  const response = (page: Page): Promise<string> =>
    page.evaluate(() => (globalThis as any).document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '');

  /** Presses run until the response pane shows `expected` (a click during a tab switch's render can be lost). */
  async function run(page: Page, expected: string): Promise<string> {
    const result = page.locator('.graphiql-response .CodeMirror');
    for (let attempt = 1; ; attempt++) {
      await page.locator('button.graphiql-execute-button').click();
      try {
        await result.getByText(expected).first().waitFor({ timeout: 15_000 });
        return response(page);
      } catch (err) {
        if (attempt === 2) throw err;
      }
    }
  }

  async function openTab(page: Page, tab: RegExp, text: string): Promise<void> {
    await page.getByRole('tab', { name: tab }).click();
    await page.locator('.graphiql-query-editor .CodeMirror').getByText(text).first().waitFor({ timeout: 30_000 });
  }

  it('says where the key goes, in words, over HTTP and WebSocket alike, when there is none', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/graphql`);
    await page.locator('.graphiql-query-editor .CodeMirror').getByText('health').first().waitFor({ timeout: 30_000 });
    const http = JSON.parse(await run(page, 'UNAUTHENTICATED'));
    expect(http.errors[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(http.errors[0].message).toContain('enter your API key in the box at the top of the explorer');

    await openTab(page, /Heartbeat/, 'heartbeat(');
    const ws = await run(page, 'closed the subscription');
    const body = JSON.parse(ws);
    expect(body.errors[0].message).toMatch(/^gapwatch closed the subscription’s WebSocket: UNAUTHENTICATED: .* — enter your API key in the box at the top of the explorer/);
    // A message, not a (minified) stack trace.
    expect(ws).not.toMatch(/\bat \S+ \(|\.js:\d+:\d+/);
    await page.close();
  });

  it('takes the key once, for every tab: a query, then a subscription in another tab', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/graphql`);
    await page.locator('.graphiql-query-editor .CodeMirror').getByText('health').first().waitFor({ timeout: 30_000 });
    await page.locator('#gw-key').fill(KEY);
    await page.locator('#gw-key-form button[type=submit]').click();
    await page.locator('#gw-key-state').getByText('a key is set for this browser session').waitFor();
    expect(JSON.parse(await run(page, '"status"')).data.health.status).toBe('OK');

    await openTab(page, /Heartbeat/, 'heartbeat(');
    const ticks = JSON.parse(await run(page, '"seq"'));
    expect(ticks.data.heartbeat[0]).toMatchObject({ seq: 1 });
    await page.locator('button.graphiql-execute-button').click(); // stops the subscription

    // The same browser session's status page has it too: no key asked for.
    await page.goto(`${t.url}/status`);
    await page.locator('#viewer').getByText('me · reader').waitFor({ timeout: 30_000 });
    expect(await page.locator('#key-dialog').isVisible()).toBe(false);
    await page.close();
  });
});
