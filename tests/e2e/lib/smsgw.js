// The development SMS gateway (`sms-devgw`) for specs that follow an SMS out of the city
// server: it accepts the server's sends (POST /send), lists them (GET /messages) and
// posts citizen replies to the server's signed webhook. The shared secret is made per
// run and handed over in the environment only. Its pid goes to $E2E_WORK/pids, so
// run.sh's trap stops it if a spec crashes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { env } from './env.js';

/** A port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** run.sh exports E2E_DEVGW_BIN; else the binary next to the server's. */
function devgwBin() {
  const bin = process.env.E2E_DEVGW_BIN || join(dirname(env.serverBin), 'sms-devgw');
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: build it with cargo build -p minsheng-server --bin sms-devgw (run.sh does)`);
  }
  return bin;
}

/**
 * Starts sms-devgw on a free port, its webhook pointing at the spec's server. Returns
 * the gateway: `serverEnv` (what `startServer({ env })` needs to send through it),
 * `messages()` and `stop()`.
 */
export async function startSmsGateway() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = randomBytes(18).toString('base64url');
  const log = openSync(join(env.work, 'sms-devgw.log'), 'a');
  const child = spawn(
    devgwBin(),
    ['--listen', `127.0.0.1:${port}`, '--webhook', `${env.serverUrl}/api/v1/sms/inbound`],
    { cwd: env.root, stdio: ['ignore', log, log], env: { ...process.env, MINSHENG_SMS_WEBHOOK_SECRET: secret } },
  );
  appendFileSync(join(env.work, 'pids'), `${child.pid}\n`);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('sms-devgw exited at start (see sms-devgw.log)');
    try {
      const r = await fetch(`${url}/messages`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('sms-devgw did not answer /messages within 15 s');
    await sleep(100);
  }

  return {
    url,
    /** The server's environment for sending through this gateway (notify/config.rs). */
    serverEnv: {
      MINSHENG_SMS_PROVIDER: 'generic',
      MINSHENG_SMS_URL: `${url}/send`,
      MINSHENG_SMS_WEBHOOK_SECRET: secret,
    },
    /** Every message the server sent so far: {id, clientRef, to, templateId, content, params, deliveries, receivedAt}. */
    async messages() {
      const r = await fetch(`${url}/messages`);
      if (!r.ok) throw new Error(`sms-devgw GET /messages: HTTP ${r.status}`);
      return r.json();
    },
    /**
     * Polls /messages until one satisfies `pred`; bounded by `timeout`. Returns it, or
     * throws naming what was seen.
     */
    async waitFor(pred, { timeout = 60_000, interval = 500, what = 'a matching SMS' } = {}) {
      const end = Date.now() + timeout;
      let last = [];
      while (Date.now() < end) {
        last = await this.messages();
        const m = last.find(pred);
        if (m) return m;
        await sleep(interval);
      }
      throw new Error(`sms-devgw: ${what} not received within ${timeout} ms (${last.length} messages in all)`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
