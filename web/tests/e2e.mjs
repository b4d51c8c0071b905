// The web app in a real browser (Debian's Chromium driven by playwright-core) against a
// running local stack: `gymit-local test-env -- node web/tests/e2e.mjs` (make web-test).
//
// A member signs up and waits for approval; the root admin approves them (and makes a
// trainer) in the admin view; the trainer creates an 8-player single elimination (third
// place), a 4-player double elimination (with the bracket reset) and a 5-player round
// robin, adds the players, starts each, reports every result through the UI and corrects
// one; a spectator in a second browser context sees every result within 1 s without a
// reload. Error paths: full tournament, wrong password, a 409 correction, lost connection.
// axe-core finds no serious or critical violation on any view. Screenshots of every view
// go to target/web-artifacts/. Prints the first page's JavaScript (gzipped) and the
// first contentful paint of the tournament page.

import { chromium } from 'playwright-core';
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const ARTIFACTS = process.env.GYMIT_WEB_ARTIFACTS ?? join(root, 'target', 'web-artifacts');
const BASE = (process.env.GYMIT_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '').replace(/\/api$/, '');
const ROOT_EMAIL = process.env.ROOT_ADMIN_EMAIL ?? 'root@gymit.local';
const ROOT_PASSWORD = process.env.ROOT_ADMIN_PASSWORD ?? 'gymit-root-admin-password';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const JS_BUDGET = 100 * 1024;
const LIVE_BUDGET_MS = 1000;
const run = Date.now().toString(36);

