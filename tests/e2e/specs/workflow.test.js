// The daily flow through the real app against a real city server:
//   officer: log in, sign in and reply to a case (online);
//   offline: the server stops, the officer signs in and replies to a second case, the two
//            commands wait in the queue; the server comes back, they sync, the queue is 0;
//            the server keeps the device time of each (before the resync);
//   conflict: offline again, the officer signs in a third case and closes the app; meanwhile
//            the case is signed in on the server (REST); back online the queued sign-in is
//            refused, listed in 同步冲突 and discarded there (cancel once, then confirm);
//   supervisor: after the unit head's sign-off (REST), approves the sensitive reply.
// The app must notice 离线/在线 through its own background sync (no 同步 pressed), and every
// screen of the side menu must render without an error toast.
// Steps run in order; once one fails the rest are skipped (they build on it).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as api from '../lib/api.js';
import { launch } from '../lib/app.js';
import { PASSWORD } from '../lib/env.js';
import * as shared from '../lib/flow.js';
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

/** Waits until the top bar's queued count is `n` (the shared helper, on this spec's app). */
const untilQueued = (n, what, timeout) => shared.untilQueued(app, n, what, timeout);

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
    // C: signed in offline while it is signed in on the server too: a conflict.
    data.c = await api.dispatchedCase(clerk, {
      title: `${run} 小区车辆乱停堵塞消防通道`,
      unitCode: 'JN-LX-QCL',
      sensitive: false,
    });
    assert.equal(data.a.stateName, '待签收');
    assert.equal(data.b.stateName, '待签收');
    assert.equal(data.c.stateName, '待签收');
    console.log(`# cases: A ${data.a.number} (${data.a.id}), B ${data.b.number} (${data.b.id}), C ${data.c.number} (${data.c.id})`);
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
    await untilQueued(0, 'queue did not drain while online', 30_000);
  });

  step('server stops: the app shows 离线 by itself', async () => {
    await stopServer();
    data.offlineAt = Date.now();
    await app.untilNoticed('topbar-online', (t) => t.includes('离线'), '离线');
    await app.shot('officer-offline');
  });

  step('offline: sign in and reply to case B; two commands queued', async () => {
    await app.openCase(data.b.id, run);
    await app.doAction('signIn');
    await app.waitText('case-state', (t) => t === '办理中', { what: '办理中 (local)' });
    await app.doAction('submitReply', { reply: '已联系施工单位，夜间22时后停止施工，并安排民警回访。' });
    await app.waitText('case-state', (t) => t === '待审核', { what: '待审核 (local)' });
    await untilQueued(2, 'two commands queued offline');
    await app.shot('officer-offline-queued');
  });

  step('server restarts: the app reconnects by itself, the queue syncs to 0, the server has both actions with their device time', async () => {
    const resyncAt = Date.now();
    await startServer();
    await app.untilNoticed('topbar-online', (t) => t.includes('在线'), '在线 again');
    await untilQueued(0, 'queue did not drain after reconnecting', 60_000);
    await app.shot('officer-synced');
    const officer = await api.login('officer');
    await serverCase(officer, data.b.id, (c) => c.stateName === '待审核', 'B 待审核', 10_000);
    const offline = (await api.timeline(officer, data.b.id)).filter((e) => e.kind === 'signIn' || e.kind === 'submitReply');
    assert.deepEqual(offline.map((e) => e.kind), ['signIn', 'submitReply']);
    // Done offline: each entry keeps the device time, taken while the server was down,
    // before the resync (and before the server time it was recorded at).
    for (const e of offline) {
      assert.ok(e.deviceAt, `B ${e.kind}: the offline entry carries its device time (deviceAt): ${JSON.stringify(e)}`);
      const device = Date.parse(e.deviceAt);
      assert.ok(Number.isFinite(device), `B ${e.kind}: deviceAt ${e.deviceAt} is a time`);
      assert.ok(
        device >= data.offlineAt && device < resyncAt,
        `B ${e.kind}: deviceAt ${e.deviceAt} lies in the offline window ` +
          `(${new Date(data.offlineAt).toISOString()} – resync ${new Date(resyncAt).toISOString()})`,
      );
      assert.ok(device < Date.parse(e.at), `B ${e.kind}: deviceAt ${e.deviceAt} precedes the server time ${e.at}`);
    }
    assert.ok(Date.parse(offline[0].deviceAt) <= Date.parse(offline[1].deviceAt), 'B: signIn done before submitReply');
  });

  step('officer: every navigation entry opens', () =>
    tour('officer', ['workbench', 'cases', 'homevisit', 'conflicts', 'settings']));

  step('offline again: the officer signs in case C, one command queued; the app is closed', async () => {
    await app.openCase(data.c.id, run);
    await app.waitText('case-state', (t) => t === '待签收', { what: 'C 待签收' });
    await stopServer();
    await app.untilNoticed('topbar-online', (t) => t.includes('离线'), '离线 (second time)');
    await app.doAction('signIn');
    await app.waitText('case-state', (t) => t === '办理中', { what: 'C 办理中 (local)' });
    await untilQueued(1, 'the offline sign-in of C');
    await app.shot('officer-offline-c-queued');
    await app.close();
    app = null;
  });

  step('meanwhile C is signed in on the server; back online the queued sign-in lands in 同步冲突', async () => {
    await startServer();
    const officer = await api.login('officer');
    const signed = await api.act(officer, data.c.id, { type: 'signIn' });
    assert.equal(signed.stateName, '办理中');
    data.cVersion = signed.version;
    data.cSignIns = (await api.timeline(officer, data.c.id)).filter((e) => e.kind === 'signIn').length;
    assert.equal(data.cSignIns, 1);

    app = await launch();
    await app.ensureLoginScreen();
    await app.login('officer', PASSWORD);
    await app.waitText('topbar-online', (t) => t.includes('在线'), { timeout: 30_000, what: '在线' });
    await untilQueued(0, 'the refused sign-in left the queue', 60_000);
    await app.waitText('nav-conflicts-badge', (t) => t === '1', { timeout: 30_000, what: 'one conflict' });
    await app.click('nav-conflicts');
    const row = app.b.$(`[data-test="conflict-row"][data-case-id="${data.c.id}"]`);
    await row.waitForDisplayed({ timeout: 15_000, timeoutMsg: 'C is not listed in 同步冲突' });
    assert.equal((await app.b.$$('[data-test="conflict-row"]')).length, 1, 'exactly one conflict');
    assert.match(await row.getText(), /签收/, 'the refused action is named');
    await app.waitFor('conflicts-hint');
    await app.settle();
    await app.shot('officer-conflict-c');
  });

  step('同步冲突: 放弃 asks first (cancel keeps the row); confirmed, the row goes and nothing reaches the server', async () => {
    const rowSel = `[data-test="conflict-row"][data-case-id="${data.c.id}"]`;
    const box = app.b.$('.el-message-box');
    // Cancel: the row stays, nothing resolved.
    await app.clickEl(app.b.$(`${rowSel} [data-test="conflict-discard"]`));
    await box.waitForDisplayed({ timeout: 10_000, timeoutMsg: '放弃 did not ask for confirmation' });
    assert.match(await box.getText(), /放弃后这条操作不会上传/);
    await app.settle();
    await app.shot('officer-conflict-discard-confirm');
    await app.clickEl(box.$('.el-message-box__btns .el-button:not(.el-button--primary)'));
    await box.waitForExist({ reverse: true, timeout: 10_000, timeoutMsg: 'the confirmation stayed after 取消' });
    assert.equal(await app.b.$(rowSel).isDisplayed(), true, 'the row went although 放弃 was cancelled');
    assert.equal(await app.text('nav-conflicts-badge'), '1');
    // Confirm: the row and the badge go.
    await app.clickEl(app.b.$(`${rowSel} [data-test="conflict-discard"]`));
    const again = app.b.$('.el-message-box');
    await again.waitForDisplayed({ timeout: 10_000, timeoutMsg: '放弃 did not ask for confirmation (second time)' });
    await app.clickEl(again.$('.el-message-box__btns .el-button--primary'));
    await app.b.waitUntil(async () => !(await app.b.$(rowSel).isExisting()), {
      timeout: 15_000,
      timeoutMsg: 'the conflict stayed listed after 放弃',
    });
    await app.b.waitUntil(async () => !(await app.isShown('nav-conflicts-badge')), { timeout: 15_000, timeoutMsg: 'the conflict badge stayed' });
    assert.equal(await app.isShown('conflicts-hint'), false);
    assert.equal(await app.queued(), 0, 'a discarded command is not queued again');
    await app.shot('officer-conflict-discarded');

    // Nothing of the discarded sign-in on the server, after a sync round the app reports.
    await app.click('topbar-sync');
    await app.b.waitUntil(async () => (await app.toasts()).some((m) => m.includes('同步完成')), {
      timeout: 60_000,
      timeoutMsg: 'no 同步完成 after pressing 同步',
    });
    assert.equal(await app.queued(), 0);
    const officer = await api.login('officer');
    const c = await api.getCase(officer, data.c.id);
    assert.equal(c.version, data.cVersion, 'C unchanged on the server after 放弃');
    const tl = await api.timeline(officer, data.c.id);
    assert.equal(tl.filter((e) => e.kind === 'signIn').length, 1, 'C: only the server-side sign-in');
    // On screen C is the server's: 办理中, nothing waiting for upload.
    await app.openCase(data.c.id, run);
    await app.waitText('case-state', (t) => t === '办理中', { what: 'C 办理中' });
    assert.equal((await app.b.$$('[data-test="timeline-pending"]')).length, 0, 'nothing of C waits any more');
  });

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
    // The approvals screen decides in place: comment + approve on the row. A is a 涉警投诉
    // and this sign-off concludes it: approving without 是否属实 is refused in the app.
    await fillIn(row, 'field-comment', '同意答复。');
    await app.clickEl(await row.$('[data-test="approval-approve"]'));
    assert.ok(
      await app.b.$(`[data-test="approval-row"][data-case-id="${data.a.id}"]`).isExisting(),
      'a 涉警投诉 was approved without a verdict',
    );
    await app.choose('field-verdict', '属实');
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
    // Found true: one 责任倒查 record for A, seen by the city leader.
    const records = await api.accountability(await api.login('leader'));
    assert.equal(records.items.filter((r) => r.caseId === data.a.id).length, 1, JSON.stringify(records));
  });

  step('supervisor: every navigation entry opens', () =>
    tour('supervisor', ['workbench', 'cases', 'approvals', 'conflicts', 'settings']));
});

