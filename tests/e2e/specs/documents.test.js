// Printed documents through the real app against a real city server:
//   a 督办员 (supervisor) sets the print folder in 设置 (as a user would, no backdoor),
//   opens a dispatched case that has not been signed in, takes 催办 (督办) with a
//   requirement, prints the 督办通知单 and the 办理单 to the folder; the spec reads each
//   PDF's text with poppler's pdftotext (an extractor independent of the app) and checks
//   the title, the case number, the unit names and the requirement, and that the 办理单
//   prints the citizen masked (no reveal was asked for).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe } from 'node:test';

import * as api from '../lib/api.js';
import { launch } from '../lib/app.js';
import { env, PASSWORD } from '../lib/env.js';
import { steps, snap } from '../lib/flow.js';
import { startServer, stopServer } from '../lib/server.js';

const run = `E2E${Date.now().toString(36).toUpperCase()}`;
const folder = join(env.work, '打印输出');
const requirement = '请于两个工作日内上门核实并答复诉求人，办理情况报分局。';
const data = {};
let app = null;
const step = steps(() => app);

/** The PDF's text as pdftotext extracts it, without layout spaces and line breaks. */
function pdfText(path) {
  return execFileSync('pdftotext', [path, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
}

/** Clicks a print button and returns the saved file's path once 已保存 shows it. */
async function printed(button) {
  const shown = app.el('print-saved');
  const previous = (await shown.isExisting()) ? await shown.getAttribute('data-path') : null;
  await app.click(button);
  let path = null;
  await app.b.waitUntil(
    async () => {
      const e = app.el('print-saved');
      if (!(await e.isExisting())) return false;
      path = await e.getAttribute('data-path');
      return Boolean(path) && path !== previous;
    },
    { timeout: 20_000, interval: 250, timeoutMsg: `${button}: no saved file shown` },
  );
  return path;
}

describe('printed documents (打印/导出PDF)', () => {
  before(async () => {
    await startServer();
    const clerk = await api.login('clerk');
    data.case = await api.dispatchedCase(clerk, {
      title: `${run} 小区门口夜间烧烤摊噪音扰民`,
      unitCode: 'JN-LX-QCL',
      sensitive: false,
    });
    const units = await (await fetch(`${env.serverUrl}/api/v1/units`, { headers: { authorization: `Bearer ${clerk}` } })).json();
    data.unit = units.find((u) => u.code === 'JN-LX-QCL').name;
    console.log(`# case ${data.case.number} (${data.case.id}) at ${data.unit}`);
  });

  after(async () => {
    await app?.close();
    await stopServer();
  });

  step('supervisor logs in and sets the print folder in 设置', async () => {
    app = await launch();
    await app.ensureLoginScreen();
    await app.login('supervisor', PASSWORD);
    await app.click('nav-settings');
    await app.fill('print-folder-input', folder);
    await app.click('print-folder-save');
    await app.b.waitUntil(() => existsSync(folder), { timeout: 10_000, timeoutMsg: 'print folder not created' });
    await snap(app, 'documents-settings-folder');
  });

  step('supervisor urges (督办) the case; 督办通知单 prints with its text', async () => {
    await app.openCase(data.case.id, run);
    assert.equal(await app.text('case-state'), '待签收');
    // No 督办 yet: no notice to print.
    assert.equal(await app.isShown('print-urgeNotice'), false, 'no 督办通知单 before a 督办');
    await app.doAction('urge', { message: requirement });
    await app.waitFor('print-urgeNotice', { timeout: 15_000 });
    const path = await printed('print-urgeNotice');
    await snap(app, 'documents-urge-notice-saved');
    assert.equal(dirname(path), folder);
    assert.ok(statSync(path).size > 1000, 'a PDF was written');
    const text = pdfText(path);
    for (const want of ['督办通知单', data.case.number, data.unit, requirement, '督办单位（盖章）', '第1页/共1页']) {
      assert.ok(text.includes(want), `督办通知单 lacks “${want}”: ${text}`);
    }
    console.log(`# 督办通知单: ${statSync(path).size} bytes`);
  });

  step('the 办理单 prints the case with its timeline, citizen masked', async () => {
    const path = await printed('print-caseSheet');
    await snap(app, 'documents-case-sheet-saved');
    const text = pdfText(path);
    // The requirement wraps in the timeline's 说明 column: its start is on one line.
    // The phone as the case page shows it to this user (masked), never the full number.
    const phone = await app.text('citizen-phone');
    assert.ok(!phone.includes('12345678'), `the page shows the phone masked: ${phone}`);
    for (const want of ['民生诉求办理单', data.case.number, data.unit, '催办', requirement.slice(0, 10), '王**', phone === '—' ? '联系电话—' : phone]) {
      assert.ok(text.includes(want), `办理单 lacks “${want}”: ${text}`);
    }
    assert.ok(!text.includes('王女士') && !text.includes('13812345678'), 'identity printed without a reveal');
    const pdfs = readdirSync(folder).filter((f) => f.endsWith('.pdf'));
    assert.equal(pdfs.length, 2, `two PDFs in the folder: ${pdfs.join(', ')}`);
    console.log(`# 办理单: ${statSync(path).size} bytes`);
  });
});

