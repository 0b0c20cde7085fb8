// Configuration as data through the real app (admin-console issue):
//   admin:   组织机构 — a new 派出所 under 历下分局 (the tree, the form); 期限、日历与类别 —
//            complaints (投诉) due in 2 working days instead of 5, and a new category;
//            an officer is posted to the new station (REST: the user screen is
//            admin_console.test.js's);
//   officer: first sign-in with the admin's password → 设置 asks for a new one; the
//            入户走访 form offers the new category; a complaint the clerk dispatches to
//            the station shows the deadline of the new rule (checked against the
//            server's, and 2 working days, not 5);
//   offline: the server stops, the app shows it is offline; the admin's next change
//            (another category) is made while the app cannot reach the server, and the
//            app offers it once the link is back (the pull brings the configuration).
// The spec puts the SLA rules back at the end (later specs count deadlines by SPEC §4).
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';

import * as api from '../lib/api.js';
import { continueShotsAfter, launch } from '../lib/app.js';
import { PASSWORD } from '../lib/env.js';
import { rest } from '../lib/rest.js';
import { openAdmin, openOptions, snap as snapShot, steps } from '../lib/flow.js';
import { startServer, stopServer } from '../lib/server.js';

continueShotsAfter(130);

const run = Date.now().toString(36).toUpperCase().slice(-5);
const STATION = { code: `JN-LX-E${run}`, name: `新城派出所${run}` };
const CATEGORY = `校园安全${run}`;
const LATER = `寄递安全${run}`;
const OFFICER = `xc-officer-${run.toLowerCase()}`;
const NEW_PASSWORD = 'Xincheng@2027';

let app = null;
let admin = null;
let clerk = null;
let rulesBefore = null;

const step = steps(() => app);
const snap = (name) => snapShot(app, name);
const openAdminScreen = (item, ready) => openAdmin(app, item, ready);

/** Sets an Element Plus number input (the data-test sits on its wrapper). */
async function setNumber(name, value) {
  const root = await app.waitFor(name);
  const input = await root.$('input');
  await input.click();
  await app.b.keys(['Control', 'a']);
  await app.b.keys('Backspace');
  await input.setValue(String(value));
  await app.b.keys('Tab');
}

/** The options an Element Plus select offers (opens it, reads, closes it). */
async function optionsOf(name) {
  const root = await app.waitFor(name);
  await app.clickEl(await root.$('.el-select__wrapper'));
  let offered = [];
  await app.b
    .waitUntil(async () => (offered = await openOptions(app)).length > 0, { timeout: 5000, interval: 100 })
    .catch(() => {}); // an empty list is the caller's to judge
  return offered;
}

/** Presses 同步 and waits for the round it starts to end (a new lastSyncAt), at most `timeout`. */
async function pressSync(timeout = 10_000) {
  const before = (await app.syncStatus()).lastSyncAt;
  await app.click('topbar-sync');
  return app.b
    .waitUntil(async () => (await app.syncStatus()).lastSyncAt !== before, { timeout, interval: 200 })
    .then(() => true)
    .catch(() => false);
}

