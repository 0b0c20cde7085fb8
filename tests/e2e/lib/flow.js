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

/** A screenshot once the page is still (lib/app.js settle). */
export async function snap(app, name) {
  await app.settle();
  return app.shot(name);
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
