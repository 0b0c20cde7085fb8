// The desktop app driven through tauri-driver, addressed only by the UI's `data-test`
// attributes. Each session launches a fresh app process; screenshots go to $E2E_SHOTS.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { remote } from 'webdriverio';

import { env } from './env.js';

export const sel = (name, extra = '') => `[data-test="${name}"]${extra}`;

export async function launch() {
  const browser = await remote({
    hostname: '127.0.0.1',
    port: env.driverPort,
    logLevel: 'silent', // failures surface as thrown errors; native-click fallbacks are expected
    connectionRetryTimeout: 60_000,
    connectionRetryCount: 0,
    waitforTimeout: 15_000,
    capabilities: {
      'tauri:options': { application: env.app },
      // WebKitWebDriver speaks classic WebDriver only; never send browserName.
      'wdio:enforceWebDriverClassic': true,
    },
  });
  return new App(browser);
}

let shotNo = 0;

/**
 * Continues the screenshot numbering after `n`: a spec whose screens follow another
 * spec's numbers calls it once (each spec file runs in its own process, from 0).
 */
export function continueShotsAfter(n) {
  shotNo = n;
}

export class App {
  constructor(browser) {
    this.b = browser;
  }

  async close() {
    await this.b.deleteSession().catch(() => {});
  }

  /** Saves `NN-name.png` into the screenshot folder; never fails the test itself. */
  async shot(name) {
    mkdirSync(env.shots, { recursive: true });
    shotNo += 1;
    const file = join(env.shots, `${String(shotNo).padStart(2, '0')}-${name}.png`);
    try {
      await this.b.saveScreenshot(file);
    } catch (e) {
      console.warn(`screenshot ${name} failed: ${e.message}`);
    }
    return file;
  }

