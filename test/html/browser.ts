/**
 * Headless Chromium for the HTML report tests: Debian's `chromium` driven by playwright-core.
 * Under CI=true a missing chromium is installed (apt-get); elsewhere the suites skip with one
 * loud line. Every page is opened with all requests intercepted: only the file:// page itself
 * is allowed, anything else is recorded and aborted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.IMGSIZE_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function banner(line: string): void {
  const bar = '!'.repeat(Math.min(100, line.length));
  process.stderr.write(`\n${bar}\n${line}\n${bar}\n\n`);
}

/**
 * Returns why chromium is unavailable, or undefined when it is there (installing it first under
 * CI=true, which fails loudly when that does not work).
 */
export function ensureChromium(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env.CI !== 'true') {
    const why = `${CHROMIUM_PATH} not found (apt-get install -y chromium, or set IMGSIZE_CHROMIUM)`;
    banner(`imgsize HTML browser tests SKIPPED: ${why}`);
    return why;
  }
  const r = spawnSync('bash', ['-c', 'apt-get install -y chromium || (apt-get update && apt-get install -y chromium)'], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw new Error(`CI=true: installing chromium failed (exit ${String(r.status)}):\n${(r.stderr || r.error?.message || '').slice(-2000)}`);
  }
  return undefined;
}

export interface OpenedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches chromium with a fresh profile directory (playwright's persistent context is how it
 * takes --user-data-dir; removed on close), light scheme, 1280×900 at scale 1.
 */
export async function launchChromium(): Promise<OpenedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'imgsize-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: ARGS,
    timeout: 60_000,
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface OpenedPage {
  page: Page;
  /** console errors, page errors and failed/blocked loads, as text. */
  errors: string[];
  /** Every request other than the page itself (all of them aborted). */
  requests: string[];
}

/** Opens `file` (an HTML report) from file:// in a new tab and waits until its script has drawn everything. */
export async function openReport(context: BrowserContext, file: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const url = pathToFileURL(file).href;
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
  return { page, errors, requests };
}