/** "YYYY-MM-DD HH:mm" in Beijing time, as the app shows instants. */
function beijing(iso) {
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

/** Working minutes (09:00–17:00 Beijing, Monday–Friday) between two instants; the spec's
 *  own count, independent of the app and the server (no holiday falls in these days: the
 *  test asserts that none of the days crossed is in the calendar's holidays). */
function workingMinutes(fromIso, toIso) {
  const from = new Date(fromIso).getTime();
  const to = new Date(toIso).getTime();
  const H = 3600_000;
  let ms = 0;
  // Each Beijing day from the first to the last: its 09:00–17:00 overlapped with [from, to).
  const firstDay = Math.floor((from + 8 * H) / (24 * H));
  const lastDay = Math.floor((to + 8 * H) / (24 * H));
  for (let d = firstDay; d <= lastDay; d++) {
    const midnight = d * 24 * H - 8 * H; // 00:00 Beijing as a UTC instant
    const weekday = new Date(midnight + 8 * H).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const open = Math.max(from, midnight + 9 * H);
    const close = Math.min(to, midnight + 17 * H);
    if (close > open) ms += close - open;
  }
  return Math.round(ms / 60_000);
}

describe('configuration as data, through the app', { timeout: 420_000 }, () => {
  before(async () => {
    await startServer();
    admin = await api.login('admin');
    clerk = await api.login('clerk');
    rulesBefore = (await rest('GET', '/config', admin)).sla.at(-1).rules;
    app = await launch();
    await app.ensureLoginScreen();
  });

  after(async () => {
    if (rulesBefore) await rest('PUT', '/config/sla', admin, rulesBefore).catch(() => {});
    await app?.close();
    // The spec's process ends only once its server is gone (the next spec starts its own).
    await stopServer();
  });

  step('admin adds a station under 历下分局 in 组织机构', async () => {
    await app.login('admin', PASSWORD);
    await openAdminScreen('nav-admin-org', 'org-tree');
    await app.click('org-node-JN-LX');
    await app.waitFor('org-form');
    await snap('admin-org-lixia');
    await app.click('org-add');
    await app.fill('org-new-name', STATION.name);
    await app.fill('org-new-code', STATION.code);
    await app.click('org-new-save');
    await app.waitFor(`org-node-${STATION.code}`, { timeout: 15_000 });
    await snap('admin-org-new-station');
    const units = await rest('GET', '/units', admin);
    const made = units.find((u) => u.code === STATION.code);
    assert.ok(made, 'the server has the new unit');
    assert.equal(made.parent, await api.unitId(admin, 'JN-LX'));
    assert.equal(made.level, 3);
  });

  step('admin makes complaints due in 2 working days and adds a category', async () => {
    await openAdminScreen('nav-admin-config', 'config-sla-form');
    await snap('admin-config-before');
    await setNumber('config-reply-投诉', 2);
    await app.click('config-sla-save');
    await app.b.waitUntil(async () => (await rest('GET', '/config', admin)).sla.at(-1).rules.replyDaysByType['投诉'] === 2, {
      timeout: 15_000,
      timeoutMsg: 'the server never got 投诉 = 2 days',
    });
    await app.fill('config-category-name', CATEGORY);
    await app.click('config-category-add');
    await app.b.waitUntil(async () => (await rest('GET', '/config', admin)).categories.some((c) => c.name === CATEGORY), {
      timeout: 15_000,
      timeoutMsg: `the server never listed ${CATEGORY}`,
    });
    await snap('admin-config-after');
    // Posted by REST (the user screen is admin_console's), in the new station.
    const unitId = await api.unitId(admin, STATION.code);
    await rest('POST', '/users', admin, { username: OFFICER, displayName: '新城民警', role: 'officer', unitId, password: PASSWORD });
    await app.signOut();
  });

  step('the new officer changes the admin-set password at the first sign-in', async () => {
    await app.login(OFFICER, PASSWORD);
    await app.waitFor('password-card', { timeout: 15_000 });
    await snap('officer-must-change-password');
    await app.fill('pw-old', PASSWORD);
    await app.fill('pw-new', NEW_PASSWORD);
    await app.fill('pw-confirm', NEW_PASSWORD);
    await app.click('pw-submit');
    // Until the change is done the app keeps the officer on 设置; then the menu works.
    await app.b.waitUntil(
      async () => {
        if (await app.isShown('pw-error')) throw new Error(`password refused: ${await app.text('pw-error')}`);
        await app.click('nav-homevisit');
        return app.isShown('homevisit-form', 2000);
      },
      { timeout: 20_000, interval: 500, timeoutMsg: 'the app kept the officer on 设置 after the password change' },
    );
  });

  step('the officer sees the new category in the 入户走访 form', async () => {
    await app.click('nav-homevisit');
    await app.waitFor('homevisit-form');
    const offered = await optionsOf('field-category');
    await snap('officer-homevisit-categories');
    assert.ok(offered.includes(CATEGORY), `the form offers ${CATEGORY}: ${offered.join('、')}`);
    await app.b.keys('Escape');
  });

  step('a complaint dispatched to the station now is due in 2 working days', async () => {
    const created = await rest('POST', '/cases', clerk, {
      channel: '12345市长热线',
      requestType: '投诉',
      title: `新城派出所辖区施工噪音${run}`,
      content: '新城小区旁工地夜间施工，噪音很大，请派出所处理。',
      citizenName: '赵先生',
      citizenPhone: '13811112222',
    });
    const view = await api.act(clerk, created.id, {
      type: 'dispatch',
      handlingUnit: await api.unitId(clerk, STATION.code),
      category: CATEGORY,
      requestType: '投诉',
      urgency: '普通',
      flags: { policeComplaint: false, important: false },
    });
    const cfg = await rest('GET', '/config', admin);
    const holidays = new Set(cfg.holidayYears.flatMap((y) => y.holidays.flatMap((h) => h.dates)));
    const from = view.dispatchedAt > view.receivedAt ? view.dispatchedAt : view.receivedAt;
    for (let t = new Date(from).getTime(); t <= new Date(view.deadlines.reply).getTime(); t += 86_400_000) {
      const day = beijing(new Date(t).toISOString()).slice(0, 10);
      if (holidays.has(day)) throw new Error(`a holiday (${day}) lies in the deadline; the spec's own count assumes none`);
    }
    assert.equal(workingMinutes(from, view.deadlines.reply), 2 * 480, 'SPEC §4: 2 working days of 8 hours');

    await app.openCase(created.id, created.number);
    const shown = await app.waitText('case-reply-deadline', (t) => t.includes(beijing(view.deadlines.reply)), {
      what: `the reply deadline ${beijing(view.deadlines.reply)}`,
      timeout: 30_000,
    });
    await snap('officer-case-new-deadline');
    assert.ok(shown.includes(beijing(view.deadlines.reply)), 'the case page shows the server\'s deadline');
  });

  step('offline, the app still works; the next change arrives when the link is back', async () => {
    await stopServer();
    await app.click('topbar-sync');
    await app.waitText('topbar-online', (t) => t.includes('离线'), { what: '离线 after 同步 with the server down' });
    await snap('officer-offline');
    await startServer();
    await rest('POST', '/config/categories', await api.login('admin'), { op: 'add', name: LATER });
    await app.click('nav-homevisit');
    await app.waitFor('homevisit-form');
    let offered = [];
    await app.b.waitUntil(
      async () => {
        offered = await optionsOf('field-category');
        await app.b.keys('Escape');
        if (offered.includes(LATER)) return true;
        await pressSync().catch(() => {});
        return false;
      },
      { timeout: 90_000, interval: 500, timeoutMsg: `${LATER} never offered after reconnecting` },
    );
    await optionsOf('field-category');
    await snap('officer-after-reconnect-categories');
    await app.b.keys('Escape');
  });
});
