// The web app in a real browser (Debian's Chromium driven by playwright-core) against a
// running local stack: `gymit-local test-env -- node web/tests/e2e.mjs` (make web-test).
//
// A member signs up and waits for approval; the root admin approves them (and makes a
// trainer) in the admin view, and deletes an account through a confirmation; the trainer
// creates an 8-player single elimination (third place), a 4-player double elimination
// (with the bracket reset) and a 5-player round robin, adds the players, starts each,
// reports every result through the UI and corrects one; a spectator in a second browser
// context sees every result within 1 s without a reload. The wall survives a network
// blip (offline, two results, online: both shown within 2 s, never "Live" over stale
// data) and an expired access token; a 64-player double elimination with 50-character
// names fits a 1920 × 1080 wall and a 360 px phone. Then the v1.1 flows: staying signed
// in across a reload, a password reset through the local mailbox, emoji names, a
// check-in start with a no-show replaced from the waitlist, dropping out, a pasted list,
// an 8-player Swiss with a top cut of 4 and a 2-group stage played to the end.
// axe-core finds no serious or critical violation on any view. Screenshots go to
// target/web-artifacts/ (and, with GYMIT_WEB_SCREENSHOTS=DIR, the README's to DIR).
// Prints the first page's JavaScript (gzipped), the blip recovery time and the first
// contentful paint of the tournament page.

import { chromium } from 'playwright-core';
import { gzipSync } from 'node:zlib';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createHmac } from 'node:crypto';
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
// API.md's 1 s; a development run on a machine shared with other builds may raise it
// (GYMIT_WEB_LIVE_BUDGET_MS), and the output says so.
const LIVE_BUDGET_MS = Number(process.env.GYMIT_WEB_LIVE_BUDGET_MS ?? 1000);
if (LIVE_BUDGET_MS !== 1000) console.log(`NOTE: live-update budget raised to ${LIVE_BUDGET_MS} ms for this run (API.md: 1000 ms)`);
const BLIP_BUDGET_MS = 2000;
const JWT_SECRET = process.env.JWT_SECRET ?? 'gymit-local-development-secret-not-for-production';
const README_SHOTS = process.env.GYMIT_WEB_SCREENSHOTS ?? null;
const run = Date.now().toString(36);
const PASSWORD = 'correct horse battery';

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

/** The page's title once it reads `expected`, or what it reads after 5 s: the title
 * follows the page's render (an effect), so it may lag the text a moment. */
