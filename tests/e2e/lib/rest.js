// Any call of the city server's REST API (lib/api.js has the common ones), and polling
// the server until a case reaches what a step expects.
import { setTimeout as sleep } from 'node:timers/promises';

import { env } from './env.js';

/** `method path` as `token`; answers the parsed body, throws on a non-2xx status. */
export async function rest(method, path, token, body) {
  const r = await fetch(`${env.serverUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Polls GET /cases/{id} until `pred(case)` holds; bounded by `timeout`. */
export async function untilCase(token, id, pred, what, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last = null;
  while (Date.now() < deadline) {
    try {
      last = await rest('GET', `/cases/${id}`, token);
      if (pred(last)) return last;
    } catch (e) {
      // 404 until the app's sync has pushed a case registered on the desktop
      if (!/HTTP 404/.test(String(e.message))) throw e;
    }
    await sleep(500);
  }
  throw new Error(`server: ${what} not reached within ${timeout} ms (state ${last?.state ?? 'none'}, version ${last?.version ?? '-'})`);
}
