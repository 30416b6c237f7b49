#!/usr/bin/env node
/**
 * Regenerates demo/screenshot.png (the README picture): starts the demo
 * server, opens the page in Chromium, runs about 45 s of faults (drop,
 * refused handshakes with messages typed offline, a half-open server), and
 * takes the screenshot. Needs dist/ (`npm run build`) and Playwright.
 *
 *   node demo/screenshot.mjs [out.png]
 */
import { chromium } from 'playwright';
import { fileURLToPath } from 'node:url';
import { findChromium, chromiumArgs } from '../test/support/chromium.mjs';
import { startDemoServer } from './server.mjs';

const out = process.argv[2] ?? fileURLToPath(new URL('./screenshot.png', import.meta.url));
const server = await startDemoServer({ port: 0 });
const browser = await chromium.launch({ executablePath: await findChromium(), args: chromiumArgs });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url + '?name=laptop');
  const wait = (s) => page.waitForTimeout(s * 1000);
  const click = (id) => page.click(`[data-testid="${id}"]`);
  const say = async (text) => {
    await page.fill('[data-testid="send-input"]', text);
    await page.press('[data-testid="send-input"]', 'Enter');
  };
  await wait(8);
  await click('fault-drop');
  await wait(6);
  await page.fill('[data-testid="refuse-seconds"]', '4');
  await click('fault-refuse');
  await wait(0.3);
  await click('fault-drop');
  await wait(0.5);
  await say('typed while offline');
  await say('queued, then delivered in order');
  await wait(8);
  // A second client: its chat message is broadcast to the first.
  const phone = await browser.newPage({ viewport: { width: 375, height: 800 } });
  await phone.goto(server.url + '?name=phone');
  await phone.waitForSelector('[data-testid="state"][data-state="open"]');
  await phone.fill('[data-testid="send-input"]', 'hi from a phone');
  await phone.press('[data-testid="send-input"]', 'Enter');
  await wait(3);
  await click('fault-silent');
  await wait(8);
  await say('back online');
  await wait(10);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