/**
 * What each screen of the side menu shows once it rendered: its root in the routed view
 * (`main > section.…`, the view's own class) and an element only that screen has.
 */
const SCREENS = {
  workbench: { root: 'section.workbench', mark: '.greeting h2', text: '您好' },
  cases: { root: 'section.cases', mark: '[data-test="case-search"]' },
  intake: { root: 'section.intake', mark: '[data-test="new-request"]' },
  newrequest: { root: 'section.new-request', mark: '[data-test="new-request-form"]' },
  knowledge: { root: 'section.knowledge', mark: 'h3', text: '知识库' },
  homevisit: { root: 'section.home-visit', mark: '[data-test="homevisit-form"]' },
  approvals: { root: 'section.approvals', mark: '.el-tabs', text: '待审核答复' },
  dashboard: { root: 'section.dash', mark: '.head h2' },
  assessment: { root: 'section.assess', mark: '[data-test="assessment-level"]' },
  alerts: { root: 'section.alerts', mark: '.head h2' },
  followups: { root: 'section.follow', mark: '[data-test="followup-status"]' },
  followupcall: { root: 'section.call', mark: '[data-test="call-counter"]' },
  conflicts: { root: 'section.conflicts', mark: 'h3', text: '同步冲突' },
  settings: { root: 'section.settings', mark: '[data-test="settings-signout"]' },
  supervisortasks: { root: 'section.sup-page[data-test="sup-tasks"]', mark: 'h3' },
  supervisors: { root: 'section.sup-page[data-test="supervisors"]', mark: '.el-tabs' },
  accountability: { root: 'section.acc-page', mark: '[data-test="acc-search"]' },
};

