/** Headless Chromium for the page's browser tests: Debian's binary, with the flags this closed network needs. */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run; they are skipped with this reason otherwise. */
export const hasChromium = existsSync(CHROMIUM);
export const NO_CHROMIUM = `skipped: ${CHROMIUM} is not installed (apt-get install chromium)`;

/** Launch headless Chromium without the background connections a machine with no internet refuses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
