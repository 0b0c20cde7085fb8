// Startup time and memory (PSS over the process tree) of a Tauri app launched through
// tauri-driver. Plain WebDriver over fetch (no dependencies); run by measure-desktop.sh.
//
//   node measure.mjs --driver PORT --app BINARY --ready CSS [--login USER:PASSWORD]
//        [--data-dir DIR] [--settle-ms N] [--label NAME]
//
// Prints one JSON line:
//   startupMs    process start of the app (from /proc, 10 ms resolution) until `--ready`
//                first matches in the page (polled every 20 ms through WebDriver);
//   pssKb        PSS summed over the app and all its descendants (WebKitWebProcess,
//                WebKitNetworkProcess, ...) from /proc/PID/smaps_rollup, after `--settle-ms`;
//   with --login: logs in through the data-test login form, waits for the top bar and for
//   the app's data dir to stop growing (its first sync filling the cache), opens the case
//   list, then measures PSS (loggedInPssKb) and the data dir size;
//   with --resume: after the first screen clicks 继续 (login-resume: reopen the cached
//   session), opens the case list and measures PSS again (resumedPssKb).
import { readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]?.startsWith('--') ? 'true' : all[i + 1]]);
    return acc;
  }, []),
);
const base = `http://127.0.0.1:${args.driver}`;
const settleMs = Number(args['settle-ms'] ?? 3000);

async function wd(method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const j = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j.value ?? j)}`);
  return j.value;
}

// --- /proc -----------------------------------------------------------------------------
const HZ = 100; // getconf CLK_TCK on Linux
const bootMs = Number(readFileSync('/proc/stat', 'utf8').match(/^btime (\d+)/m)[1]) * 1000;

function stat(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(rest[1]), startMs: bootMs + (Number(rest[19]) * 1000) / HZ, comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')) };
}

function pids() {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

function findApp(binary, notBefore) {
  for (const pid of pids()) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === binary && stat(pid).startMs >= notBefore - 1000) return pid;
    } catch {
      // gone or not ours
    }
  }
  return null;
}

function tree(root) {
  const all = [];
  for (const pid of pids()) {
    try {
      all.push({ pid, ...stat(pid) });
    } catch {
      // exited meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const p of all) if (p.ppid === out[i]) out.push(p.pid);
  return out;
}

// Pss split by kind (anonymous = heaps and JS; file = mapped libraries and files; shmem =
// shared memory such as WebKit's rendering buffers), per process, for the detail table.
const KINDS = ['Pss', 'Pss_Anon', 'Pss_File', 'Pss_Shmem', 'Rss'];

function pss(root) {
  let total = 0;
  const parts = [];
  const detail = [];
  for (const pid of tree(root)) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = Object.fromEntries(KINDS.map((k) => [k, Number(text.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN)]));
      total += kb.Pss;
      const comm = stat(pid).comm;
      parts.push(`${comm}:${Math.round(kb.Pss / 1024)}MB`);
      detail.push({ comm, ...kb });
    } catch {
      // exited meanwhile
    }
  }
  return { total, parts, detail };
}

function dirBytes(dir) {
  let n = 0;
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

// --- WebDriver helpers ---------------------------------------------------------------------
async function find(sid, css, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      // The W3C element reference is the value's only key.
      return Object.values(await wd('POST', `/session/${sid}/element`, { using: 'css selector', value: css }))[0];
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${css} not found: ${e.message}`);
      await sleep(100);
    }
  }
}

/** Types into a data-test field whose attribute may sit on a wrapper around the input. */
async function fill(sid, name, text) {
  const css = `[data-test="${name}"]`;
  await find(sid, css);
  const input = await find(sid, `input${css}, textarea${css}, ${css} input, ${css} textarea`);
  await wd('POST', `/session/${sid}/element/${input}/clear`, {});
  await wd('POST', `/session/${sid}/element/${input}/value`, { text });
}

async function click(sid, name) {
  const el = await find(sid, `[data-test="${name}"]`);
  await wd('POST', `/session/${sid}/element/${el}/click`, {});
}

