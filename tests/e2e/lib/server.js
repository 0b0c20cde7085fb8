// The city server under test: started and stopped by the specs (stopping it is how the
// app goes offline). Every pid is appended to $E2E_WORK/pids so run.sh's trap can stop
// a server a crashed spec left behind.
import { spawn } from 'node:child_process';
import { appendFileSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { env } from './env.js';

let current = null;
let starts = 0;

/**
 * Starts the server (once; a running one is returned as is). Options, for specs that
 * need them: `model` — a model directory for suggestions (`--model`, run.sh exports
 * E2E_MODEL); `env` — extra environment, e.g. the SMS gateway's (lib/smsgw.js).
 */
export async function startServer({ model = null, env: extraEnv = null } = {}) {
  if (current) return current;
  starts += 1;
  const log = openSync(join(env.work, `server-${starts}.log`), 'a');
  const args = ['serve', '--db', env.db, '--listen', `127.0.0.1:${env.serverPort}`];
  if (model) args.push('--model', model);
  const child = spawn(env.serverBin, args, {
    cwd: env.root,
    stdio: ['ignore', log, log],
    ...(extraEnv ? { env: { ...process.env, ...extraEnv } } : {}),
  });
  appendFileSync(join(env.work, 'pids'), `${child.pid}\n`);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  current = { child, exited };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (see server-${starts}.log)`);
    try {
      const r = await fetch(`${env.serverUrl}/api/v1/health`);
      if (r.ok) return current;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('server did not become healthy within 20 s');
}

/** Stops the server (Ctrl-C, then SIGKILL after 5 s); the port and DB stay for a restart. */
export async function stopServer() {
  if (!current) return;
  const { child, exited } = current;
  current = null;
  if (child.exitCode !== null) return;
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

process.on('exit', () => current?.child.kill('SIGKILL'));
