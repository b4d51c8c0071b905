// The local ops page (`/_local/`) in a real browser (Debian's Chromium driven by
// playwright-core, as web/tests/e2e.mjs does) against a running local stack:
// `gymit-local test-env -- node local/tests/ops_page.mjs` (make test).
//
// After some traffic, the page charts the functions that served it, lists the stream
// mappings and the dead-letter queues (whose Replay button answers), and the slowest
// request opens its trace as a waterfall that starts with API Gateway's segment and shows
// the function's DynamoDB calls. axe-core finds no serious or critical violation.

import { chromium } from '../../web/node_modules/playwright-core/index.mjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.GYMIT_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const axeSource = readFileSync(join(here, '..', '..', 'web', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Traffic the page should show: tournament lists (tournaments-list reads DynamoDB).
let listed;
for (let i = 0; i < 5; i += 1) {
  const res = await fetch(`${BASE}/api/tournaments`);
  check(res.status === 200, `GET /api/tournaments answered ${res.status}`);
  listed = res.headers.get('x-request-id');
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.goto(`${BASE}/_local/`);
  await page.waitForSelector('#functions tr[data-function="tournaments-list"]', { timeout: 20000 });
  const total = Number(await page.textContent('#functions tr[data-function="tournaments-list"] td.num'));
  check(total >= 5, `tournaments-list shows ${total} requests, expected at least 5`);
  check((await page.locator('#functions svg[role="img"]').count()) >= 3, 'each function has its charts');

  await page.waitForSelector('#streams tbody tr', { timeout: 10000 });
  const streams = await page.textContent('#streams tbody');
  check(streams.includes('tournaments-publish-events'), `stream mappings: ${streams}`);

  await page.waitForSelector('#queues tbody tr', { timeout: 10000 });
  const queue = page.locator('#queues tbody button').first();
  await queue.click();
  await page.waitForFunction(() => /replayed/.test(document.getElementById('status').textContent), null, { timeout: 20000 });

  // The slowest request opens its trace, which starts with the gateway's segment.
  await page.waitForSelector('#slowest tbody button', { timeout: 10000 });
  const slowest = await page.locator('#slowest tbody button').first().textContent();
  await page.locator('#slowest tbody button').first().click();
  await page.waitForFunction((id) => document.querySelector('#waterfall caption')?.textContent.includes(id), slowest, { timeout: 10000 });
  check((await page.textContent('#waterfall')).includes('API Gateway'), 'the slowest request\'s waterfall');

  // A tournament list of ours, by its x-request-id: the gateway, the function, its DynamoDB call.
  await page.goto(`${BASE}/_local/#trace=${listed}`);
  await page.waitForFunction((id) => document.querySelector('#waterfall caption')?.textContent.includes(id), listed, { timeout: 10000 });
  const waterfall = await page.textContent('#waterfall');
  check(waterfall.includes('API Gateway'), `waterfall: ${waterfall}`);
  check(waterfall.includes('tournaments-list'), `waterfall: ${waterfall}`);
  check(/DynamoDB (Query|GetItem|Scan)/.test(waterfall), `waterfall has the function's calls: ${waterfall}`);

  await page.addScriptTag({ content: axeSource });
  const res = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
  );
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `axe: ${bad.map((v) => `${v.id}: ${v.help}`).join('; ')}`);
  console.log('ok   ops page: charts, stream mappings, dead-letter replay, trace waterfall, axe');
} catch (e) {
  failed = true;
  console.log(`FAIL ops page: ${e?.stack ?? e}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