// --- the run -----------------------------------------------------------------------------------
const result = { label: args.label ?? args.app };
const launchedAt = Date.now();
const sid = (
  await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application: args.app } } },
  })
).sessionId;
try {
  const probe = `const e = document.querySelector(arguments[0]); return e && e.getClientRects().length ? Date.now() : 0;`;
  let readyAt = 0;
  const deadline = Date.now() + 60_000;
  while (!readyAt && Date.now() < deadline) {
    readyAt = await wd('POST', `/session/${sid}/execute/sync`, { script: probe, args: [args.ready] });
    if (!readyAt) await sleep(20);
  }
  if (!readyAt) throw new Error(`${args.ready} not shown within 60 s`);
  const pid = findApp(args.app, launchedAt);
  if (!pid) throw new Error(`no process of ${args.app} found`);
  const started = stat(pid).startMs;
  result.startupMs = Math.round(readyAt - started);
  result.sessionMs = Math.round(readyAt - launchedAt);
  await sleep(settleMs);
  const p = pss(pid);
  result.pssKb = p.total;
  result.processes = p.parts.join(' ');
  result.detail = p.detail;

  if (args.login) {
    const [user, password] = args.login.split(':');
    const t0 = Date.now();
    await fill(sid, 'login-username', user);
    await fill(sid, 'login-password', password);
    await click(sid, 'login-submit');
    // Logging in may include the first sync: allow it the same 10 minutes.
    await find(sid, '[data-test="topbar-user"]', 600_000);
    result.loginMs = Date.now() - t0;
    // The first sync writes the cache: wait until the data dir stops growing for 5 s.
    let last = -1;
    let stableSince = Date.now();
    const syncDeadline = Date.now() + 600_000;
    while (Date.now() < syncDeadline) {
      const n = dirBytes(args['data-dir']);
      if (n !== last) {
        last = n;
        stableSince = Date.now();
      } else if (Date.now() - stableSince > 5000 && n > 0) break;
      await sleep(500);
    }
    result.syncMs = Math.round(stableSince - t0);
    result.dataDirBytes = last;
    try {
      await click(sid, 'nav-cases');
      result.caseListShown = true;
    } catch {
      result.caseListShown = false;
    }
    await sleep(settleMs);
    const q = pss(pid);
    result.loggedInPssKb = q.total;
    result.loggedInProcesses = q.parts.join(' ');
    result.loggedInDetail = q.detail;
  }
  if (args.resume) {
    // A restart with the cache filled: 继续 as the last user, open the case list, measure.
    const t0 = Date.now();
    await click(sid, 'login-resume');
    await find(sid, '[data-test="topbar-user"]', 600_000);
    result.resumeMs = Date.now() - t0;
    await click(sid, 'nav-cases');
    await find(sid, '[data-test="case-row"]', 60_000);
    await sleep(settleMs);
    const q = pss(pid);
    result.resumedPssKb = q.total;
    result.resumedProcesses = q.parts.join(' ');
    result.resumedDetail = q.detail;
  }
} catch (e) {
  // What was on screen: messages to stderr, a screenshot next to the results.
  const msgs = await wd('POST', `/session/${sid}/execute/sync`, {
    script: `return [...document.querySelectorAll('.el-message__content, .el-alert__title')].map((e) => e.textContent.trim())`,
    args: [],
  }).catch(() => []);
  console.error(`measure: ${e.message}; on screen: ${JSON.stringify(msgs)}`);
  if (args['fail-shot']) {
    // WebKitGTK's driver may never answer a screenshot (non-composited views): give up after 10 s.
    const png = await Promise.race([
      wd('GET', `/session/${sid}/screenshot`).catch(() => null),
      sleep(10_000).then(() => null),
    ]);
    if (png) writeFileSync(args['fail-shot'], Buffer.from(png, 'base64'));
  }
  throw e;
} finally {
  await wd('DELETE', `/session/${sid}`).catch(() => {});
}
console.log(JSON.stringify(result));
