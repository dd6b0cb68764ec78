// The passwords `concord up` bootstraps its accounts with. Generated once, on the first start, and
// kept in DATA_DIR/credentials.json (mode 0600) so that a second start on the same data directory
// keeps them; the admin password may come from [DEFAULT] admin_password (or its environment
// variable) instead, and is then not stored.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileOnce } from '../common/files.js';

export interface CloudCredentials {
  adminPassword: string;
  /** The demo user's, distinct from the admin's so that handing out the demo cloud gives away
   * no administrator secret (DevStack reuses the admin password). */
  demoPassword: string;
  /** The service users' (DevStack's SERVICE_PASSWORD). */
  servicePassword: string;
  /** True when this start generated the admin password: the one time it is shown. */
  adminPasswordGenerated: boolean;
}

interface Stored {
  admin_password?: string;
  demo_password?: string;
  service_password?: string;
}

export const CREDENTIALS_FILE = 'credentials.json';

const generate = () => randomBytes(18).toString('base64url');

function readStored(file: string): Stored {
  if (!existsSync(file)) return {};
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (data && typeof data === 'object' && !Array.isArray(data)) return data;
  } catch {
    /* reported below */
  }
  throw new Error(`${file} is not a JSON object of passwords: fix or remove it`);
}

/** Writes a file that holds secrets: private from its first byte, and replaced whole so a reader
 * never sees half of it. */
export function writeSecretFile(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, file);
}

export function loadCredentials(dataDir: string, configuredAdminPassword: string): CloudCredentials {
  const file = join(dataDir, CREDENTIALS_FILE);
  const existed = existsSync(file);
  const stored = readStored(file);
  const fromConfig = configuredAdminPassword !== '';
  const adminPasswordGenerated = !fromConfig && !stored.admin_password;
  const next: Required<Stored> = {
    admin_password: fromConfig ? '' : stored.admin_password || generate(),
    demo_password: stored.demo_password || generate(),
    service_password: stored.service_password || generate(),
  };
  const toStore: Stored = { ...next };
  if (fromConfig) delete toStore.admin_password;
  const content = `${JSON.stringify(toStore, null, 2)}\n`;
  if (!existed) {
    // Processes starting together on a new data directory must agree on the passwords: the
    // first to write them wins, the others take its.
    if (!createFileOnce(file, content, 0o600)) return loadCredentials(dataDir, configuredAdminPassword);
  } else if (JSON.stringify(toStore) !== JSON.stringify(stored)) {
    writeSecretFile(file, content);
  }
  return {
    adminPassword: fromConfig ? configuredAdminPassword : next.admin_password,
    demoPassword: next.demo_password,
    servicePassword: next.service_password,
    adminPasswordGenerated,
  };
}
