// The daily flow through the real app against a real city server:
//   officer: log in, sign in and reply to a case (online);
//   offline: the server stops, the officer signs in and replies to a second case, the two
//            commands wait in the queue; the server comes back, they sync, the queue is 0;
//   supervisor: after the unit head's sign-off (REST), approves the sensitive reply.
// Steps run in order; once one fails the rest are skipped (they build on it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as api from '../lib/api.js';
import { launch } from '../lib/app.js';
import { PASSWORD } from '../lib/env.js';
import { startServer, stopServer } from '../lib/server.js';

const run = `E2E${Date.now().toString(36).toUpperCase()}`;
const data = {};
let app = null;
let broken = null;

function step(name, fn) {
  it(name, async (t) => {
    if (broken) {
      t.skip(`skipped: earlier step failed (${broken})`);
      return;
    }
    try {
      await fn();
    } catch (e) {
      broken = name;
      if (app) {
        await app.shot(`FAILED-${name.replace(/[^\w]+/g, '-')}`);
        const msgs = await app.toasts();
        if (msgs.length) console.log(`# on screen at the failure: ${msgs.join(' | ')}`);
      }
      throw e;
    }
  });
}

/**
 * Waits for the app to notice by itself (its background sync/health loop); after 20 s
 * presses 同步 (topbar-sync) once, as a user would, and notes it.
 */
async function untilOrSync(name, pred, what) {
  try {
    await app.waitText(name, pred, { timeout: 20_000, what });
  } catch {
    console.log(`# ${what}: not within 20 s on its own; pressing topbar-sync`);
    await app.click('topbar-sync');
    await app.waitText(name, pred, { timeout: 60_000, what });
  }
}

/** Polls the server until `pred(caseView)` holds. */
async function serverCase(token, id, pred, what, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last = null;
  while (Date.now() < deadline) {
    last = await api.getCase(token, id);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`server: ${what} not reached within ${timeout} ms (state ${last?.stateName})`);
}

