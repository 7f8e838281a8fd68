/**
 * The status page at 500 groups × 744 hourly buckets (bench/status-lake.ts), in headless Chromium against
 * the built service, each figure a ratio against a peer measured in the same run and the same browser:
 *
 * - load: from navigation until every cell is drawn, against the same series requests (same chunks, same
 *   service) fetched and parsed by a bare page: what the page adds on top of its data.
 * - main thread while loading: the page's longest task (it parses on a worker) against the bare page's
 *   longest task parsing the same responses on its own thread. Layout shifts are counted too (CLS).
 * - a hover step across the map: a pointer move to a new cell and the frame that shows it, on the canvas,
 *   against a DOM heatmap of the same 372,000 cells (one element each) changing one cell's class.
 *
 * Run alone: `npm run build && node dist/bench/status.bench.js` (CHROMIUM_PATH for another browser).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { type BenchResult, runStandalone } from './result';
import { startBuiltService } from './service';
import { LAKE_FROM, LAKE_GROUPS, LAKE_HOURS, LAKE_TO, lakeGroups, writeStatusLake } from './status-lake';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOVER_STEPS = 120;
const SERIES_CELLS = 100_000;

/** Long tasks and layout shifts from the page's first moment (a PerformanceObserver set before any script). */
async function observe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = globalThis as any;
    w.__long = [];
    w.__shifts = 0;
    new w.PerformanceObserver((l: any) => w.__long.push(...l.getEntries().map((e: any) => e.duration))).observe({ type: 'longtask', buffered: true });
    new w.PerformanceObserver((l: any) => l.getEntries().forEach((e: any) => (w.__shifts += e.value))).observe({ type: 'layout-shift', buffered: true });
  });
}

async function measurePage(browser: Browser, url: string): Promise<{ ms: number; longest: number; cls: number; hoverMs: number }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await observe(page);
  const started = Date.now();
  await page.goto(`${url}/status?dataset=many_groups&from=${LAKE_FROM}&to=${LAKE_TO}`);
  await page.locator('#heatmap[data-loaded="true"]').waitFor({ timeout: 600_000 });
  const ms = Date.now() - started;
  const { longest, cls } = await page.evaluate(() => {
    const w = globalThis as any;
    return { longest: Math.max(0, ...w.__long), cls: w.__shifts };
  });
  const box = (await page.locator('canvas.heatmap-canvas').boundingBox())!;
  const hoverMs = await page.evaluate(
    async ({ steps, box }) => {
      const w = globalThis as any;
      const canvas = w.document.querySelector('canvas.heatmap-canvas');
      const frame = () => new Promise((r) => w.requestAnimationFrame(r));
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const x = box.x + 170 + ((i * 37) % (box.width - 190));
        const y = box.y + 30 + ((i * 53) % (box.height - 40));
        const t0 = w.performance.now();
        canvas.dispatchEvent(new w.PointerEvent('pointermove', { clientX: x, clientY: y, bubbles: true }));
        await frame();
        await frame();
        times.push(w.performance.now() - t0);
      }
      times.sort((a: number, b: number) => a - b);
      return times[Math.floor(times.length / 2)];
    },
    { steps: HOVER_STEPS, box },
  );
  await page.close();
  return { ms, longest, cls, hoverMs };
}

/** The peer: the page's own series requests, fetched and parsed on a bare page's thread. */
async function measureBare(browser: Browser, url: string): Promise<{ ms: number; longest: number }> {
  const page = await browser.newPage();
  await observe(page);
  await page.goto(`${url}/healthz`);
  const buckets = LAKE_HOURS + 1;
  const size = Math.floor(SERIES_CELLS / buckets);
  const chunks: string[][] = [];
  const groups = lakeGroups();
  for (let i = 0; i < groups.length; i += size) chunks.push(groups.slice(i, i + size));
  const ms = await page.evaluate(
    async ({ chunks, from, to }) => {
      const w = globalThis as any;
      const t0 = w.performance.now();
      for (const groups of chunks) {
        const res = await w.fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: `query Bare($groups: [String!]) { gaps(dataset: "many_groups", from: "${from}", to: "${to}", groups: $groups) { status series { group buckets { start count expected status } } } }`,
            variables: { groups },
          }),
        });
        const body = JSON.parse(await res.text());
        if (!body.data) throw new Error(JSON.stringify(body.errors));
      }
      return w.performance.now() - t0;
    },
    { chunks, from: LAKE_FROM, to: LAKE_TO },
  );
  const longest = await page.evaluate(() => Math.max(0, ...(globalThis as any).__long));
  await page.close();
  return { ms, longest };
}

