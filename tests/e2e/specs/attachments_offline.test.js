// A photo attached offline on a home visit reaches the unit head (issue 19), through the
// real app against a real city server:
//
//   before (REST): the clerk registers a case and dispatches it to 泉城路派出所 (JN-LX-QCL),
//            whose demo officer `officer` and unit head `head` (data/demo/org.json) handle it;
//            the test makes a real JPEG photo (ImageMagick's convert, from scripts/setup.sh's
//            apt list) of more than four upload chunks (the desktop sends 256 KB at a time)
//            and takes its size and SHA-256 with node:crypto (the oracle, not the app);
//   online:  the officer logs in, the case is in his list, no attachment yet;
//   offline: the link drops (server stopped, the app notices 离线 by itself); on the visit he
//            opens the case from the list, picks the photo in 附件 (the file input, as a
//            user's file dialog would fill it) and then signs the case in (签收): the photo
//            waits as 排队中 in the card and as 附件待上传 1 in the top bar, apart from the action
//            queue (待上传 counts the 签收 only);
//   resync:  the server is started again; the app notices 在线 through its own background
//            sync (no 同步 pressed); the 签收 uploads and the photo after it (bounded waits);
//   checked: on the server, as the unit head: one attachment with the photo's name, type,
//            size and SHA-256, uploaded by the officer, its file byte for byte the photo, a
//            JPEG thumbnail; the 签收 applied once (one signIn and one attach entry by the
//            officer, the chain verifies); then the unit head logs into the app and sees the
//            photo in the case's 附件 card and on the timeline's 上传附件 entry, with the
//            server's thumbnail shown.
//
// Steps run in order; once one fails the rest are skipped (they build on it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';

import * as api from '../lib/api.js';
import { continueShotsAfter, launch } from '../lib/app.js';
import { env, PASSWORD } from '../lib/env.js';
import * as shared from '../lib/flow.js';
import { steps } from '../lib/flow.js';
import { rest } from '../lib/rest.js';
import { startServer, stopServer } from '../lib/server.js';

// After config_console.test.js's screens (it numbers from 130).
continueShotsAfter(160);

const run = `E2E${Date.now().toString(36).toUpperCase()}`;
const STATION = { code: 'JN-LX-QCL', officer: 'officer', head: 'head' };
/** The desktop's upload chunk (crates/client attachments/upload.rs CHUNK_BYTES). */
const CHUNK = 256 * 1024;
const data = {};
let app = null;
const step = steps(() => app);

const snap = (name, opts) => shared.snap(app, name, opts);
const untilQueued = (n, what, timeout) => shared.untilQueued(app, n, what, timeout);

/** The top bar's count of attachments waiting to upload (0 when its tag is not shown). */
async function uploadsPending() {
  const e = app.el('topbar-uploads');
  if (!(await e.isExisting())) return 0;
  const n = await e.getAttribute('data-pending');
  assert.match(String(n), /^\d+$/, `topbar-uploads has no count in data-pending (${n})`);
  return Number(n);
}

/** The photo's row in the open case's 附件 card: {state, text, count} as shown now. */
async function photoRows() {
  return app.b.execute((name) => {
    const rows = [...document.querySelectorAll('[data-test="attachments"] [data-test="attachment-row"]')];
    return rows
      .filter((r) => r.textContent.includes(name))
      .map((r) => {
        const img = r.querySelector('[data-test="attachment-thumb"]');
        return {
          state: r.getAttribute('data-state'),
          text: r.textContent.replace(/\s+/g, ' ').trim(),
          tag: r.querySelector('[data-test="attachment-state"]')?.textContent.trim() ?? '',
          thumb: img ? { src: img.getAttribute('src'), width: img.naturalWidth, complete: img.complete } : null,
        };
      });
  }, data.photo.name);
}

