// Headless Chromium (Debian's package) through playwright-core for the browser suites:
// a fresh profile per launch, and a page that records console errors, uncaught
// exceptions and server errors so a test can assert there were none.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { root } from './harness.ts';

/** Where a run's screenshots go (git-ignored). */
export const outputDir = join(root, 'test-output');

const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's chromium, from CHROMIUM_PATH or the PATH. */
export function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const bin of ['chromium', 'chromium-browser']) {
    const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

export interface BrowserSession {
  browser: Browser;
  /** A new page (fresh context) whose problems are collected in `problems`. */
  page(): Promise<Page>;
  /** Console errors, page errors and 5xx answers seen so far, as text. */
  problems: string[];
  close(): Promise<void>;
}

export async function launch(): Promise<BrowserSession> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)');
  const userDataDir = mkdtempSync(join(tmpdir(), 'shop-chromium-'));
  // A persistent context is how Playwright takes a user-data dir; pages share it.
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: flags, viewport: { width: 1280, height: 860 } });
  const browser = context.browser();
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
    page.on('console', (msg) => {
      // A 4xx the page expects and handles (a declined card, a route another version of the
      // server has) is logged by Chromium as "Failed to load resource"; scripts' own errors are not.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of 4')) {
        problems.push(`console error on ${page.url()}: ${msg.text()}`);
      }
    });
    page.on('response', (res) => {
      if (res.status() >= 500) problems.push(`${res.status()} from ${res.request().method()} ${res.url()}`);
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  mkdirSync(outputDir, { recursive: true });
  return {
    browser: browser as Browser,
    problems,
    async page() {
      const existing = context.pages().find((p) => p.url() === 'about:blank');
      return existing ?? context.newPage();
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot under test-output/ and returns its path. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  const path = join(outputDir, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