async function titleOnceItIs(page, expected) {
  await page.waitForFunction((t) => document.title === t, expected, { timeout: 5000 }).catch(() => {});
  return page.title();
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function axe(page, view) {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does
  // not govern: a <script> tag would be refused by it, as any injected script must be.
  await page.evaluate(axeSource);
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

/** The README's screenshots: copied to GYMIT_WEB_SCREENSHOTS when set. */
async function readmeShot(page, name, fullPage = true) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
  if (README_SHOTS) {
    mkdirSync(README_SHOTS, { recursive: true });
    copyFileSync(join(ARTIFACTS, `${name}.png`), join(README_SHOTS, `${name}.png`));
  }
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/**
 * The same access token, re-signed so that it expires in `left` seconds (exp − iat stays
 * 15 minutes, every other claim kept): "15 minutes signed in" without waiting 15 minutes.
 */
function expiringSoon(token, left) {
  const [header, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  const life = claims.exp - claims.iat;
  claims.exp = now + left;
  claims.iat = claims.exp - life;
  const body = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${body}.${b64url(createHmac('sha256', JWT_SECRET).update(body).digest())}`;
}

/** An approved account (registered, approved by the root admin, logged in). */
async function account(rootToken, label, role = 'member') {
  const email = `${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${run}@example.com`;
  const reg = await api('POST', '/auth/register', { email, password: PASSWORD, full_name: label });
  check(reg.status === 201, `registering ${label} answered ${reg.status}`);
  const id = reg.body.user.id;
  const ok = await api('POST', `/users/${id}/approve`, {}, rootToken);
  check(ok.status === 200, `approving ${label} answered ${ok.status}`);
  if (role !== 'member') await api('PUT', `/users/${id}/role`, { role }, rootToken);
  const tok = await until(`${label} to log in approved`, async () => {
    const r = await api('POST', '/auth/login', { email, password: PASSWORD });
    return r.status === 200 && r.body.user.is_approved && r.body.user.role === role ? r.body.access_token : null;
  });
  return { id, email, token: tok, name: label };
}

/** A tournament with named players, through the API (setup for the views under test). */
async function seeded(token, body, names) {
  const t = await api('POST', '/tournaments', { start_date: '2031-06-01T18:00:00Z', ...body }, token);
  check(t.status === 201, `creating ${body.name} answered ${t.status}: ${JSON.stringify(t.body)}`);
  const id = t.body.tournament.id;
  for (const name of names) {
    const r = await api('POST', `/tournaments/${id}/participants`, { name }, token);
    check(r.status === 201, `adding ${name} answered ${r.status}`);
  }
  return id;
}

/** Reports ready matches through the API (player 1 wins) until `stop(bracket)` or the end. */
async function playApi(token, id, { stop = () => false, pick = () => 0 } = {}) {
  for (let i = 0; i < 600; i++) {
    const b = (await api('GET', `/tournaments/${id}/bracket`)).body.bracket;
    if (stop(b)) return b;
    const ready = b.matches.filter((m) => m.status === 'ready');
    if (ready.length === 0) return b;
    for (const m of ready) {
      const winner = pick(m) === 0 ? m.participant1_id : m.participant2_id;
      const r = await warm('POST', `/tournaments/${id}/matches/${m.id}/result`, { winner_id: winner, score: pick(m) === 0 ? '2-1' : '1-2' }, token);
      // 409: an attempt that timed out (503) on a busy machine had committed after all.
      check(r.status === 200 || r.status === 409, `reporting ${m.id} answered ${r.status}`);
    }
  }
  throw new Error('playApi did not finish');
}

/** Page geometry: sideways scrolling, and every element of `sel` inside the viewport. */
async function fits(page, sel) {
  return page.evaluate((sel) => {
    const out = [];
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.left < -1 || r.right > window.innerWidth + 1 || r.top < -1 || r.bottom > window.innerHeight + 1) out.push(el.getAttribute('data-match') ?? el.className);
    }
    return {
      sideways: document.documentElement.scrollWidth - window.innerWidth,
      down: document.documentElement.scrollHeight - window.innerHeight,
      outside: out,
      count: document.querySelectorAll(sel).length,
    };
  }, sel);
}

/** In-app navigation (the history API), keeping the page's in-memory session. */
async function go(page, path) {
  await page.evaluate((p) => {
    history.pushState(null, '', p);
    dispatchEvent(new PopStateEvent('popstate'));
  }, path);
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
  const password = PASSWORD;
  let tSE;
  let tRR;
  // Fresh tokens for API setup (a token lives 15 minutes; the test may run longer).
  const tokenOf = async (email, pw) => {
    const r = await api('POST', '/auth/login', { email, password: pw });
    check(r.status === 200, `login of ${email} answered ${r.status}`);
    return r.body.access_token;
  };
  const root = () => tokenOf(ROOT_EMAIL, ROOT_PASSWORD);
  const trainerToken = () => tokenOf(trainerEmail, password);

  // Every function's first call is a cold start (seconds on a busy 2-core machine): one
  // pass through the API first, so the browser steps time warm functions.
  await step('warm-up through the API', async () => {
    const root = await warm('POST', '/auth/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD });
    check(root.status === 200, `root admin login answered ${root.status}`);
    const tok = root.body.access_token;
    // The re-signing that the expired-token step uses must produce tokens the stack accepts.
    const same = await api('GET', '/auth/me', undefined, expiringSoon(tok, 600));
    check(same.status === 200, `a re-signed token answered ${same.status} (is JWT_SECRET the stack's?)`);
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

  await step('a full tournament offers no Join; the list says it is full', async () => {
    await member.getByRole('link', { name: `Spring Cup ${run}` }).click();
    await member.getByRole('heading', { level: 1, name: `Spring Cup ${run}` }).waitFor();
    await member.getByTestId('count').filter({ hasText: /^8$/ }).waitFor();
    await member.getByTestId('full').waitFor();
    check((await member.getByRole('button', { name: /^Join/ }).count()) === 0, 'Join is offered on a full tournament');
    const title = await titleOnceItIs(member, `Spring Cup ${run} · GymIT`);
    check(title === `Spring Cup ${run} · GymIT`, `the page title is ${title}`);
  });

  await step('single elimination: start, every result live to the spectator, a correction only where allowed', async () => {
    await start(trainer);
    await spectator.goto(`/tournaments/${tSE}`);
    await spectator.getByTestId('bracket').waitFor();
    await waitLive(spectator);
    check((await spectator.locator('.match').count()) === 8, 'an 8-player SE with third place has 8 matches');
    const played = await playAll(trainer, spectator, () => 0);
    check(played === 8, `played ${played} matches`);
    // A first-round match fed a completed one: no "Correct" is offered for it.
    const first = trainer.locator('.match[data-bracket="winners"][data-round="1"]').first();
    check((await first.getByRole('button', { name: /^Correct / }).count()) === 0, 'Correct is offered on a match whose next match is played');
    // The final fed nothing: it can be corrected, and the spectator sees the new winner.
    const final = trainer.locator('.match[data-bracket="winners"]').last();
    const fid = await final.getAttribute('data-match');
    const fixed = await report(trainer, spectator, fid, 1, '1-3', true);
    check(fixed.status() === 200, `correcting the final answered ${fixed.status()}`);
    await spectator.locator(`.match[data-match="${fid}"] .side.won`).filter({ hasText: '3-1' }).waitFor({ timeout: 2000 });
    // The winner's banner, and the standings of an elimination: no points column.
    const champ = await spectator.locator(`.match[data-match="${fid}"] .side.won .name`).innerText();
    await spectator.getByTestId('champion').filter({ hasText: champ }).waitFor();
    const heads = await spectator.locator('.standings-wrap thead th').allInnerTexts();
    check(!heads.includes('Points'), `elimination standings show ${heads.join(', ')}`);
    check((await spectator.getByTestId('standings').getAttribute('data-provisional')) === 'false', 'final standings are labelled provisional');
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

  await step('round robin: a grid, standings with score difference, a draw; the list retries by itself after a lost connection', async () => {
    await trainer.getByRole('link', { name: 'Tournaments', exact: true }).click();
    const id = await createTournament(trainer, { name: `League ${run}`, type: 'round_robin', max: 5 });
    tRR = id;
    await addPlayers(trainer, ['Max', 'Nia', 'Oli', 'Pia', 'Quin']);
    await start(trainer);
    await spectator.goto(`/tournaments/${id}`);
    await spectator.getByTestId('bracket').waitFor();
    await waitLive(spectator);
    check((await spectator.locator('.match').count()) === 10, 'a 5-player round robin has 10 matches');
    check((await spectator.getByTestId('resting').count()) === 5, 'each of the five rounds names who rests');
    // Lost connection: the indicator says so; the list's failed load comes back by itself.
    await spectator.context().setOffline(true);
    await spectator.getByTestId('live').filter({ hasText: 'Offline' }).waitFor({ timeout: 3000 });
    await shot(spectator, 'connection-lost');
    await member.getByRole('link', { name: 'Tournaments', exact: true }).click();
    await member.getByRole('link', { name: `League ${run}` }).waitFor();
    await member.context().setOffline(true);
    await member.getByLabel('Status').selectOption('completed');
    await member.getByRole('alert').filter({ hasText: 'Cannot reach GymIT' }).waitFor();
    await member.context().setOffline(false);
    await member.getByRole('link', { name: `Spring Cup ${run}` }).waitFor({ timeout: 12000 });
    check((await member.getByRole('alert').count()) === 0, 'the error stays after the list reloaded');
    await member.getByLabel('Status').selectOption('upcoming');
    await spectator.context().setOffline(false);
    await waitLive(spectator);
    const played = await playAll(trainer, spectator, (m) => (m.index === 0 ? 2 : 0), () => '3-1');
    check(played === 10, `played ${played} matches`);
    await spectator.locator('.rr-grid .rr-D').first().waitFor();
    check((await spectator.locator('.standings-wrap tbody tr').count()) === 5, 'standings list five players');
    const heads = await spectator.locator('.standings-wrap thead th').allInnerTexts();
    check(heads.includes('Points') && heads.includes('Diff'), `round-robin standings show ${heads.join(', ')}`);
    await axe(spectator, 'round robin');
    await shot(spectator, 'bracket-round-robin');
  });

  await step('the round robin on the wall: all five rounds and who rests, on screen', async () => {
    const wall = await newPage('wall-rr', { width: 1920, height: 1080 });
    await wall.goto(`/tournaments/${tRR}/wall`);
    await wall.getByTestId('bracket').waitFor();
    await waitLive(wall);
    check((await wall.getByRole('navigation', { name: 'Main' }).count()) === 0, 'the wall shows the navigation');
    const g = await fits(wall, '[data-round-card]');
    check(g.count === 5, `the wall shows ${g.count} round cards`);
    check(g.sideways <= 0 && g.outside.length === 0, `the wall's rounds leave the screen: ${JSON.stringify(g)}`);
    check((await wall.getByTestId('resting').count()) === 5, 'the wall names who rests');
    await wall.getByTestId('champion').waitFor();
    await shot(wall, 'wall-round-robin');
  });

  await step('the wall after a network blip: offline, two results, online: both within 2 s, never "Live" over stale data', async () => {
    const id = await seeded(await root(), { name: `Blip Cup ${run}`, tournament_type: 'single_elimination', max_participants: 8 },
      ['Ria', 'Sam', 'Tia', 'Uma', 'Val', 'Wes', 'Xia', 'Yan']);
    const st = await api('POST', `/tournaments/${id}/start`, {}, await root());
    check(st.status === 200, `start answered ${st.status}`);
    const wall = await newPage('wall-blip', { width: 1920, height: 1080 });
    await wall.goto(`/tournaments/${id}/wall`);
    await wall.getByTestId('bracket').waitFor();
    await waitLive(wall);
    const two = st.body.bracket.matches.filter((m) => m.status === 'ready').slice(0, 2);
    // Records every state of the indicator with how many of the two results are drawn.
    await wall.evaluate((ids) => {
      window.__blip = [];
      const note = () => {
        const live = document.querySelector('[data-testid="live"]')?.textContent ?? '';
        const done = ids.filter((i) => document.querySelector(`.match[data-match="${i}"]`)?.getAttribute('data-status') === 'completed').length;
        window.__blip.push({ t: performance.now(), live, done });
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    }, two.map((m) => m.id));
    await wall.context().setOffline(true);
    await wall.getByTestId('live').filter({ hasText: 'Offline' }).waitFor({ timeout: 3000 });
    for (const m of two) {
      const r = await api('POST', `/tournaments/${id}/matches/${m.id}/result`, { winner_id: m.participant1_id, score: '2-0' }, await root());
      check(r.status === 200, `reporting answered ${r.status}`);
    }
    await wall.waitForTimeout(500);
    const online = await wall.evaluate(() => performance.now());
    await wall.context().setOffline(false);
    await wall.waitForFunction((ids) => ids.every((i) => document.querySelector(`.match[data-match="${i}"]`)?.getAttribute('data-status') === 'completed'),
      two.map((m) => m.id), { timeout: 5000, polling: 'raf' });
    await waitLive(wall);
    const log = await wall.evaluate(() => window.__blip);
    const shown = log.find((x) => x.t >= online && x.done === 2);
    const recovery = shown.t - online;
    const lies = log.filter((x) => x.t >= online && /^Live$/.test(x.live) && x.done < 2);
    console.log(`     blip: both results on the wall ${recovery.toFixed(0)} ms after the network came back (budget ${BLIP_BUDGET_MS} ms); states: ${[...new Set(log.filter((x) => x.t >= online).map((x) => x.live))].join(' → ')}`);
    check(lies.length === 0, `the wall said "Live" over stale data ${lies.length} time(s)`);
    check(recovery <= BLIP_BUDGET_MS, `the wall showed both results after ${recovery.toFixed(0)} ms`);
    // The tab coming back: a reload before "Live" again.
    const reloads = [];
    wall.on('request', (r) => r.url().endsWith('/bracket') && reloads.push(r.url()));
    await wall.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await until('a reload after the tab became visible', async () => reloads.length > 0, 3000);
    await waitLive(wall);
  });

  await step('signed in past the access token\'s 15 minutes: a blip recovers and the next action works', async () => {
    const id = await seeded(await root(), { name: `Late Cup ${run}`, tournament_type: 'single_elimination', max_participants: 4 }, ['Ada', 'Bo', 'Cy', 'Di']);
    const page = await newPage('late');
    // The login answer's token is re-signed to run out 3 s from now (as after 15 minutes).
    await page.route('**/api/auth/login', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      if (body.access_token) body.access_token = expiringSoon(body.access_token, 3);
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(`/tournaments/${id}`);
    await page.getByRole('heading', { level: 1, name: `Late Cup ${run}` }).waitFor();
    // Signing in from the tournament comes back to it.
    await uiLogin(page, ROOT_EMAIL, ROOT_PASSWORD);
    await page.getByRole('heading', { level: 1, name: `Late Cup ${run}` }).waitFor();
    check(page.url().endsWith(`/tournaments/${id}`), `after logging in the page is ${page.url()}`);
    await page.waitForTimeout(4000);
    await page.context().setOffline(true);
    await page.getByTestId('live').filter({ hasText: 'Offline' }).waitFor({ timeout: 3000 });
    await page.context().setOffline(false);
    await waitLive(page);
    await page.getByRole('button', { name: 'Start tournament' }).click();
    await page.getByTestId('status').filter({ hasText: 'In progress' }).waitFor();
    check((await page.getByRole('button', { name: 'Log out' }).count()) === 1, 'the expired token signed the person out');
  });

  await step('64-player double elimination with 50-character names: the wall at 1920 × 1080, the phone at 360 px', async () => {
    const firsts = ['Alexandra', 'Maximilian', 'Konstantin', 'Anastasia', 'Bartholomew', 'Guinevere', 'Evangeline', 'Christopher'];
    const lasts = ['Papadopoulou-Vanderberg', 'Hohenzollern-Sigmaringen', 'Oyelaran-Whitfield', 'Castellanos de la Vega', 'Montgomery-Fairweather', 'Nakamura-Lindqvist', 'Delacroix-Beaumont', 'Vasquez-Oyelowo'];
    const long = (i) => {
      const n = `${firsts[i % 8]} ${firsts[(i * 3 + 1) % 8]} ${lasts[Math.floor(i / 8) % 8]} ${lasts[(i + 3) % 8]}`.slice(0, 50);
      return n.endsWith(' ') || n.endsWith('-') ? `${n.slice(0, 49)}a` : n;
    };
    const names = Array.from({ length: 64 }, (_, i) => long(i));
    names[6] = '<img src=x onerror="window.__xss=1">Bobby Tables';
    names[1] = 'Maximiliana Theodora Wilhelmina Augustina-Friederike von Hohenzollern-Sigmaringen und Vanderbilt';
    check(names[1].length >= 95, `the long name is ${names[1].length} characters`);
    check(names[0].length === 50, `names are ${names[0].length} characters`);
    const id = await seeded(await root(), { name: `Big Double ${run}`, tournament_type: 'double_elimination', max_participants: 64 }, names);
    check((await api('POST', `/tournaments/${id}/start`, {}, await root())).status === 200, 'start');
    // Half-way first: the phone's round view has ready matches.
    await playApi(await root(), id, { stop: (b) => b.matches.filter((m) => m.status === "completed").length >= 32 });
    const phone = await newPage('phone', { width: 360, height: 740 });
    await phone.goto(`/tournaments/${id}`);
    await phone.getByTestId('bracket').waitFor({ timeout: 60000 });
    await phone.getByLabel('My matches').selectOption({ label: names[0] });
    await phone.getByRole('region', { name: `Path of ${names[0]}` }).waitFor();
    const p = await fits(phone, '.phone-round .match');
    check(p.sideways <= 0, `the phone page scrolls sideways by ${p.sideways}px at 360 px`);
    check(p.count > 0, 'the phone shows no match of the current round');
    check((await phone.locator('img').count()) === 0 && !(await phone.evaluate(() => window.__xss)), 'a name with markup became markup');
    await axe(phone, 'phone round view');
    await phone.locator('.phone-rounds').scrollIntoViewIfNeeded();
    await phone.evaluate(() => document.querySelector('.bracket-wrap')?.scrollIntoView());
    await readmeShot(phone, 'phone-round-view', false);
    // The whole page (participant list with the longest name included) stays on the screen.
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 360, `the phone page is ${wide}px wide`);
    // The wall half-way through (playing all 127 matches costs minutes on a busy machine;
    // the champion banner is checked on the round robin's wall).
    const wall = await newPage('wall', { width: 1920, height: 1080 });
    await wall.goto(`/tournaments/${id}/wall`);
    // A 64-player bracket read takes seconds on a busy 2-core machine.
    await wall.getByTestId('bracket').waitFor({ timeout: 60000 });
    await wall.getByTestId('live').filter({ hasText: /^Live$/ }).waitFor({ timeout: 60000 });
    await wall.waitForTimeout(300);
    const g = await fits(wall, '.match');
    check(g.count === 127 || g.count === 126, `the wall shows ${g.count} matches`);
    check(g.sideways <= 0, `the wall scrolls sideways by ${g.sideways}px`);
    check(g.outside.length === 0, `${g.outside.length} matches are off the wall's screen`);
    check((await wall.locator('img').count()) === 0, 'a name with markup became markup on the wall');
    const scale = await wall.evaluate(() => document.querySelector('.wall-inner')?.style.transform);
    console.log(`     wall: 64-player double elimination, ${g.count} matches on 1920 × 1080 at ${scale}`);
    await axe(wall, 'wall');
    await readmeShot(wall, 'wall-double-elimination-64');
  });

  await step('the admin deletes an account through a confirmation that says what happens; pending approvals skip it', async () => {
    const email = `gone-${run}@example.com`;
    const reg = await api('POST', '/auth/register', { email, password, full_name: `Gone Soon ${run}` });
    check(reg.status === 201, `register answered ${reg.status}`);
    await go(admin, '/');
    await admin.getByRole('link', { name: 'Admin', exact: true }).click();
    const row = admin.getByRole('region', { name: 'Pending approvals' }).locator(`tr[data-email="${email}"]`);
    await row.getByRole('button', { name: /^Delete / }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.filter({ hasText: 'can no longer log in' }).waitFor();
    await axe(admin, 'confirmation dialog');
    await shot(admin, 'confirm-delete');
    await dialog.getByRole('button', { name: 'Keep things as they are' }).click();
    check((await api('POST', '/auth/login', { email, password })).status === 200, 'keeping the account still deleted it');
    await row.getByRole('button', { name: /^Delete / }).click();
    await dialog.getByRole('button', { name: 'Delete the account' }).click();
    await row.waitFor({ state: 'detached' });
    await go(admin, '/');
    await go(admin, '/admin');
    await admin.getByRole('region', { name: 'Pending approvals' }).first().waitFor();
    await admin.waitForLoadState('networkidle');
    check((await admin.getByRole('region', { name: 'Pending approvals' }).locator(`tr[data-email="${email}"]`).count()) === 0,
      'a deleted account is still listed as pending approval');
    // The deletion reaches the auth service through an event, within seconds (API.md).
    await until('the deleted account to be refused at login', async () => (await api('POST', '/auth/login', { email, password })).status === 401);
  });

  await step('disqualify: a confirmation, a DQ badge, no second offer, a W/O mark on the loser', async () => {
    const id = await seeded(await trainerToken(), { name: `DQ Cup ${run}`, tournament_type: 'single_elimination', max_participants: 4 }, ['Eli', 'Fay', 'Gil', 'Hal']);
    check((await api('POST', `/tournaments/${id}/start`, {}, await trainerToken())).status === 200, 'start');
    await go(trainer, `/tournaments/${id}`);
    await trainer.getByTestId('bracket').waitFor();
    await trainer.getByRole('button', { name: 'Disqualify Hal' }).click();
    await trainer.getByRole('dialog').filter({ hasText: 'W/O' }).waitFor();
    await trainer.getByRole('dialog').getByRole('button', { name: 'Disqualify' }).click();
    await trainer.locator('.plist li', { hasText: 'Hal' }).locator('.pb-disqualified').waitFor();
    check((await trainer.getByRole('button', { name: 'Disqualify Hal' }).count()) === 0, 'Disqualify is offered twice');
    const wo = trainer.locator('.match .side.lost', { hasText: 'Hal' }).locator('.wo');
    await wo.first().waitFor();
    check((await trainer.locator('.match .side.won .score', { hasText: 'forfeit' }).count()) === 0, 'the winner reads "forfeit"');
    await shot(trainer, 'disqualified');
  });

  await step('keyboard: the tournaments list and a tournament open with Tab and Enter', async () => {
    const kb = await newPage('keyboard');
    await kb.goto('/');
    await kb.getByLabel('Status').selectOption('');
    await kb.getByRole('link', { name: `Spring Cup ${run}` }).waitFor();
    let found = false;
    for (let i = 0; i < 60 && !found; i++) {
      await kb.keyboard.press('Tab');
      found = await kb.evaluate((n) => document.activeElement?.textContent === n, `Spring Cup ${run}`);
    }
    check(found, 'the tournament link is not reachable with Tab');
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { level: 1, name: `Spring Cup ${run}` }).waitFor();
    await axe(kb, 'tournament page');
  });

  await step('the list: a loading state, "upcoming" soonest first, a dead link with a way back', async () => {
    const page = await newPage('list');
    await seeded(await root(), { name: `Far Future ${run}`, tournament_type: 'single_elimination', max_participants: 4, start_date: '2090-01-01T10:00:00Z' }, []);
    await seeded(await root(), { name: `Next Week ${run}`, tournament_type: 'single_elimination', max_participants: 4, start_date: new Date(Date.now() + 7 * 86400e3).toISOString() }, []);
    let release;
    const held = new Promise((r) => (release = r));
    const listCall = (url) => url.pathname === '/api/tournaments';
    await page.route(listCall, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto('/');
    await page.getByTestId('loading').waitFor();
    await axe(page, 'tournaments list (loading)');
    release();
    await page.getByRole('link', { name: `Next Week ${run}` }).waitFor();
    await page.unroute(listCall);
    const titles = await page.locator('.card h2').allInnerTexts();
    check(titles.indexOf(`Next Week ${run}`) < titles.indexOf(`Far Future ${run}`), `"upcoming" lists ${titles.join(' | ')}`);
    await axe(page, 'tournaments list');
    await shot(page, 'tournaments-upcoming');
    await page.goto('/tournaments/0190a0b0-0000-7000-8000-000000000000');
    await page.getByText('That tournament no longer exists').waitFor();
    const title = await titleOnceItIs(page, 'Not found · GymIT');
    check(title === 'Not found · GymIT', `a dead link's title is ${title}`);
    await page.getByRole('link', { name: 'Back to the tournaments' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tournaments' }).waitFor();
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

  // ---- v1.1 (API.md "Formats and flows gyms run every week", "Password reset and staying signed in")

  await step('stay signed in: a reload keeps the person signed in', async () => {
    await go(trainer, `/tournaments/${tSE}`);
    await trainer.getByRole('button', { name: 'Log out' }).waitFor();
    await trainer.reload();
    await trainer.getByRole('heading', { level: 1, name: `Spring Cup ${run}` }).waitFor();
    await trainer.getByRole('button', { name: 'Log out' }).waitFor({ timeout: 5000 });
  });

  await step('forgot password: a code through the local mailbox, a new password', async () => {
    const page = await newPage('reset');
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(memberEmail);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByRole('status').filter({ hasText: 'a code is on its way' }).waitFor();
    const mail = await until('the reset email', async () => {
      const r = await fetch(`${BASE}/_local/mail?to=${encodeURIComponent(memberEmail)}`);
      if (!r.ok) return null;
      const items = (await r.json()).items ?? [];
      return items[0] ?? null;
    });
    const code = (mail.text.match(/[?&]code=([^\s&]+)/) ?? mail.text.match(/\b([A-Za-z0-9_-]{20,})\b/))?.[1];
    check(code, `no code in the email: ${mail.text}`);
    await page.getByLabel('Code from the email').fill(decodeURIComponent(code));
    await page.getByLabel(/^New password/).fill('a brand new passphrase');
    await axe(page, 'password reset');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByText('Your password was changed').waitFor();
    await page.getByLabel('Email').fill(memberEmail);
    await page.getByLabel('Password', { exact: true }).fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  });

  await step('emoji names: 🏋️‍♀️ and 🏳️‍🌈 as players', async () => {
    const id = await seeded(await trainerToken(), { name: `Emoji Open ${run}`, tournament_type: 'single_elimination', max_participants: 4 }, []);
    await go(trainer, `/tournaments/${id}`);
    await addPlayers(trainer, ['Zoë 🏋️‍♀️', 'Ari 🏳️‍🌈']);
    await trainer.locator('.plist li', { hasText: 'Zoë 🏋️‍♀️' }).waitFor();
    await trainer.locator('.plist li', { hasText: 'Ari 🏳️‍🌈' }).waitFor();
  });

  await step('check-in night: a waitlist, check-in, and a start that replaces a no-show from the waitlist', async () => {
    const soon = new Date(Date.now() + 30 * 60e3).toISOString();
    const tr = await api('POST', '/tournaments', { name: `Check-in Night ${run}`, start_date: soon, max_participants: 4, tournament_type: 'single_elimination', check_in_minutes: 60, waitlist_size: 2 }, await trainerToken());
    check(tr.status === 201, `create answered ${tr.status}: ${JSON.stringify(tr.body)}`);
    const id = tr.body.tournament.id;
    const people = [];
    for (const n of ['Kim', 'Lee', 'Mo', 'Ned', 'Ola', 'Pat']) people.push(await account(await root(), `${n} ${run}`));
    for (const p of people.slice(0, 4)) check((await api('POST', `/tournaments/${id}/participants`, {}, p.token)).status === 201, 'join');
    const ola = people[4];
    const pat = people[5];
    check((await api('POST', `/tournaments/${id}/participants`, {}, pat.token)).status === 202, 'the 5th join is waitlisted');
    // Ola joins the waitlist through the page and checks in; Pat leaves it.
    const op = await newPage('ola', { width: 360, height: 740 });
    await op.goto(`/tournaments/${id}`);
    await uiLogin(op, ola.email, PASSWORD);
    await op.getByRole('heading', { level: 1, name: `Check-in Night ${run}` }).waitFor();
    await op.getByTestId('checkin-window').filter({ hasText: 'Check-in is open' }).waitFor();
    await op.getByRole('button', { name: 'Join the waitlist' }).click();
    await op.getByRole('status').filter({ hasText: 'number 2 on the waitlist' }).waitFor();
    await op.getByRole('button', { name: 'Check in' }).click();
    await op.locator(`[data-waitlist="${ola.id}"] .checked`).waitFor();
    const pp = await newPage('pat');
    await pp.goto(`/tournaments/${id}`);
    await uiLogin(pp, pat.email, PASSWORD);
    await pp.getByRole('button', { name: 'Leave the waitlist' }).click();
    await pp.locator(`[data-waitlist="${pat.id}"]`).waitFor({ state: 'detached' });
    await op.locator(`[data-waitlist="${ola.id}"] .seed`).filter({ hasText: /^1$/ }).waitFor();
    await axe(op, 'check-in (phone)');
    await shot(op, 'check-in-phone');
    // Kim checks in herself; the trainer checks in Lee and Mo; Ned never comes.
    check((await api('POST', `/tournaments/${id}/check-in`, {}, people[0].token)).status === 200, 'self check-in');
    await go(trainer, `/tournaments/${id}`);
    for (const p of people.slice(1, 3)) {
      await trainer.getByRole('button', { name: `Check in ${p.name}` }).click();
      await trainer.locator('.plist li', { hasText: p.name }).locator('.checked').waitFor();
    }
    await trainer.getByRole('button', { name: 'Start tournament' }).click();
    await trainer.getByRole('dialog').filter({ hasText: '1 player has not checked in' }).waitFor();
    await trainer.getByRole('dialog').getByRole('button', { name: 'Start tournament' }).click();
    await trainer.getByRole('status').filter({ hasText: `No-shows: Ned ${run}. From the waitlist: Ola ${run}.` }).waitFor();
    await trainer.locator('.plist li', { hasText: `Ned ${run}` }).locator('.pb-no_show').waitFor();
    await trainer.locator('.match', { hasText: `Ola ${run}` }).first().waitFor();
    check((await trainer.locator('.match', { hasText: `Ned ${run}` }).count()) === 0, 'the no-show is in the bracket');
    await op.getByTestId('status').filter({ hasText: 'In progress' }).waitFor();
    // Ola drops out: her match goes to the opponent, marked W/O on her side.
    await op.getByRole('button', { name: 'Drop out' }).click();
    await op.getByRole('dialog').getByRole('button', { name: 'Drop out' }).click();
    await op.locator(`[data-participant] .pb-dropped`).first().waitFor();
    await trainer.locator('.match .side.lost', { hasText: `Ola ${run}` }).locator('.wo').waitFor();
    await shot(trainer, 'check-in-started');
  });

  await step('Swiss: 8 players pasted as a list, top cut of 4, played to the end', async () => {
    await go(trainer, '/tournaments/new');
    await trainer.getByLabel('Name', { exact: true }).fill(`Swiss Night ${run}`);
    await trainer.getByLabel('Format').selectOption('swiss');
    await trainer.getByLabel('Maximum players').fill('8');
    await trainer.getByLabel(/^Top cut/).selectOption('4');
    await trainer.getByRole('button', { name: 'Create tournament' }).click();
    await trainer.getByRole('heading', { level: 1, name: `Swiss Night ${run}` }).waitFor();
    const id = trainer.url().split('/').pop();
    await trainer.getByText('Paste a list of players').click();
    await trainer.getByLabel(/^One name per line/).fill(['Abe', 'Bea', 'Cal', 'Dee', 'Eda', 'Fin', 'Gia', 'Hux'].join('\n'));
    await trainer.getByRole('button', { name: 'Add 8 players' }).click();
    await trainer.getByTestId('count').filter({ hasText: /^8$/ }).waitFor();
    await start(trainer);
    await spectator.goto(`/tournaments/${id}`);
    await spectator.getByTestId('bracket').waitFor();
    await waitLive(spectator);
    const heads = await spectator.locator('.standings-wrap thead th').allInnerTexts();
    check(heads.includes('Buchholz') && heads.includes('S-B'), `Swiss standings show ${heads.join(', ')}`);
    check((await spectator.getByTestId('standings').getAttribute('data-provisional')) === 'true', 'standings in play are not labelled provisional');
    const played = await playAll(trainer, spectator, (m) => (m.index % 5 === 4 && m.bracket === 'swiss' ? 2 : 0));
    check((await spectator.locator('[data-round-card]').count()) === 3, 'an 8-player Swiss has 3 rounds');
    check((await spectator.locator('.match[data-bracket="playoff"]').count()) >= 3, 'the top cut is a 4-player knockout');
    console.log(`     Swiss: ${played} matches reported`);
    await spectator.getByTestId('champion').waitFor();
    await axe(spectator, 'Swiss');
    await shot(spectator, 'swiss');
  });

  await step('groups, then playoffs: 2 groups of 4, top 2 of each, played to the end', async () => {
    await go(trainer, '/tournaments/new');
    await trainer.getByLabel('Name', { exact: true }).fill(`Group Cup ${run}`);
    await trainer.getByLabel('Format').selectOption('group_stage');
    await trainer.getByLabel('Maximum players').fill('8');
    await trainer.getByLabel(/^Groups/).fill('2');
    await trainer.getByLabel('Players advancing per group').fill('2');
    await trainer.getByRole('button', { name: 'Create tournament' }).click();
    await trainer.getByRole('heading', { level: 1, name: `Group Cup ${run}` }).waitFor();
    const id = trainer.url().split('/').pop();
    await trainer.getByText('Paste a list of players').click();
    await trainer.getByLabel(/^One name per line/).fill(['Ivy', 'Jon', 'Kat', 'Leo', 'Mae', 'Nat', 'Oz', 'Pam'].join('\n'));
    await trainer.getByRole('button', { name: 'Add 8 players' }).click();
    await trainer.getByTestId('count').filter({ hasText: /^8$/ }).waitFor();
    await start(trainer);
    await spectator.goto(`/tournaments/${id}`);
    await spectator.getByTestId('bracket').waitFor();
    await waitLive(spectator);
    check((await spectator.locator('[data-group]').count()) === 2, 'two group tables');
    const played = await playAll(trainer, spectator, () => 0);
    console.log(`     group stage: ${played} matches reported`);
    check((await spectator.locator('.playoff .match').count()) >= 3, 'the playoff is drawn beside the groups');
    await spectator.getByTestId('champion').waitFor();
    await axe(spectator, 'group stage');
    await shot(spectator, 'group-stage');
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
