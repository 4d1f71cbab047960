import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (npm run setup installs it); no browser is ever downloaded. */
const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium for the browser tests. Without the background-networking flags it keeps trying hosts this
 * machine cannot reach. A missing browser fails the test, it is never skipped.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing; run npm run setup (Debian package chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
    ],
  });
}