/** The peer of a hover: a DOM heatmap, one element per cell, the hovered one marked by a class. */
async function measureDomHover(browser: Browser, url: string): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${url}/healthz`);
  return page.evaluate(
    async ({ groups, hours, steps }) => {
      const w = globalThis as any;
      const d = w.document;
      d.body.innerHTML = '';
      const style = d.createElement('style');
      style.textContent = `.grid{display:grid;grid-template-columns:repeat(${hours},1.2px);grid-auto-rows:2px}.c{background:#dcefe6}.m{background:#b4480a}.h{outline:2px solid #000}`;
      d.head.append(style);
      const grid = d.createElement('div');
      grid.className = 'grid';
      const cells: any[] = [];
      for (let i = 0; i < groups * hours; i++) {
        const c = d.createElement('div');
        c.className = i % 211 === 0 ? 'c m' : 'c';
        cells.push(c);
        grid.appendChild(c);
      }
      d.body.append(grid);
      void grid.offsetHeight;
      const frame = () => new Promise((r) => w.requestAnimationFrame(r));
      await frame();
      const times: number[] = [];
      let last: any = null;
      for (let i = 0; i < steps; i++) {
        const t0 = w.performance.now();
        last?.classList.remove('h');
        last = cells[(i * 7919) % cells.length];
        last.classList.add('h');
        await frame();
        await frame();
        times.push(w.performance.now() - t0);
      }
      times.sort((a: number, b: number) => a - b);
      return times[Math.floor(times.length / 2)];
    },
    { groups: LAKE_GROUPS, hours: LAKE_HOURS, steps: HOVER_STEPS },
  );
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-bench-status-'));
  const config = path.join(dir, 'gapwatch.config.yaml');
  writeFileSync(config, await writeStatusLake(dir));
  const service = await startBuiltService({ GAPWATCH_DATA_DIR: dir, GAPWATCH_CONFIG: config });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    // Peer and page alternate, each twice, so a slow minute of the machine falls on both.
    const pages = [];
    const bares = [];
    for (let i = 0; i < 2; i++) {
      bares.push(await measureBare(browser, service.url));
      pages.push(await measurePage(browser, service.url));
    }
    const dom = await measureDomHover(browser, service.url);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const page = { ms: Math.min(...pages.map((p) => p.ms)), longest: Math.max(...pages.map((p) => p.longest)), cls: Math.max(...pages.map((p) => p.cls)), hoverMs: median(pages.map((p) => p.hoverMs)) };
    const bare = { ms: Math.min(...bares.map((b) => b.ms)), longest: Math.max(...bares.map((b) => b.longest)) };
    const cells = `${LAKE_GROUPS} groups × ${LAKE_HOURS} buckets`;
    return [
      {
        name: `status page load, ${cells}, vs its series requests alone`,
        ratio: page.ms / bare.ms,
        target: '≤ 1.25×',
        pass: page.ms / bare.ms <= 1.25,
        detail: `page ${page.ms} ms to every cell drawn (best of 2); the same 4 chunked gaps { series } requests fetched and parsed by a bare page ${Math.round(bare.ms)} ms; layout shift (CLS) ${page.cls.toFixed(3)}`,
      },
      {
        name: `status page longest main-thread task while loading, vs parsing the same series on the page's thread`,
        ratio: page.longest / Math.max(1, bare.longest),
        target: '≤ 0.5×',
        pass: page.longest / Math.max(1, bare.longest) <= 0.5,
        detail: `page ${Math.round(page.longest)} ms (series parsed on a worker); bare page ${Math.round(bare.longest)} ms`,
      },
      {
        name: `hover step on the ${cells} map (pointer move to the frame that shows it), canvas vs a DOM grid of the same cells`,
        ratio: page.hoverMs / dom,
        target: '≤ 0.25×',
        pass: page.hoverMs / dom <= 0.25,
        detail: `canvas median ${page.hoverMs.toFixed(1)} ms; DOM grid (${(LAKE_GROUPS * LAKE_HOURS).toLocaleString('en')} elements) median ${dom.toFixed(1)} ms; ${HOVER_STEPS} steps each`,
      },
    ];
  } finally {
    await browser.close();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone(run, { exit: true });