describe('民生警务平台 desktop, end to end', () => {
  before(async () => {
    await startServer();
    const clerk = await api.login('clerk');
    // A: 涉警投诉 (sensitive) — needs the unit head's and a supervisor's sign-off.
    data.a = await api.dispatchedCase(clerk, {
      title: `${run} 民警接警态度生硬投诉`,
      unitCode: 'JN-LX-QCL',
      sensitive: true,
    });
    // B: ordinary, handled while offline.
    data.b = await api.dispatchedCase(clerk, {
      title: `${run} 夜间施工噪音扰民`,
      unitCode: 'JN-LX-QCL',
      sensitive: false,
    });
    assert.equal(data.a.stateName, '待签收');
    assert.equal(data.b.stateName, '待签收');
    console.log(`# cases: A ${data.a.number} (${data.a.id}), B ${data.b.number} (${data.b.id})`);
  });

  after(async () => {
    await app?.close();
    await stopServer();
  });

  step('officer logs in and sees the workbench, online', async () => {
    app = await launch();
    await app.ensureLoginScreen();
    await app.login('officer', PASSWORD);
    await app.waitText('topbar-online', (t) => t.includes('在线'), { what: '在线' });
    await app.waitFor('worklist-unsigned', { timeout: 30_000 });
    await app.shot('officer-workbench');
  });

  step('officer signs in case A and submits the reply', async () => {
    await app.openCase(data.a.id, run);
    await app.shot('officer-case-a');
    assert.equal(await app.text('case-state'), '待签收');
    await app.doAction('signIn');
    await app.waitText('case-state', (t) => t === '办理中', { what: '办理中' });
    await app.doAction('submitReply', { reply: '经核查，已对涉事民警进行批评教育，并向当事人当面致歉。' });
    await app.waitText('case-state', (t) => t === '待审核', { what: '待审核' });
    await app.shot('officer-case-a-replied');
    const officer = await api.login('officer');
    await serverCase(officer, data.a.id, (c) => c.stateName === '待审核', 'A 待审核');
    await app.b.waitUntil(async () => (await app.queued()) === 0, {
      timeout: 30_000,
      timeoutMsg: 'queue did not drain while online',
    });
  });

  step('server stops: the app shows 离线', async () => {
    await stopServer();
    await untilOrSync('topbar-online', (t) => t.includes('离线'), '离线');
    await app.shot('officer-offline');
  });

  step('offline: sign in and reply to case B; two commands queued', async () => {
    await app.openCase(data.b.id, run);
    await app.doAction('signIn');
    await app.waitText('case-state', (t) => t === '办理中', { what: '办理中 (local)' });
    await app.doAction('submitReply', { reply: '已联系施工单位，夜间22时后停止施工，并安排民警回访。' });
    await app.waitText('case-state', (t) => t === '待审核', { what: '待审核 (local)' });
    await app.b.waitUntil(async () => (await app.queued()) === 2, {
      timeout: 15_000,
      timeoutMsg: 'topbar-queued did not show 2',
    });
    await app.shot('officer-offline-queued');
  });

  step('server restarts: the queue syncs to 0 and the server has both actions', async () => {
    await startServer();
    await untilOrSync('topbar-online', (t) => t.includes('在线'), '在线 again');
    await app.b.waitUntil(async () => (await app.queued()) === 0, {
      timeout: 60_000,
      timeoutMsg: 'queue did not drain after reconnecting',
    });
    await app.shot('officer-synced');
    const officer = await api.login('officer');
    await serverCase(officer, data.b.id, (c) => c.stateName === '待审核', 'B 待审核', 10_000);
    const kinds = (await api.timeline(officer, data.b.id)).map((e) => e.kind);
    assert.deepEqual(kinds.filter((k) => k === 'signIn' || k === 'submitReply'), ['signIn', 'submitReply']);
    const offline = (await api.timeline(officer, data.b.id)).filter((e) => e.kind === 'signIn' || e.kind === 'submitReply');
    if (offline.some((e) => !e.deviceAt)) console.log('# note: offline timeline entries carry no deviceAt');
  });

  step('officer: every navigation entry opens', () =>
    tour('officer', ['workbench', 'cases', 'homevisit', 'conflicts', 'settings']));

  step('officer signs out', async () => {
    await app.signOut();
    await app.close();
    app = null;
  });

  step('unit head signs off A (REST); supervisor approves it in the app', async () => {
    const head = await api.login('head');
    const afterHead = await api.act(head, data.a.id, { type: 'approve', comment: '同意，报分局签批。' });
    assert.equal(afterHead.stateName, '待审核');

    app = await launch();
    await app.ensureLoginScreen();
    await app.login('supervisor', PASSWORD);
    await app.shot('supervisor-workbench');
    await app.click('nav-approvals');
    const row = await findRow('approval-row', data.a);
    await app.shot('supervisor-approvals');
    // The approvals screen decides in place: comment + approve on the row.
    await fillIn(row, 'field-comment', '同意答复。');
    await app.clickEl(await row.$('[data-test="approval-approve"]'));
    await app.b.waitUntil(
      async () => !(await app.b.$(`[data-test="approval-row"][data-case-id="${data.a.id}"]`).isExisting()),
      { timeout: 15_000, timeoutMsg: 'the approved row stayed in the approvals list' },
    );
    await app.openCase(data.a.id, run);
    await app.waitText('case-state', (t) => t === '已办结', { what: '已办结' });
    await app.shot('supervisor-approved');
    const sup = await api.login('supervisor');
    await serverCase(sup, data.a.id, (c) => c.stateName === '已办结', 'A 已办结');
  });

  step('supervisor: every navigation entry opens', () =>
    tour('supervisor', ['workbench', 'cases', 'approvals', 'conflicts', 'settings']));
});

/** Opens every side-menu entry shown (`nav-*`) and screenshots it; `required` must be there. */
async function tour(role, required) {
  const shown = [];
  for (const e of await app.b.$$('[data-test^="nav-"]')) shown.push((await e.getAttribute('data-test')).slice(4));
  for (const nav of shown) {
    await app.click(`nav-${nav}`);
    await app.b.pause(800);
    await app.shot(`${role}-${nav}`);
  }
  console.log(`# ${role} menu: ${shown.join(', ')}`);
  assert.deepEqual(required.filter((r) => !shown.includes(r)), [], `menu entries missing for ${role}`);
}

/** Types into a field inside `scope` (the data-test may sit on a wrapper of the input). */
async function fillIn(scope, name, value) {
  const wrap = await scope.$(`[data-test="${name}"]`);
  await wrap.waitForDisplayed({ timeout: 10_000 });
  const tag = (await wrap.getTagName()).toLowerCase();
  const input = tag === 'input' || tag === 'textarea' ? wrap : await wrap.$('input, textarea');
  await input.setValue(value);
}

/** The row (`data-case-id`, else the case number or title in its text) for case `c`. */
async function findRow(name, c) {
  let found = null;
  await app.b.waitUntil(
    async () => {
      for (const r of await app.b.$$(`[data-test="${name}"]`)) {
        const id = await r.getAttribute('data-case-id');
        const text = await r.getText();
        if (id === c.id || (c.number && text.includes(c.number)) || text.includes(c.title)) {
          found = r;
          return true;
        }
      }
      return false;
    },
    { timeout: 30_000, interval: 500, timeoutMsg: `no ${name} for ${c.number ?? c.id}` },
  );
  return found;
}