  /**
   * Waits until the page is still: no finite CSS transition/animation running (dialogs
   * fade, tags zoom in; spinners loop forever and are ignored), then two animation
   * frames, so a screenshot shows the state just reached rather than the last painted one.
   */
  async settle(timeout = 5000) {
    await this.b
      .waitUntil(
        () =>
          this.b.execute(
            () =>
              (document.getAnimations?.() ?? []).filter(
                (a) => a.playState === 'running' && a.effect?.getTiming?.().iterations !== Infinity,
              ).length === 0,
          ),
        { timeout, interval: 100 },
      )
      .catch(() => {}); // a screenshot of a moving page is still worth having
    await this.b
      .execute(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)))))
      .catch(() => {});
  }

  el(name, extra) {
    return this.b.$(sel(name, extra));
  }

  async waitFor(name, { timeout = 15_000, extra = '' } = {}) {
    const e = this.el(name, extra);
    await e.waitForDisplayed({ timeout, timeoutMsg: `${sel(name, extra)} not shown within ${timeout} ms` });
    return e;
  }

  async isShown(name, timeout = 0) {
    const e = this.el(name);
    if (timeout === 0) return e.isDisplayed().catch(() => false);
    return e
      .waitForDisplayed({ timeout })
      .then(() => true)
      .catch(() => false);
  }

  async click(name, extra) {
    const e = await this.waitFor(name, { extra });
    await e.waitForClickable({ timeout: 10_000 });
    await this.clickEl(e);
  }

  /**
   * A native click, else a click in the page: WebKitWebDriver calls a <tr> "not
   * interactable", and a toast (ElMessage) over a target intercepts the native click.
   */
  async clickEl(chainable) {
    const e = await chainable;
    try {
      await e.click();
    } catch (err) {
      if (!/intercept|interactable|obscured/i.test(String(err.message))) throw err;
      await this.b.execute((el) => el.click(), e);
    }
  }

  /**
   * Types into a `data-test` field. The attribute may sit on the <input>/<textarea> itself
   * or on a component's wrapper (Element Plus puts it on the outer div).
   */
  async fill(name, value) {
    const e = await this.waitFor(name);
    const tag = (await e.getTagName()).toLowerCase();
    const input = tag === 'input' || tag === 'textarea' ? e : await e.$('input, textarea');
    await input.waitForDisplayed({ timeout: 5000 });
    await this.clickEl(input);
    await input.clearValue();
    await input.setValue(value);
    // Typed CJK text can be mangled by the key translation; set it directly if so.
    if ((await input.getValue()) !== value) {
      await this.b.execute(
        (el, v) => {
          el.value = v;
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
        },
        input,
        value,
      );
    }
  }

  async text(name) {
    return (await (await this.waitFor(name)).getText()).trim();
  }

  /** Waits until the text of `name` satisfies `pred`; returns the last text seen. */
  async waitText(name, pred, { timeout = 15_000, what = 'expected text' } = {}) {
    let last = '';
    await this.b.waitUntil(
      async () => {
        const e = this.el(name);
        if (!(await e.isExisting())) return false;
        last = (await e.getText()).trim();
        return pred(last);
      },
      { timeout, interval: 250, timeoutMsg: `${sel(name)}: ${what} not seen within ${timeout} ms` },
    ).catch((e) => {
      throw new Error(`${e.message} (last text: "${last}")`);
    });
    return last;
  }

  /** Logs in through the login form; waits for the top bar's user. */
  async login(username, password) {
    await this.waitFor('login-username', { timeout: 30_000 });
    await this.shot(`login-${username}`);
    if (await this.isShown('login-server')) await this.fill('login-server', env.serverUrl);
    await this.fill('login-username', username);
    await this.fill('login-password', password);
    await this.click('login-submit');
    const ok = await this.isShown('topbar-user', 30_000);
    if (!ok) {
      const err = (await this.isShown('login-error')) ? await this.text('login-error') : '(no login-error shown)';
      await this.shot(`login-failed-${username}`);
      throw new Error(`login as ${username} did not reach the workbench: ${err}`);
    }
  }

  /** Back at the login screen: signs out first when a previous user's session was restored. */
  async ensureLoginScreen() {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (await this.isShown('login-username')) return;
      if (await this.isShown('topbar-user')) {
        await this.signOut();
        return;
      }
      await this.b.pause(250);
    }
    await this.shot('no-login-screen');
    throw new Error(`${sel('login-username')} not shown within 30 s of launch`);
  }

  async signOut() {
    await this.click('nav-settings');
    await this.click('settings-signout');
    // A confirmation dialog (Element Plus message box) may ask first.
    const confirm = await this.b.$('.el-message-box__btns .el-button--primary');
    if (await confirm.waitForDisplayed({ timeout: 1500 }).then(() => true).catch(() => false)) {
      await this.clickEl(confirm);
    }
    await this.waitFor('login-username', { timeout: 15_000 });
  }

  /** Opens a case through the case list search. */
  async openCase(caseId, query) {
    await this.click('nav-cases');
    await this.fill('case-search', query);
    await this.b.keys('Enter');
    const row = this.el('case-row', `[data-case-id="${caseId}"]`);
    if (!(await row.waitForDisplayed({ timeout: 20_000 }).then(() => true).catch(() => false))) {
      // Not synced down yet: press 同步 once (what a user would do), then wait again.
      console.log(`# case ${caseId} not listed after 20 s; pressing topbar-sync`);
      await this.click('topbar-sync');
      // The round ends with a toast (同步完成 or the error); wait for it, then note it.
      let msgs = [];
      await this.b
        .waitUntil(async () => (await this.b.$$('.el-message')).length > 0 && (msgs = await this.toasts()).length > 0, {
          timeout: 30_000,
          interval: 200,
        })
        .catch(() => {});
      console.log(`# after 同步: ${msgs.join(' | ') || '(no toast within 30 s)'}`);
      await this.fill('case-search', query);
      await this.b.keys('Enter');
      await row.waitForDisplayed({ timeout: 30_000, timeoutMsg: `${sel('case-row')}[data-case-id="${caseId}"] not listed` });
    }
    // The list may re-render (a search or a sync finishing) between finding and clicking the
    // row, leaving a detached element; find it again and retry.
    for (let attempt = 1; ; attempt++) {
      await this.clickEl(this.el('case-row', `[data-case-id="${caseId}"]`));
      if (await this.isShown('case-state', 5000)) return;
      if (attempt === 3) throw new Error(`clicking ${sel('case-row')}[data-case-id="${caseId}"] did not open the case`);
    }
  }

  /**
   * Takes a workflow action from the open case: clicks `action-<code>`, fills the form
   * if one opens (`field-<name>` values), submits with `action-submit`.
   */
  async doAction(code, fields = {}) {
    await this.click(`action-${code}`);
    const form = this.el('action-form');
    const hasForm = await form
      .waitForDisplayed({ timeout: Object.keys(fields).length ? 10_000 : 2000 })
      .then(() => true)
      .catch(() => false);
    if (!hasForm) {
      if (Object.keys(fields).length) throw new Error(`${sel('action-form')} did not open for ${code}`);
      // No form: some UIs confirm in a message box.
      const confirm = await this.b.$('.el-message-box__btns .el-button--primary');
      if (await confirm.isDisplayed().catch(() => false)) await this.clickEl(confirm);
      return;
    }
    for (const [name, value] of Object.entries(fields)) await this.fill(`field-${name}`, value);
    await this.click('action-submit');
    await form.waitForDisplayed({ reverse: true, timeout: 15_000, timeoutMsg: `${sel('action-form')} stayed open after submit (${code})` });
  }

  /**
   * Chooses `option` (its exact text) in the Element Plus select `name` (the data-test on
   * the select's root, as a component's attribute falls through to it): opens it, then
   * clicks the shown dropdown item. A multiple select stays open: the caller closes it
   * (e.g. a click on the dialog's title). `within` narrows the search to one element.
   */
  async choose(name, option, within = null) {
    // `within`: an element holding the select (e.g. one row of a list with a select per row).
    const root = within ? await within.$(sel(name)) : await this.waitFor(name);
    await this.clickEl(await root.$('.el-select__wrapper'));
    let item = null;
    await this.b.waitUntil(
      async () => {
        item = await this.b.execute((text) => {
          const shown = [...document.querySelectorAll('.el-select-dropdown__item')].filter(
            (li) => li.offsetParent !== null && li.textContent.trim() === text,
          );
          return shown[0] ?? null;
        }, option);
        return Boolean(item);
      },
      { timeout: 10_000, interval: 200, timeoutMsg: `option "${option}" of ${sel(name)} not shown` },
    );
    await this.clickEl(typeof item.getText === 'function' ? item : this.b.$(item));
  }

  /** The text of the select `name` as shown (single: the chosen label; multiple: the tags). */
  async chosen(name) {
    const root = await this.waitFor(name);
    return this.b.execute((el) => {
      const tags = [...el.querySelectorAll('.el-select__tags-text')].map((t) => t.textContent.trim());
      if (tags.length) return tags.join('、');
      const shown = el.querySelector('.el-select__placeholder:not(.is-transparent)');
      return (shown?.textContent ?? '').trim();
    }, root);
  }

  /** The sync status as the app's shell reports it (`sync_status`: online, queued, nextAttemptAt ...). */
  async syncStatus() {
    return this.b.execute(() => window.__TAURI_INTERNALS__.invoke('sync_status'));
  }

  /**
   * Waits until the text of `name` satisfies `pred` through the app's own background sync
   * loop alone: no 同步 is pressed, so a loop that does not run fails here. The loop's
   * schedule bounds the wait: a round every 15 s while idle, and while the server was
   * unreachable its backoff, whose next attempt the app reports (`nextAttemptAt`); plus
   * `slack` for the round itself (a refused connection fails at once, the connect
   * timeout is 5 s). A round that fails again reschedules; the deadline follows the new
   * attempt at most twice (a round racing a server restart), then the wait fails. `max`
   * caps the wait whatever the app schedules: the backoff doubles from 2 s (±50 %), so
   * after the offline spells of these specs (a minute or two) its next attempt is due
   * within about 100 s.
   */
  async untilNoticed(name, pred, what, { slack = 15_000, max = 180_000 } = {}) {
    const IDLE_ROUND = 15_000;
    const started = Date.now();
    const deadlineFor = (s) =>
      Math.min(Math.max(s?.nextAttemptAt ? Date.parse(s.nextAttemptAt) : 0, Date.now() + IDLE_ROUND) + slack, started + max);
    let status = await this.syncStatus();
    let deadline = deadlineFor(status);
    let extended = 0;
    let last = '';
    for (;;) {
      const e = this.el(name);
      if (await e.isExisting()) {
        last = (await e.getText()).trim();
        if (pred(last)) {
          console.log(`# ${what}: noticed by the app itself after ${((Date.now() - started) / 1000).toFixed(1)} s`);
          return last;
        }
      }
      const now = await this.syncStatus();
      if (now.nextAttemptAt && now.nextAttemptAt !== status?.nextAttemptAt && extended < 2) {
        const later = deadlineFor(now);
        if (later > deadline) {
          deadline = later;
          extended += 1;
        }
      }
      status = now;
      if (Date.now() > deadline) {
        throw new Error(
          `${sel(name)}: ${what} not noticed by the app's background sync within ${((Date.now() - started) / 1000).toFixed(1)} s ` +
            `(no 同步 pressed; last text "${last}", sync status ${JSON.stringify(status)})`,
        );
      }
      await this.b.pause(250); // a poll interval, not a synchronisation
    }
  }

  /** Texts of the toasts (ElMessage) and alerts on screen now, for failure reports. */
  async toasts() {
    return this.b
      .execute(() =>
        [...document.querySelectorAll('.el-message__content, .el-alert__title, .el-notification__content')]
          .map((e) => e.textContent.trim())
          .filter(Boolean),
      )
      .catch(() => []);
  }

  /**
   * The top bar's queued-command count: its `data-queued` attribute, present at 0 too
   * (AppTopBar). Throws when the element or the attribute is missing, not a count, or
   * differs from the number shown: a broken badge must not read as an empty queue.
   */
  async queued() {
    const e = await this.el('topbar-queued');
    await e.waitForExist({ timeout: 15_000, timeoutMsg: `${sel('topbar-queued')} not found` });
    const read = await this.b.execute((el) => ({ attr: el.getAttribute('data-queued'), text: el.textContent.trim() }), e);
    if (read.attr === null || !/^\d+$/.test(read.attr)) {
      throw new Error(`${sel('topbar-queued')} has no count in data-queued (${JSON.stringify(read)})`);
    }
    if (read.text !== read.attr) {
      throw new Error(`${sel('topbar-queued')} shows "${read.text}" but data-queued is ${read.attr}`);
    }
    return Number(read.attr);
  }
}
