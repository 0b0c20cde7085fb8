// Test data through the server's REST API (what the clerk and the unit head do outside
// the UI steps under test), and checks of what the server ended up with.
import { env, PASSWORD } from './env.js';

async function call(method, path, token, body) {
  const r = await fetch(`${env.serverUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
  return data;
}

export async function login(username) {
  const body = await call('POST', '/auth/login', null, { username, password: PASSWORD });
  return body.accessToken;
}

export async function unitId(token, code) {
  const units = await call('GET', '/units', token);
  const u = units.find((x) => x.code === code);
  if (!u) throw new Error(`unit ${code} not found`);
  return u.id;
}

/** A case registered by the clerk and dispatched to `unitCode`; returns the case view. */
export async function dispatchedCase(clerk, { title, unitCode, sensitive }) {
  const created = await call('POST', '/cases', clerk, {
    channel: '12345市长热线',
    requestType: '投诉',
    title,
    content: `${title}，希望派出所尽快处理。`,
    citizenName: '王女士',
    citizenPhone: '13812345678',
    address: '历下区泉城路街道某小区',
    district: '历下区',
  });
  return act(clerk, created.id, {
    type: 'dispatch',
    handlingUnit: await unitId(clerk, unitCode),
    category: sensitive ? '民警作风与执法' : '噪音扰民',
    requestType: '投诉',
    urgency: '普通',
    flags: { policeComplaint: Boolean(sensitive), important: false },
  });
}

export function act(token, caseId, action) {
  return call('POST', `/cases/${caseId}/actions`, token, { action });
}

export function getCase(token, caseId) {
  return call('GET', `/cases/${caseId}`, token);
}

export function timeline(token, caseId) {
  return call('GET', `/cases/${caseId}/timeline`, token);
}

/** 责任倒查 records the user may see (纪检督察, 市局领导). */
export function accountability(token) {
  return call('GET', '/accountability?limit=50', token);
}
