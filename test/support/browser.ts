import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (the browser tests never download one); `ORDERFLOW_CHROMIUM` names another binary. */
export const CHROMIUM_PATH = process.env.ORDERFLOW_CHROMIUM ?? '/usr/bin/chromium';

/** What to tell someone whose machine has no browser (the browser tests need one; everything else runs). */
export const CHROMIUM_INSTALL_HINT = `Chromium is not installed at ${CHROMIUM_PATH}: the dashboard's browser test needs it (sudo apt-get install -y --no-install-recommends chromium, or set ORDERFLOW_CHROMIUM to a Chromium binary)`;

export const chromiumInstalled = (): boolean => existsSync(CHROMIUM_PATH);

/** Where the browser tests keep their screenshots (not committed). */
export const TEST_ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

/**
 * Headless Chromium with a fresh profile (Playwright makes and removes it), none of its background traffic (the machine may have no network: each
 * refused connection would slow it down), and no sandbox (CI runs as root).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
