// Settings handed over by run.sh.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the specs through tests/e2e/run.sh`);
  return v;
}

export const env = {
  root: resolve(dirname(fileURLToPath(import.meta.url)), '../../..'),
  work: need('E2E_WORK'),
  app: need('E2E_APP'),
  serverBin: need('E2E_SERVER_BIN'),
  db: need('E2E_DB'),
  serverPort: Number(need('E2E_SERVER_PORT')),
  serverUrl: need('E2E_SERVER_URL'),
  driverPort: Number(need('E2E_DRIVER_PORT')),
  shots: need('E2E_SHOTS'),
};

export const PASSWORD = 'Demo@2026';
