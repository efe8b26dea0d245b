/**
 * The HTML reports in a real browser (Debian chromium via playwright-core, see browser.ts): the
 * pages are made by the CLI (`analyze --html`, `diff --html`, in process), opened from file://
 * with every request intercepted, then checked against the JSON reports the same runs printed:
 * treemap areas proportional to bytes, the layer filter, the wasted toggle, keyboard zoom, no
 * console errors, no network. Also saves the README screenshots into docs/examples/.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffReport, Report } from '../../packages/core/src/index.js';
import { renderAnalyzeHtml, renderDiffHtml } from '../../packages/cli/src/render/html/index.js';
import { makeReport } from '../diff/make-report.js';
import { CHROMIUM_PATH, ensureChromium, launchChromium, openReport, type OpenedBrowser, type OpenedPage } from './browser.js';
import { runCliInProcess } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Relative when possible: the refs end up in the example pages saved under docs/examples.
const NAIVE = relative(process.cwd(), join(ROOT, 'fixtures/images/examples/naive-ml.tar.gz'));
const OPTIMIZED = relative(process.cwd(), join(ROOT, 'fixtures/images/examples/optimized-ml.tar.gz'));
const DOCS = join(ROOT, 'docs/examples');

// Outside CI a missing chromium skips the suite (browser.ts prints one loud line); under CI=true
// it is installed in beforeAll.
const skip = process.env.CI !== 'true' && !existsSync(CHROMIUM_PATH) && ensureChromium() !== undefined;

const cli = (args: string[]) => runCliInProcess(args);

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  bytes: number;
  part: string;
  id: number;
}

/** The rendered boxes at `depth` (inside `within`, a CSS selector, when given), in page pixels. */
async function boxes(page: Page, depth: number, within = '#tm-host svg.tm'): Promise<Box[]> {
  return page.$$eval(`${within} rect[data-depth="${depth}"]`, (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      const d = (e as SVGElement).dataset;
      return { x: r.x, y: r.y, w: r.width, h: r.height, bytes: Number(d.bytes), part: d.part ?? '', id: Number(d.id) };
    }),
  );
}

async function mapArea(page: Page): Promise<number> {
  return page.$eval('#tm-host svg.tm', (e) => {
    const r = e.getBoundingClientRect();
    return r.width * r.height;
  });
}

/** Page y just below the element (for screenshots down to it). */
async function bottomOf(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (e) => Math.ceil(e.getBoundingClientRect().bottom + window.scrollY + 16));
}

function sum(list: readonly number[]): number {
  return list.reduce((s, n) => s + n, 0);
}

/** Every box's area is its share of the bytes times `area`, within rounding (0.01 px coordinates). */
function expectProportional(list: Box[], area: number): void {
  const total = sum(list.map((b) => b.bytes));
  expect(total).toBeGreaterThan(0);
  for (const b of list) {
    const expected = (b.bytes / total) * area;
    expect(Math.abs(b.w * b.h - expected), `box ${b.id} (${b.bytes} B): area ${b.w * b.h} vs ${expected}`).toBeLessThanOrEqual(Math.max(1, expected * 0.002));
  }
  expect(Math.abs(sum(list.map((b) => b.w * b.h)) - area)).toBeLessThanOrEqual(Math.max(2, area * 0.001));
}

/** Visible bytes per top-level directory, straight from the report's per-path rows. */
function topLevelVisible(r: Report, under = '/'): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of r.files!.entries) {
    if (!row[0].startsWith(under)) continue;
    const rest = row[0].slice(under.length).replace(/^\//, '');
    const first = rest.split('/')[0]!;
    if (row[2] > 0) out.set(first, (out.get(first) ?? 0) + row[2]);
  }
  return out;
}

async function treemapItems(page: Page): Promise<Array<{ path: string; value: number; part: string }>> {
  return page.evaluate(() => {
    const api = (window as unknown as { imgsizeTreemap: { api: { items(): Array<{ node: unknown; value: number; part: string }>; pathOf(n: unknown): string } } }).imgsizeTreemap.api;
    return api.items().map((it) => ({ path: api.pathOf(it.node), value: it.value, part: it.part }));
  });
}

async function zoomPath(page: Page): Promise<string> {
  return page.evaluate(() => {
    const api = (window as unknown as { imgsizeTreemap: { api: { zoom(): unknown; pathOf(n: unknown): string } } }).imgsizeTreemap.api;
    return api.pathOf(api.zoom());
  });
}