/** Waits until the photo is listed once in the card and `pred(row)` holds; returns the row. */
async function untilPhoto(pred, what, timeout = 15_000) {
  let last = null;
  let twice = null;
  await app.b
    .waitUntil(
      async () => {
        const rows = await photoRows();
        if (rows.length > 1) twice = rows;
        last = rows[0] ?? null;
        return twice !== null || (last !== null && pred(last));
      },
      { timeout, interval: 250, timeoutMsg: `附件: ${what} not seen within ${timeout} ms` },
    )
    .catch((e) => {
      const seen = last ? `${last.state} "${last.text}"` : 'no row of the photo';
      throw new Error(`${e.message} (last: ${seen})`);
    });
  if (twice) throw new Error(`the photo is listed ${twice.length} times in 附件: ${JSON.stringify(twice.map((r) => r.text))}`);
  return last;
}

/** GET the raw bytes of `path` as `token` (a file or a thumbnail), throwing on non-2xx. */
async function bytesOf(path, token) {
  const r = await fetch(`${env.serverUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = Buffer.from(await r.arrayBuffer());
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${body.toString('utf8')}`);
  return { body, type: r.headers.get('content-type') };
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

describe('附件 offline: an officer attaches a photo on a home visit; the unit head sees it after resync', () => {
  before(async () => {
    await startServer();
    const clerk = await api.login('clerk');
    data.case = await api.dispatchedCase(clerk, {
      title: `${run} 入户走访 楼道堆放杂物堵塞消防通道`,
      unitCode: STATION.code,
      sensitive: false,
    });
    assert.equal(data.case.stateName, '待签收', 'the dispatched case waits for sign-in');
    data.officer = await rest('GET', '/auth/me', await api.login(STATION.officer));
    data.head = await rest('GET', '/auth/me', await api.login(STATION.head));
    assert.ok(data.officer.id && data.head.id, `/auth/me names the users: ${JSON.stringify([data.officer, data.head])}`);

    // The photo taken on the visit: a real JPEG (plasma and noise, so it does not compress
    // to nothing), more than four upload chunks.
    const name = `入户走访现场照片-${run}.jpg`;
    const path = join(env.work, name);
    execFileSync('convert', ['-seed', '19', '-size', '1280x960', 'plasma:tan-steelblue', '+noise', 'Gaussian', '-quality', '90', path]);
    const bytes = readFileSync(path);
    assert.ok(bytes.length > 4 * CHUNK && bytes.length > 1048576, `the photo takes several chunks (${bytes.length} bytes)`);
    assert.ok(bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff, 'the photo is a JPEG');
    data.photo = { name, path, bytes, size: statSync(path).size, sha256: sha256(bytes) };
    console.log(
      `# case ${data.case.number} (${data.case.id}) at ${STATION.code}; photo ${name}: ${data.photo.size} bytes ` +
        `(${Math.ceil(data.photo.size / CHUNK)} chunks), sha256 ${data.photo.sha256}`,
    );
  });

  after(async () => {
    await app?.close();
    await stopServer();
  });

  step('the officer logs in online: the case is in his list, no attachment yet', async () => {
    app = await launch();
    await app.ensureLoginScreen();
    await app.login(STATION.officer, PASSWORD);
    await app.waitText('topbar-online', (t) => t === '在线', { what: '在线' });
    await app.openCase(data.case.id, run);
    assert.equal(await app.text('case-state'), '待签收');
    await app.waitFor('attachments');
    await app.waitFor('attachments-empty');
    assert.equal(await app.el('attachment-input').isExisting(), true, 'the officer may attach (the file input of 添加附件)');
    assert.equal(await app.queued(), 0);
    assert.equal(await uploadsPending(), 0);
  });

  step('the link drops (server stopped): the app shows 离线', async () => {
    await stopServer();
    await app.untilNoticed('topbar-online', (t) => t === '离线', '离线');
  });

  step('offline, on the visit: opens the case and attaches the photo; it waits as 排队中', async () => {
    // Back to the list and into the case again, from the cache alone.
    await app.click('nav-workbench');
    await app.openCase(data.case.id, run);
    assert.equal(await app.text('case-state'), '待签收');
    const input = await app.el('attachment-input');
    await input.waitForExist({ timeout: 10_000, timeoutMsg: 'no attachment-input offline (the officer may attach)' });
    // What the file dialog does: the path into the <input type=file> (WebDriver send keys).
    await app.b.elementSendKeys(input.elementId, data.photo.path);
    const row = await untilPhoto((r) => r.state === 'queued', 'the photo as 排队中');
    assert.equal(row.tag, '排队中', `the state tag: ${row.text}`);
    assert.ok(row.text.includes('本机待上传'), `the row says it waits on this computer: ${row.text}`);
    // The photo is over 1 MiB: its size in MB with one decimal.
    assert.ok(row.text.includes(`${(data.photo.size / 1048576).toFixed(1)} MB`), `the row shows the size: ${row.text}`);
    // The top bar: one attachment to upload (polled every 3 s), nothing in the action queue.
    await app.b.waitUntil(async () => (await uploadsPending()) === 1, {
      timeout: 10_000,
      interval: 250,
      timeoutMsg: 'topbar-uploads did not show one attachment waiting',
    });
    assert.match(await app.text('topbar-uploads'), /附件待上传 1 个/);
    assert.equal(await app.queued(), 0, 'an attachment is not an action in the queue');
  });

  step('offline: signs the case in after it (签收 queued); the photo does not hold it up', async () => {
    await app.doAction('signIn');
    await untilQueued(1, 'the 签收 queued offline');
    await app.waitText('case-state', (t) => t === '办理中', { what: '办理中 (local)' });
    const pending = await app.b.$$('[data-test="timeline-pending"]');
    assert.equal(pending.length, 1, 'one step waiting for upload');
    assert.match(await pending[0].getText(), /签收/);
    await untilPhoto((r) => r.state === 'queued', 'the photo still 排队中');
    assert.equal(await uploadsPending(), 1);
    assert.equal(await app.text('topbar-online'), '离线');
    await snap('attachment-offline-queued', { quiet: true });
  });

  step('the link returns: 在线 by the app itself, the 签收 and the photo upload', async () => {
    await startServer();
    await app.untilNoticed('topbar-online', (t) => t === '在线', '在线 again');
    await untilQueued(0, 'the 签收 uploaded after the link returned', 60_000);
    // A sync round that succeeds kicks the uploader at once; its own backoff bounds it too.
    const started = Date.now();
    const done = await untilPhoto((r) => r.state === 'done', 'the photo 已上传', 120_000);
    console.log(`# photo uploaded ${((Date.now() - started) / 1000).toFixed(1)} s after the queue drained`);
    assert.equal(done.tag, '已上传');
    await app.b.waitUntil(async () => (await uploadsPending()) === 0 && !(await app.el('topbar-uploads-failed').isExisting()), {
      timeout: 15_000,
      interval: 250,
      timeoutMsg: 'the top bar still counts an attachment waiting or failed',
    });
    // Uploaded: its thumbnail comes from the server; nothing says it still waits (本机待上传).
    const shown = await untilPhoto((r) => r.thumb !== null && r.thumb.complete && r.thumb.width > 0, 'the thumbnail', 30_000);
    assert.ok(!shown.text.includes('待上传'), `an uploaded photo does not read as waiting: ${shown.text}`);
    await app.waitText('case-state', (t) => t === '办理中', { what: '办理中' });
    assert.equal((await app.b.$$('[data-test="timeline-pending"]')).length, 0, 'nothing waits for upload');
    await snap('attachment-drained', { quiet: true });
  });

  step('on the server (as the unit head): the photo once, intact; the 签收 applied once', async () => {
    const head = await api.login(STATION.head);
    const list = await rest('GET', `/cases/${data.case.id}/attachments`, head);
    assert.equal(list.length, 1, `one attachment on the case: ${JSON.stringify(list)}`);
    const a = list[0];
    assert.equal(a.name, data.photo.name);
    assert.equal(a.contentType, 'image/jpeg');
    assert.equal(a.size, data.photo.size, 'size as on disk');
    assert.equal(a.sha256, data.photo.sha256, 'SHA-256 as on disk');
    assert.equal(a.status, 'complete');
    assert.equal(a.uploaderId, data.officer.id, 'uploaded by the officer');
    assert.equal(a.uploaderName, data.officer.displayName);
    assert.equal(a.hasThumbnail, true);
    data.attachment = a;

    const file = await bytesOf(`/cases/${data.case.id}/attachments/${a.id}`, head);
    assert.equal(file.type, 'image/jpeg');
    assert.equal(file.body.length, data.photo.size);
    assert.ok(file.body.equals(data.photo.bytes), 'the file downloads byte for byte as the photo');
    assert.equal(sha256(file.body), data.photo.sha256);
    const thumb = await bytesOf(`/cases/${data.case.id}/attachments/${a.id}/thumbnail`, head);
    assert.ok(thumb.body[0] === 0xff && thumb.body[1] === 0xd8, 'the thumbnail is a JPEG');
    assert.ok(thumb.body.length < data.photo.size / 4, `the thumbnail is small (${thumb.body.length} bytes)`);
    data.thumbnail = thumb.body;

    const c = await api.getCase(head, data.case.id);
    assert.equal(c.stateName, '办理中', 'the 签收 queued after the photo applied');
    const tl = await api.timeline(head, data.case.id);
    const byOfficer = (kind) => tl.filter((e) => e.kind === kind && e.actorId === data.officer.id);
    assert.equal(byOfficer('signIn').length, 1, 'one 签收 entry by the officer');
    assert.ok(byOfficer('signIn')[0].deviceAt, 'the offline 签收 carries its device time');
    const attach = byOfficer('attach');
    assert.equal(attach.length, 1, 'one attach entry by the officer');
    assert.equal(attach[0].detail?.attachmentId, a.id);
    assert.equal(attach[0].detail?.sha256, data.photo.sha256);
    assert.equal(tl.length, c.version, 'one entry per version');
    // Either may reach the server first: the uploader and the action queue run apart.
    console.log(`# on the server: ${tl.filter((e) => ['signIn', 'attach'].includes(e.kind)).map((e) => e.kind).join(' then ')}`);
    const verify = await rest('GET', `/cases/${data.case.id}/timeline/verify`, head);
    assert.equal(verify.valid, true, `the timeline chain verifies (${JSON.stringify(verify)})`);
  });

  step('the unit head logs into the app: the photo in 附件 with its thumbnail', async () => {
    await app.signOut();
    await app.login(STATION.head, PASSWORD);
    await app.waitText('topbar-online', (t) => t === '在线', { what: '在线' });
    await app.openCase(data.case.id, run);
    await app.waitText('case-state', (t) => t === '办理中', { what: '办理中' });
    const row = await untilPhoto((r) => r.state === 'done' && r.thumb?.complete && r.thumb.width > 0, 'the photo with its thumbnail', 30_000);
    assert.equal(row.tag, '已上传');
    assert.ok(row.text.includes(`${data.officer.displayName} 上传`), `who uploaded it: ${row.text}`);
    assert.equal((await app.b.$$('[data-test="attachments"] [data-test="attachment-row"]')).length, 1, 'one attachment in the card');
    // The thumbnail shown is the server's (a data: URL of its bytes).
    const shown = Buffer.from(row.thumb.src.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
    assert.ok(shown.equals(data.thumbnail), 'the card shows the server\'s thumbnail');
    assert.equal(await uploadsPending(), 0, 'nothing to upload on the head\'s desktop');
    // The 上传附件 entry of the timeline shows the same thumbnail.
    await app.b.waitUntil(
      async () => (await app.b.$$('[data-test="timeline-entry"] [data-test="timeline-thumb"]')).length === 1,
      { timeout: 15_000, interval: 250, timeoutMsg: 'no thumbnail on the timeline\'s 上传附件 entry' },
    );
    const inTimeline = await app.b.execute(() => {
      const img = document.querySelector('[data-test="timeline-entry"] [data-test="timeline-thumb"]');
      return img ? img.getAttribute('src') : null;
    });
    assert.ok(
      Buffer.from(String(inTimeline).replace(/^data:image\/jpeg;base64,/, ''), 'base64').equals(data.thumbnail),
      'the timeline shows the server\'s thumbnail',
    );
    await app.el('attachments').scrollIntoView();
    await snap('attachment-unit-head');
  });
});
