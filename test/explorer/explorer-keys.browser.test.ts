import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const describeBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

const KEY = 'explorer-reader-0123456789';

/** The explorer against a gapwatch with API keys: a person types the key into GraphiQL's Headers tab. */
describeBrowser('the explorer with API keys', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp({ env: { GAPWATCH_API_KEYS: `me:reader:${KEY}` } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t.stop();
  });

  async function enterKey(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Headers' }).click();
    const headers = page.locator('.graphiql-editor-tool .CodeMirror').last();
    await headers.click();
    await page.keyboard.type(`{"Authorization": "Bearer ${KEY}"`);
  }

  async function run(page: Page, expected: string): Promise<string> {
    const result = page.locator('.graphiql-response .CodeMirror');
    for (let attempt = 1; ; attempt++) {
      await page.locator('button.graphiql-execute-button').click();
      try {
        await result.getByText(expected).first().waitFor({ timeout: 15_000 });
        return (await result.innerText()).replace(/\s+/g, '');
      } catch (err) {
        if (attempt === 2) throw err;
      }
    }
  }

  it('answers UNAUTHENTICATED without a key, and runs a query and a subscription with the one in Headers', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/graphql`);
    await page.locator('.graphiql-query-editor .CodeMirror').getByText('health').first().waitFor({ timeout: 30_000 });
    expect(await run(page, 'UNAUTHENTICATED')).toContain('"code":"UNAUTHENTICATED"');

    await enterKey(page);
    expect(await run(page, '"status"')).toContain('"status":"OK"');

    await page.getByRole('tab', { name: /Heartbeat/ }).click();
    await page.locator('.graphiql-query-editor .CodeMirror').getByText('heartbeat(').waitFor({ timeout: 30_000 });
    // Headers belong to the tab in GraphiQL: the new tab needs the key too.
    await enterKey(page);
    expect(await run(page, '"seq"')).toContain('"seq"');
    await page.locator('button.graphiql-execute-button').click(); // stops the subscription
    await page.close();
  });
});