describe.skipIf(skip)('HTML report in headless chromium', () => {
  let chrome: OpenedBrowser;
  let tmp: string;
  let report: Report;
  let diff: DiffReport;
  let naiveHtml: string;
  let diffHtml: string;

  beforeAll(async () => {
    ensureChromium();
    tmp = mkdtempSync(join(tmpdir(), 'imgsize-html-'));
    naiveHtml = join(tmp, 'naive.html');
    diffHtml = join(tmp, 'diff.html');
    const a = await cli(['analyze', NAIVE, '--html', naiveHtml, '--json', '--include-files']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/^imgsize: wrote .*naive\.html \([\d.]+ kB\)\n$/);
    report = JSON.parse(a.stdout) as Report;
    const d = await cli(['diff', NAIVE, OPTIMIZED, '--html', diffHtml, '--json', '--quiet']);
    expect(d.code, d.stderr).toBe(0);
    diff = JSON.parse(d.stdout) as DiffReport;
    chrome = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await chrome?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('analyze --html without --include-files keeps the per-path rows out of the JSON it prints', async () => {
    const r = await cli(['analyze', NAIVE, '--html', join(tmp, 'plain.html'), '--json', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as Report).files).toBeUndefined();
    expect(existsSync(join(tmp, 'plain.html'))).toBe(true);
  });

  describe('analyze page (naive example)', () => {
    let opened: OpenedPage;
    let page: Page;
    beforeAll(async () => {
      opened = await openReport(chrome.context, naiveHtml);
      page = opened.page;
    });
    afterAll(async () => {
      await page?.close();
    });

    it('shows the summary cards, each size labelled compressed or uncompressed', async () => {
      const cards = await page.$$eval('#summary .card', (els) => els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, ' ')));
      expect(cards).toHaveLength(7);
      for (const [i, label] of ['Shipped', 'Compressed', 'Visible', 'Wasted', 'Est. cold start', 'Est. pull time (fetch only)', 'Potential savings'].entries()) {
        expect(cards[i]).toContain(label);
        expect(cards[i]).toMatch(/\b(un)?compressed\b/);
      }
      expect(cards[0]).toContain('5.20 MB');
    });

    it('draws the treemap with areas proportional to the bytes of the report', async () => {
      const top = await boxes(page, 1);
      expect(top.length).toBeGreaterThan(3);
      expect(sum(top.map((b) => b.bytes))).toBe(report.summary.visibleBytes);
      expectProportional(top, await mapArea(page));
      // The boxes are the report's top-level directories, with their bytes.
      const items = await treemapItems(page);
      expect(new Map(items.map((i) => [i.path.slice(1), i.value]))).toEqual(topLevelVisible(report));
      // One level down, inside the biggest folder: proportional among themselves too.
      const inner = await boxes(page, 2, '#tm-host g[data-top="0"]');
      const big = inner.filter((b) => b.w * b.h > 50);
      expect(big.length).toBeGreaterThan(1);
      const ratios = big.map((b) => (b.w * b.h) / b.bytes);
      for (const r of ratios) expect(Math.abs(r / ratios[0]! - 1)).toBeLessThan(0.01);
    });

    it('the layer filter shows what one layer added; the wasted toggle adds hidden bytes in place', async () => {
      const layer = report.layers.reduce((a, b) => (b.visibleBytes > a.visibleBytes ? b : a));
      await page.selectOption('#tm-layer', String(layer.index));
      let top = await boxes(page, 1);
      expect(sum(top.map((b) => b.bytes))).toBe(layer.visibleBytes);
      const fromRows = sum(report.files!.entries.filter((r) => r.length > 3 && r[4] === layer.index).map((r) => r[2]));
      expect(fromRows).toBe(layer.visibleBytes);
      expectProportional(top, await mapArea(page));
      expect(await page.textContent('#tm-status')).toContain(`layer ${layer.index}`);

      await page.check('#tm-wasted');
      top = await boxes(page, 1);
      expect(sum(top.map((b) => b.bytes))).toBe(layer.contentBytes);

      await page.selectOption('#tm-layer', '-1');
      top = await boxes(page, 1);
      expect(sum(top.map((b) => b.bytes))).toBe(report.summary.contentBytes);
      expectProportional(top, await mapArea(page));
      const wasted = await page.$$eval('#tm-host rect[data-part="wasted"]', (els) => els.length);
      expect(wasted).toBeGreaterThan(0);
      const legend = await page.textContent('#tm-legend');
      expect(legend).toContain('Wasted');

      // A layer that only deletes adds nothing: the map says so instead of drawing.
      const deleter = report.layers.find((l) => l.contentBytes === 0)!;
      await page.uncheck('#tm-wasted');
      await page.selectOption('#tm-layer', String(deleter.index));
      expect(await page.isVisible('#tm-host .tm-empty')).toBe(true);
      await page.selectOption('#tm-layer', '-1');
      expect(sum((await boxes(page, 1)).map((b) => b.bytes))).toBe(report.summary.visibleBytes);
    });

    it('zooms with the keyboard: Tab in, arrows move, Enter zooms in, Backspace and Escape zoom out', async () => {
      await page.focus('#tm-wasted');
      await page.keyboard.press('Tab');
      const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-top') ?? null);
      expect(await focused()).toBe('0');
      expect(await page.getAttribute('.tm-ring', 'visibility')).toBe('visible');
      expect(await page.textContent('#tm-info')).toMatch(/^\/\S+/);
      await page.keyboard.press('ArrowRight');
      const moved = await focused();
      expect(moved).not.toBe('0');
      expect(moved).not.toBeNull();
      await page.keyboard.press('ArrowLeft');
      expect(await focused()).toBe('0');

      const [first] = await treemapItems(page);
      await page.keyboard.press('Enter');
      const zoomed = await zoomPath(page);
      expect(zoomed.startsWith(first!.path)).toBe(true);
      expect(await page.textContent('.crumbs [aria-current]')).toBe(zoomed.split('/').pop());
      const top = await boxes(page, 1);
      expect(sum(top.map((b) => b.bytes))).toBe(first!.value);
      expect(sum([...topLevelVisible(report, zoomed).values()])).toBe(first!.value);
      expectProportional(top, await mapArea(page));
      expect(await focused()).not.toBeNull();

      await page.keyboard.press('Backspace');
      expect(await zoomPath(page)).toBe(zoomed.split('/').slice(0, -1).join('/') || '/');
      await page.keyboard.press('Home');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Escape');
      while ((await zoomPath(page)) !== '/') await page.keyboard.press('Escape');
      expect(sum((await boxes(page, 1)).map((b) => b.bytes))).toBe(report.summary.visibleBytes);
    });

    it('zooms with the mouse: a click on a folder zooms in, the crumbs zoom back out', async () => {
      const items = await treemapItems(page);
      await page.click('#tm-host g[data-top="0"] > rect[data-depth="1"]', { position: { x: 20, y: 6 } });
      expect((await zoomPath(page)).startsWith(items[0]!.path)).toBe(true);
      await page.click('.crumbs button:has-text("/")');
      expect(await zoomPath(page)).toBe('/');
    });

    it('lists layers with their instruction, findings with fixes, and a sortable packages table', async () => {
      expect(await page.$$eval('#layers tbody tr', (els) => els.length)).toBe(report.layers.length);
      expect(await page.textContent('#layers')).toContain('RUN pip install torch==2.2.0');
      const findings = await page.$$eval('#findings details.finding', (els) => els.length);
      expect(findings).toBe(report.findings!.length);
      expect(await page.textContent('#findings')).toContain(report.findings![0]!.fix.split('\n')[0]!);
      const firstName = () => page.textContent('#packages tbody tr:first-child td:nth-child(2)');
      const biggest = [...report.packages!.packages].sort((a, b) => b.visibleBytes - a.visibleBytes)[0]!;
      expect(await firstName()).toBe(biggest.name);
      await page.click('#packages th:nth-child(2) button');
      expect(await page.getAttribute('#packages th:nth-child(2)', 'aria-sort')).toBe('ascending');
      const names = [...report.packages!.packages].map((p) => p.name.toLowerCase()).sort();
      expect((await firstName())!.toLowerCase()).toBe(names[0]);
    });

    it('made no network request and logged no error', () => {
      expect(opened.requests).toEqual([]);
      expect(opened.errors).toEqual([]);
    });

    it('saves the README screenshot (docs/examples/report-naive.png) and the page (report-naive.html)', async () => {
      await page.reload();
      await page.waitForSelector('html[data-ready="true"]');
      mkdirSync(DOCS, { recursive: true });
      await page.screenshot({ path: join(DOCS, 'report-naive.png'), clip: { x: 0, y: 0, width: 1280, height: await bottomOf(page, '#treemap') }, fullPage: true });
      copyFileSync(naiveHtml, join(DOCS, 'report-naive.html'));
      expect(opened.errors).toEqual([]);
    });
  });

  describe('diff page (naive → optimized)', () => {
    let opened: OpenedPage;
    let page: Page;
    beforeAll(async () => {
      opened = await openReport(chrome.context, diffHtml);
      page = opened.page;
    });
    afterAll(async () => {
      await page?.close();
    });

    it('shows before/after bars per category', async () => {
      if (!diff.categories.available) throw new Error('the example diff has categories');
      const rows = diff.categories.changes.filter((c) => c.before > 0 || c.after > 0);
      expect(await page.$$eval('#categories .cat-rows .bars', (els) => els.length)).toBe(rows.length);
      const label = await page.getAttribute('#categories .cat-rows .bars', 'aria-label');
      expect(label).toContain(rows[0]!.label);
    });

    it('draws what grew, and what shrank, with areas proportional to the changed bytes', async () => {
      if (!diff.paths.available) throw new Error('the example diff has path changes');
      let top = await boxes(page, 1);
      expect(sum(top.map((b) => b.bytes))).toBe(diff.paths.bytes.added + diff.paths.bytes.grown);
      expectProportional(top, await mapArea(page));
      await page.check('#tm-mode-shrank');
      top = await boxes(page, 1);
      expect(sum(top.map((b) => b.bytes))).toBe(diff.paths.bytes.removed + diff.paths.bytes.shrunk);
      expectProportional(top, await mapArea(page));
      await page.check('#tm-mode-grew');
    });

    it('made no network request and logged no error; saves docs/examples/diff-naive-vs-optimized.{png,html}', async () => {
      expect(opened.requests).toEqual([]);
      expect(opened.errors).toEqual([]);
      await page.screenshot({ path: join(DOCS, 'diff-naive-vs-optimized.png'), clip: { x: 0, y: 0, width: 1280, height: await bottomOf(page, '#treemap') }, fullPage: true });
      copyFileSync(diffHtml, join(DOCS, 'diff-naive-vs-optimized.html'));
    });
  });

  it('--html to a path that cannot be written is an input error (exit 2) naming the file', async () => {
    const r = await cli(['analyze', NAIVE, '--html', join(tmp, 'no/such/dir/x.html'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_IO: writing html report .*x\.html: no such directory/i);
  });

  it('pages without per-path data still open cleanly (analyze: directories table; diff: capped path list)', async () => {
    const { files: _files, ...bare } = report;
    const a = join(tmp, 'bare.html');
    writeFileSync(a, renderAnalyzeHtml(bare));
    const oa = await openReport(chrome.context, a);
    expect(await oa.page.textContent('#treemap')).toContain('no per-path data');
    expect(await oa.page.$$eval('#treemap tbody tr', (els) => els.length)).toBe(report.directories!.length);
    expect([oa.errors, oa.requests]).toEqual([[], []]);
    await oa.page.close();

    const d = join(tmp, 'top.html');
    writeFileSync(d, renderDiffHtml(diff));
    const od = await openReport(chrome.context, d);
    if (!diff.paths.available) throw new Error('the example diff has path changes');
    const listed = diff.paths.top.reduce((s, p) => s + Math.max(0, p.after - p.before), 0);
    expect(sum((await boxes(od.page, 1)).map((b) => b.bytes))).toBe(listed);
    expect(await od.page.textContent('#treemap')).toContain('largest path changes');
    expect([od.errors, od.requests]).toEqual([[], []]);
    await od.page.close();
  });

  it('hostile names and labels stay text: nothing runs, nothing is fetched', async () => {
    const evil = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
    const r = makeReport({
      tag: `evil${evil}`,
      layers: [{ diffId: 'sha256:1', bytes: 300, instruction: `RUN echo ${evil}` }],
      findings: [{ id: 'docs', bytes: 10, title: `title ${evil}` }],
      packages: [{ manager: 'pip', name: `pkg${evil}`, bytes: 10 }],
      categories: [{ id: 'custom', bytes: 300 }],
    });
    r.categories = [{ id: 'custom', label: `label ${evil}`, bytes: 300, visibleBytes: 300, wastedBytes: 0, files: 3 }];
    // A file name has no '/', so '</script>' in a path is spread over folders; both kinds are here.
    const evilName = '<img src=x onerror="window.__pwned=3"><svg onload="window.__pwned=4">';
    r.files = {
      entries: [
        [`/app/${evil}`, 60, 60, 'custom', 0],
        [`/app/${evilName}`, 200, 200, 'custom', 0],
        ['/app/<!--', 30, 30, 'custom', 0],
        ['/app/\u2028]]>&amp;', 10, 10, 'custom', 0],
      ],
    };
    r.warnings = [`warning ${evil}`];
    r.findings![0]!.fix = `RUN rm -rf ${evil}`;
    const file = join(tmp, 'evil.html');
    writeFileSync(file, renderAnalyzeHtml(r));
    const o = await openReport(chrome.context, file);
    try {
      expect(await o.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await o.page.$$eval('script', (els) => els.length)).toBe(2);
      expect(await o.page.$$eval('img', (els) => els.length)).toBe(0);
      expect(await o.page.title()).toBe(`imgsize: evil${evil}`);
      expect(await o.page.textContent('#findings')).toContain(`RUN rm -rf ${evil}`);
      // Focus the hostile file's box: its name is shown as text.
      await o.page.focus('#tm-host g[tabindex="0"]');
      await o.page.keyboard.press('Enter'); // into /app
      await o.page.keyboard.press('Home');
      expect(await o.page.textContent('#tm-info')).toContain(`/app/${evilName}`);
      expect(await o.page.textContent('#tm-legend')).toContain(`label ${evil}`);
      expect(o.requests).toEqual([]);
      expect(o.errors).toEqual([]);
    } finally {
      await o.page.close();
    }
  });

  it('bidi controls and ESC are escaped in every view and in the <title> (issue 16: rtl\\u202egpj.exe showed as rtlexe.jpg)', async () => {
    const name = 'rtl\u202egpj.exe';
    const r = makeReport({
      tag: 'app\u001b[2J\u2067:1',
      layers: [{ diffId: 'sha256:1', bytes: 300, instruction: 'RUN touch /opt/rtl\u202egpj.exe' }],
      findings: [{ id: 'docs', bytes: 10, title: `title \u200f${name}` }],
      packages: [{ manager: 'pip', name: `pkg\u202d${name}`, bytes: 10 }],
      categories: [{ id: 'custom', bytes: 300 }],
    });
    r.findings![0]!.evidence = [{ path: `/opt/${name}`, bytes: 300, layer: 0 }];
    r.findings![0]!.fix = `RUN rm /opt/${name}\nRUN true`;
    r.files = { entries: [[`/opt/${name}`, 300, 300, 'custom', 0]] };
    r.warnings = [{ code: 'W_PATH_HAZARD', layer: 0, message: `warning \u2066${name}\u2069` }];
    const html = renderAnalyzeHtml(r);
    expect(html).toContain('<title>imgsize: app\\x1b[2J\\u2067:1</title>');
    expect(html).not.toContain('\u001b');
    const file = join(tmp, 'bidi.html');
    writeFileSync(file, html);
    const o = await openReport(chrome.context, file);
    try {
      expect(await o.page.title()).toBe('imgsize: app\\x1b[2J\\u2067:1');
      // What is rendered (innerText leaves out the script and the JSON island, which hold the raw data).
      const text = await o.page.evaluate(() => document.body.innerText);
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
      expect(text).toContain('/opt/rtl\\u202egpj.exe');
      // The one file count, labelled as in the terminal and Markdown (issue 11).
      expect(text).toContain('Files: 1 shipped in layers (each copy counted)');
      expect(text).toContain('pkg\\u202drtl\\u202egpj.exe');
      // The fix keeps its lines.
      expect(await o.page.textContent('#findings pre')).toBe('RUN rm /opt/rtl\\u202egpj.exe\nRUN true');
      await o.page.focus('#tm-host g[tabindex="0"]');
      await o.page.keyboard.press('Enter'); // into /opt
      await o.page.keyboard.press('Home');
      expect(await o.page.textContent('#tm-info')).toContain('/opt/rtl\\u202egpj.exe');
      expect(o.errors).toEqual([]);
    } finally {
      await o.page.close();
    }
  });
});
