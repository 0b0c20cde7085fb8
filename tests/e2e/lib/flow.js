// How the console specs run their steps: in order, each building on the one before, so
// once one fails the rest are skipped (with the failure's screenshot); screenshots of a
// still page; the admin's 系统管理 screens.
import { it } from 'node:test';

/**
 * A `step(name, fn)` for a spec whose app `getApp()` returns (it is launched in
 * `before`, after the steps are declared).
 */
export function steps(getApp) {
  let broken = null;
  return function step(name, fn) {
    it(name, async (t) => {
      if (broken) {
        t.skip(`skipped: earlier step failed (${broken})`);
        return;
      }
      try {
        await fn();
      } catch (e) {
        broken = name;
        const app = getApp();
        if (app) await app.shot(`FAILED-${name.replace(/[^\w]+/g, '-')}`);
        throw e;
      }
    });
  };
}

/**
 * A screenshot once the page is still (lib/app.js settle); `quiet`: first wait until the
 * toasts are gone, as they cover the top bar's 在线/离线 and 待上传.
 */
export async function snap(app, name, { quiet = false } = {}) {
  if (quiet) {
    await app.b
      .waitUntil(async () => (await app.b.$$('.el-message')).length === 0, { timeout: 10_000, interval: 250 })
      .catch(() => {}); // a screenshot with a toast is still worth having
  }
  await app.settle();
  return app.shot(name);
}

/** Waits until the top bar's queued count is `n` (its last value in the error). */
export async function untilQueued(app, n, what, timeout = 15_000) {
  let last = null;
  await app.b
    .waitUntil(
      async () => {
        last = await app.queued();
        return last === n;
      },
      { timeout, interval: 250, timeoutMsg: `topbar-queued: ${what} (wanted ${n})` },
    )
    .catch((e) => {
      throw new Error(`${e.message}; last seen ${last}`);
    });
}

/** Opens 系统管理 (when closed) and one of its screens; waits for `ready` on it. */
export async function openAdmin(app, item, ready) {
  if (!(await app.isShown(item))) await app.click('nav-group-admin', ' .el-sub-menu__title');
  await app.click(item);
  await app.waitFor(ready, { timeout: 20_000 });
}

/** The labels of the Element Plus dropdown open now. */
export async function openOptions(app) {
  return app.b.execute(() =>
    [...document.querySelectorAll('.el-select-dropdown__item')]
      .filter((o) => o.closest('.el-popper')?.style.display !== 'none' && o.offsetParent !== null)
      .map((o) => o.textContent.trim()),
  );
}