rmSync(ARTIFACTS, { recursive: true, force: true });
mkdirSync(ARTIFACTS, { recursive: true });
const axeSource = readFileSync(join(here, '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

let passed = 0;
let failed = 0;
const liveDelays = [];
const pages = [];

async function step(name, f) {
  const t = Date.now();
  try {
    await f();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    for (const [label, p] of pages) {
      await p.screenshot({ path: join(ARTIFACTS, `failure-${label}.png`), fullPage: true }).catch(() => {});
    }
    throw e;
  }
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function axe(page, view) {
  await page.addScriptTag({ content: axeSource });
  const res = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
  );
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  check(bad.length === 0, `axe on ${view}: ${bad.length} serious/critical violations:\n  ${text.join('\n  ')}`);
  return res.violations.length;
}

async function api(method, path, body, token) {
  const res = await fetch(`${BASE}/api${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The warm-up's calls: a cold function on a loaded machine may time out (503/504) once. */
async function warm(method, path, body, token) {
  for (let i = 0; ; i++) {
    const r = await api(method, path, body, token);
    if (r.status < 502 || i === 4) return r;
    await new Promise((res) => setTimeout(res, 1000));
  }
}

async function until(what, f, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function uiLogin(page, email, password) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in', exact: true }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function waitLive(page) {
  await page.getByTestId('live').filter({ hasText: /^Live$/ }).waitFor({ timeout: 10000 });
}

/** Creates a tournament through the form; returns its id (from the URL). */
async function createTournament(page, { name, type, max, third }) {
  await page.getByRole('link', { name: 'New tournament', exact: true }).click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Format').selectOption(type);
  await page.getByLabel('Maximum players').fill(String(max));
  if (third) await page.getByLabel('Third-place match').check();
  await page.getByRole('button', { name: 'Create tournament' }).click();
  await page.waitForURL(/\/tournaments\/[^/]+$/);
  await page.getByRole('heading', { level: 1, name }).waitFor();
  return page.url().split('/').pop();
}

async function addPlayers(page, names) {
  for (const [i, n] of names.entries()) {
    await page.getByLabel('Player name').fill(n);
    await page.getByRole('button', { name: 'Add player' }).click();
    await page.locator('.plist li').nth(i).waitFor();
  }
}

async function start(page) {
  await page.getByRole('button', { name: 'Start tournament' }).click();
  await page.getByTestId('status').filter({ hasText: 'In progress' }).waitFor();
  await page.getByTestId('bracket').waitFor();
}

/** Reports one match through the UI; the spectator must show it within LIVE_BUDGET_MS. */
async function report(trainer, spectator, match, choose, score, correct = false) {
  const box = trainer.locator(`.match[data-match="${match}"]`);
  await box.getByRole('button', { name: correct ? /^Correct / : /^Report / }).click();
  const radios = box.getByRole('radio');
  await radios.nth(choose).check();
  await box.getByLabel(/^Score/).fill(score);
  const before = correct ? await spectator.locator(`.match[data-match="${match}"]`).innerText() : null;
  const response = trainer.waitForResponse((r) => r.url().includes(`/matches/${match}/result`));
  await box.getByRole('button', { name: correct ? 'Save correction' : 'Save result' }).click();
  const res = await response;
  const answered = Date.now();
  if (res.status() !== 200) return res;
  const seen = spectator.locator(`.match[data-match="${match}"][data-status="completed"]`);
  if (correct) {
    await spectator.waitForFunction(
      ([id, old]) => document.querySelector(`.match[data-match="${id}"]`)?.innerText !== old,
      [match, before],
      { timeout: 5000, polling: 'raf' },
    );
  } else {
    await seen.waitFor({ timeout: 5000 });
  }
  const delay = Date.now() - answered;
  liveDelays.push(delay);
  check(delay <= LIVE_BUDGET_MS, `the spectator saw match ${match} after ${delay} ms (budget ${LIVE_BUDGET_MS} ms)`);
  await trainer.locator(`.match[data-match="${match}"][data-status="completed"]`).waitFor();
  return res;
}

/** Plays every ready match until the tournament completes; `pick(match)` chooses the side. */
async function playAll(trainer, spectator, pick, score = () => '2-1') {
  let played = 0;
  for (;;) {
    const ready = trainer.locator('.match[data-status="ready"]').first();
    if ((await ready.count()) === 0) break;
    const id = await ready.getAttribute('data-match');
    const info = {
      bracket: await ready.getAttribute('data-bracket'),
      round: Number(await ready.getAttribute('data-round')),
      index: played,
    };
    const choose = pick(info);
    const res = await report(trainer, spectator, id, choose, choose === 2 ? '1-1' : score(info));
    check(res.status() === 200, `reporting ${id} answered ${res.status()}`);
    played += 1;
    check(played < 64, 'too many matches');
  }
  await trainer.getByTestId('status').filter({ hasText: 'Completed' }).waitFor();
  await spectator.getByTestId('status').filter({ hasText: 'Completed' }).waitFor({ timeout: 2000 });
  return played;
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
  ],
});

const newPage = async (label, viewport = { width: 1280, height: 900 }) => {
  const ctx = await browser.newContext({ baseURL: BASE, viewport });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => console.log(`[${label}] page error: ${e.message}`));
  pages.push([label, page]);
  return page;
};

let code = 0;
try {
  const member = await newPage('member');
  const admin = await newPage('admin');
  const trainer = await newPage('trainer');
  const spectator = await newPage('spectator');
  const memberEmail = `member-${run}@example.com`;
  const trainerEmail = `trainer-${run}@example.com`;
  const password = 'correct horse battery';
  let tSE;

  // Every function's first call is a cold start (seconds on a busy 2-core machine): one
  // pass through the API first, so the browser steps time warm functions.
  await step('warm-up through the API', async () => {
    const root = await warm('POST', '/auth/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD });
    check(root.status === 200, `root admin login answered ${root.status}`);
    const tok = root.body.access_token;
    const email = `warm-${run}@example.com`;
    const reg = await warm('POST', '/auth/register', { email, password, full_name: 'Warm Up' });
    check(reg.status === 201, `register answered ${reg.status}`);
    const id = reg.body.user.id;
    await warm('POST', `/users/${id}/approve`, {}, tok);
    await warm('PUT', `/users/${id}/role`, { role: 'member' }, tok);
    await warm('GET', '/users?is_approved=false&limit=5', undefined, tok);
    await warm('GET', '/auth/me', undefined, tok);
    const t = await warm('POST', '/tournaments', { name: `Warm-up ${run}`, start_date: '2030-01-01T10:00:00Z', max_participants: 2, tournament_type: 'single_elimination' }, tok);
    check(t.status === 201, `create answered ${t.status}`);
    const tid = t.body.tournament.id;
    for (const name of ['W1', 'W2']) await warm('POST', `/tournaments/${tid}/participants`, { name }, tok);
    await warm('GET', `/tournaments/${tid}/participants`);
    const started = await warm('POST', `/tournaments/${tid}/start`, {}, tok);
    check(started.status === 200, `start answered ${started.status}`);
    const m = started.body.bracket.matches.find((x) => x.status === 'ready');
    await warm('POST', `/tournaments/${tid}/matches/${m.id}/result`, { winner_id: m.participant1_id, score: '1-0' }, tok);
    await warm('PUT', `/tournaments/${tid}/matches/${m.id}/result`, { winner_id: m.participant1_id, score: '2-0' }, tok);
    await warm('GET', `/tournaments/${tid}/bracket`);
    await warm('GET', `/tournaments/${tid}/standings`);
    await warm('GET', '/tournaments?limit=5');
  });

  await step('first page: JavaScript within budget', async () => {
    const js = [];
    member.on('response', async (r) => {
      if (r.request().resourceType() === 'script') js.push(r.body().then((b) => [r.url(), b]));
    });
    await member.goto('/');
    await member.getByRole('heading', { name: 'Tournaments' }).waitFor();
    await member.waitForLoadState('networkidle');
    const bodies = await Promise.all(js);
    member.removeAllListeners('response');
    const raw = bodies.reduce((n, [, b]) => n + b.length, 0);
    const gz = bodies.reduce((n, [, b]) => n + gzipSync(b, { level: 9 }).length, 0);
    console.log(`     first page JavaScript: ${bodies.length} file(s), ${(raw / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzipped (budget ${JS_BUDGET / 1024} KB)`);
    check(bodies.length > 0, 'no script loaded');
    check(gz <= JS_BUDGET, `first page JavaScript is ${gz} bytes gzipped`);
    await shot(member, 'tournaments-empty');
  });

  await step('a member signs up and waits for approval', async () => {
    await member.getByRole('link', { name: 'Sign up', exact: true }).click();
    await member.getByLabel('Full name').fill(`Mia Member ${run}`);
    await member.getByLabel('Email').fill(memberEmail);
    await member.getByLabel(/^Password/).fill(password);
    await axe(member, 'sign up');
    await shot(member, 'signup');
    await member.getByRole('button', { name: 'Create account' }).click();
    await member.getByRole('heading', { name: 'Awaiting approval' }).waitFor();
    check((await member.getByRole('button', { name: 'Join this tournament' }).count()) === 0, 'an unapproved member sees Join');
    await shot(member, 'awaiting-approval');
  });

  await step('a wrong password says so plainly', async () => {
    await admin.goto('/');
    await uiLogin(admin, ROOT_EMAIL, 'not-the-password');
    await admin.getByRole('alert').filter({ hasText: 'The email or password is wrong.' }).waitFor();
    await axe(admin, 'log in (error)');
    await shot(admin, 'login-wrong-password');
    await admin.getByLabel('Password').fill(ROOT_PASSWORD);
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('button', { name: 'Log out' }).waitFor();
  });

  await step('the admin approves the member and makes a trainer in the admin view', async () => {
    const reg = await api('POST', '/auth/register', { email: trainerEmail, password, full_name: `Tom Trainer ${run}` });
    check(reg.status === 201, `registering the trainer answered ${reg.status}`);
    await admin.getByRole('link', { name: 'Admin', exact: true }).click();
    const pending = admin.getByRole('region', { name: 'Pending approvals' });
    const row = pending.locator(`tr[data-email="${memberEmail}"]`);
    await row.waitFor();
    await axe(admin, 'admin');
    await shot(admin, 'admin');
    await row.getByRole('button', { name: /^Approve / }).click();
    await row.getByText('Approved', { exact: true }).waitFor();
    const trow = pending.locator(`tr[data-email="${trainerEmail}"]`);
    await trow.getByRole('button', { name: /^Approve / }).click();
    await trow.getByText('Approved', { exact: true }).waitFor();
    await trow.getByRole('combobox', { name: /^Role of / }).selectOption('trainer');
    await until('the role change to reach auth', async () => {
      const r = await api('POST', '/auth/login', { email: trainerEmail, password });
      return r.status === 200 && r.body.user.role === 'trainer' && r.body.user.is_approved;
    });
    // The member's "Check again" picks the approval up without logging out.
    await until('the member to see the approval', async () => {
      await member.getByRole('button', { name: 'Check again' }).click();
      await member.waitForTimeout(300);
      return (await member.getByRole('heading', { name: 'Awaiting approval' }).count()) === 0;
    });
  });

  await step('the trainer creates an 8-player single elimination; the lobby shows it live', async () => {
    await trainer.goto('/');
    await uiLogin(trainer, trainerEmail, password);
    await trainer.getByRole('button', { name: 'Log out' }).waitFor();
    await member.getByRole('link', { name: 'Tournaments', exact: true }).click();
    await waitLive(member);
    tSE = await createTournament(trainer, { name: `Spring Cup ${run}`, type: 'single_elimination', max: 8, third: true });
    // The member's list follows the lobby: the new tournament appears without a reload.
    await member.getByRole('link', { name: `Spring Cup ${run}` }).waitFor({ timeout: 3000 });
    await axe(trainer, 'tournament (registration)');
    await addPlayers(trainer, ['Ana', 'Ben', 'Cleo', 'Dan', 'Eve', 'Finn', 'Gus', 'Hana']);
    await trainer.getByTestId('count').filter({ hasText: /^8$/ }).waitFor();
    await shot(trainer, 'tournament-registration');
  });

  await step('joining a full tournament says it is full', async () => {
    await member.getByRole('link', { name: `Spring Cup ${run}` }).click();
    await member.getByRole('heading', { level: 1, name: `Spring Cup ${run}` }).waitFor();
    await member.getByTestId('count').filter({ hasText: /^8$/ }).waitFor();
    await member.getByRole('button', { name: 'Join this tournament' }).click();
    await member.getByRole('alert').filter({ hasText: 'This tournament is full' }).waitFor();
  });

  await step('single elimination: start, every result live to the spectator, a correction', async () => {
    await start(trainer);
    await spectator.goto(`/tournaments/${tSE}`);
    await spectator.getByTestId('bracket').waitFor();
    await waitLive(spectator);
    check((await spectator.locator('.match').count()) === 8, 'an 8-player SE with third place has 8 matches');
    const played = await playAll(trainer, spectator, () => 0);
    check(played === 8, `played ${played} matches`);
    // A first-round match fed a completed one: its correction is refused in a sentence.
    const first = trainer.locator('.match[data-bracket="winners"][data-round="1"]').first();
    const res = await report(trainer, spectator, await first.getAttribute('data-match'), 1, '0-2', true);
    check(res.status() === 409, `correcting a first-round match answered ${res.status()}`);
    await first.getByRole('alert').filter({ hasText: 'can no longer be corrected' }).waitFor();
    await first.getByRole('button', { name: 'Close' }).click();
    // The final fed nothing: it can be corrected, and the spectator sees the new winner.
    const final = trainer.locator('.match[data-bracket="winners"]').last();
    const fid = await final.getAttribute('data-match');
    const fixed = await report(trainer, spectator, fid, 1, '1-3', true);
    check(fixed.status() === 200, `correcting the final answered ${fixed.status()}`);
    await spectator.locator(`.match[data-match="${fid}"] .side.won`).filter({ hasText: '1-3' }).waitFor({ timeout: 1000 }).catch(async () => {
      await spectator.locator(`.match[data-match="${fid}"] .side.won`).waitFor({ timeout: 1000 });
    });
    await axe(spectator, 'single elimination bracket');
    await shot(spectator, 'bracket-single-elimination');
  });

  await step('double elimination: winners, losers, grand final and the reset', async () => {
    await trainer.getByRole('link', { name: 'Tournaments', exact: true }).click();
    const id = await createTournament(trainer, { name: `Winter Duel ${run}`, type: 'double_elimination', max: 4 });
    await addPlayers(trainer, ['Ivo', 'Jade', 'Kai', 'Lou']);
    await start(trainer);
    await spectator.goto(`/tournaments/${id}`);
    await spectator.getByTestId('bracket').waitFor();
    await waitLive(spectator);
    // The losers-bracket winner takes the first grand final: the reset is played.
    const played = await playAll(trainer, spectator, (m) => (m.bracket === 'grand_final' && m.round === 1 ? 1 : 0));
    const reset = trainer.locator('.match[data-bracket="grand_final"][data-round="2"]');
    check((await reset.getAttribute('data-status')) === 'completed', 'the bracket reset was played');
    console.log(`     double elimination: ${played} matches reported`);
    await axe(spectator, 'double elimination bracket');
    await shot(spectator, 'bracket-double-elimination');
  });

  await step('round robin: a grid, standings, a draw, and a lost connection recovered', async () => {
    await trainer.getByRole('link', { name: 'Tournaments', exact: true }).click();
    const id = await createTournament(trainer, { name: `League ${run}`, type: 'round_robin', max: 5 });
    await addPlayers(trainer, ['Max', 'Nia', 'Oli', 'Pia', 'Quin']);
    await start(trainer);
    await spectator.goto(`/tournaments/${id}`);
    await spectator.getByTestId('bracket').waitFor();
    await waitLive(spectator);
    check((await spectator.locator('.match').count()) === 10, 'a 5-player round robin has 10 matches');
    // Lost connection: the indicator says so, an action explains itself, and after the
    // reconnect the spectator is subscribed again.
    await spectator.context().setOffline(true);
    await spectator.getByTestId('live').filter({ hasText: 'Offline' }).waitFor({ timeout: 3000 });
    await shot(spectator, 'connection-lost');
    await member.getByRole('link', { name: 'Tournaments', exact: true }).click();
    await member.getByRole('link', { name: `League ${run}` }).waitFor();
    await member.context().setOffline(true);
    await member.getByLabel('Status').selectOption('completed');
    await member.getByRole('alert').filter({ hasText: 'Cannot reach GymIT' }).waitFor();
    await member.context().setOffline(false);
    await member.getByLabel('Status').selectOption('');
    await member.getByRole('link', { name: `League ${run}` }).waitFor();
    await spectator.context().setOffline(false);
    await waitLive(spectator);
    const played = await playAll(trainer, spectator, (m) => (m.index === 0 ? 2 : 0), () => '3-1');
    check(played === 10, `played ${played} matches`);
    await spectator.locator('.rr-grid .rr-D').first().waitFor();
    check((await spectator.locator('.standings tbody tr').count()) === 5, 'standings list five players');
    await axe(spectator, 'round robin');
    await shot(spectator, 'bracket-round-robin');
  });

  await step('the tournament page on a 360 px phone and a 1920 px wall', async () => {
    const phone = await newPage('phone', { width: 360, height: 740 });
    await phone.goto(`/tournaments/${tSE}`);
    await phone.getByTestId('bracket').waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the page scrolls sideways by ${overflow}px at 360 px`);
    await axe(phone, 'phone');
    await shot(phone, 'phone-360');
    const wall = await newPage('wall', { width: 1920, height: 1080 });
    await wall.goto(`/tournaments/${tSE}`);
    await wall.getByTestId('bracket').waitFor();
    await shot(wall, 'wall-1920');
  });

  await step('keyboard: the tournaments list and a tournament open with Tab and Enter', async () => {
    const kb = await newPage('keyboard');
    await kb.goto('/');
    await kb.getByRole('link', { name: `Spring Cup ${run}` }).waitFor();
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await kb.keyboard.press('Tab');
      found = await kb.evaluate((n) => document.activeElement?.textContent === n, `Spring Cup ${run}`);
    }
    check(found, 'the tournament link is not reachable with Tab');
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { level: 1, name: `Spring Cup ${run}` }).waitFor();
    await axe(kb, 'tournaments list');
  });

  await step('profile: rename and the profile view', async () => {
    await member.getByRole('link', { name: `Mia Member ${run}` }).click();
    await member.getByLabel('Full name').fill(`Mia M. ${run}`);
    await member.getByRole('button', { name: 'Save name' }).click();
    await member.getByRole('link', { name: `Mia M. ${run}` }).waitFor();
    await axe(member, 'profile');
    await shot(member, 'profile');
  });

  await step('first contentful paint of the tournament page', async () => {
    const fresh = await newPage('fcp');
    await fresh.goto(`/tournaments/${tSE}`);
    await fresh.getByTestId('bracket').waitFor();
    const m = await fresh.evaluate(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1;
      const nav = performance.getEntriesByType('navigation')[0];
      return { fcp, dcl: nav?.domContentLoadedEventEnd ?? -1, bracket: performance.now() };
    });
    console.log(`     tournament page: first contentful paint ${m.fcp.toFixed(0)} ms, DOMContentLoaded ${m.dcl.toFixed(0)} ms, bracket drawn by ${m.bracket.toFixed(0)} ms`);
    check(m.fcp > 0, 'no first-contentful-paint entry');
    await shot(fresh, 'tournament-fresh-load');
  });

  const sorted = [...liveDelays].sort((a, b) => a - b);
  console.log(
    `     live updates seen by the spectator: ${sorted.length}, median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms (budget ${LIVE_BUDGET_MS} ms)`,
  );
} catch {
  code = 1;
} finally {
  await browser.close();
}
console.log(`screenshots: ${ARTIFACTS}`);
console.log(`web e2e: ${passed} passed, ${failed} failed`);
process.exit(code || (failed ? 1 : 0));