/** Error toasts (ElMessage), error notifications and error alerts of the view shown now. */
function shownErrors() {
  return app.b.execute(() =>
    [
      ...document.querySelectorAll('.el-message--error, main .el-alert--error'),
      ...[...document.querySelectorAll('.el-notification')].filter((n) => n.querySelector('.el-notification--error')),
    ]
      .filter((e) => e.getClientRects().length > 0)
      .map((e) => e.textContent.trim() || e.className),
  );
}

/**
 * Opens every side-menu entry shown (`nav-*`): each must render its own screen (SCREENS)
 * with no error toast, notification or alert; `required` must be among them.
 */
async function tour(role, required) {
  const shown = [];
  for (const e of await app.b.$$('.el-menu-item[data-test^="nav-"]')) shown.push((await e.getAttribute('data-test')).slice(4));
  console.log(`# ${role} menu: ${shown.join(', ')}`);
  assert.deepEqual(required.filter((r) => !shown.includes(r)), [], `menu entries missing for ${role}`);
  for (const nav of shown) {
    const screen = SCREENS[nav];
    assert.ok(screen, `no landmark known for the screen nav-${nav}: add it to SCREENS`);
    await app.click(`nav-${nav}`);
    const mark = app.b.$(`main.main > ${screen.root} ${screen.mark}`);
    await mark.waitForDisplayed({ timeout: 15_000, timeoutMsg: `nav-${nav}: ${screen.root} ${screen.mark} not shown` });
    if (screen.text) {
      await app.b.waitUntil(async () => (await mark.getText()).includes(screen.text), {
        timeout: 10_000,
        timeoutMsg: `nav-${nav}: "${screen.text}" not in ${screen.mark}`,
      });
    }
    const item = app.el(`nav-${nav}`);
    await app.b.waitUntil(async () => (await item.getAttribute('class')).includes('is-active'), {
      timeout: 5000,
      timeoutMsg: `nav-${nav} not marked active`,
    });
    // Loaded: no loading mask left on the view.
    await app.b.waitUntil(async () => !(await app.b.$('main.main .el-loading-mask').isDisplayed().catch(() => false)), {
      timeout: 15_000,
      timeoutMsg: `nav-${nav}: still loading after 15 s`,
    });
    await app.settle();
    const errors = await shownErrors();
    await app.shot(`${role}-${nav}`);
    assert.deepEqual(errors, [], `nav-${nav}: an error is shown`);
  }
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
