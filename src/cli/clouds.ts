// clouds.yaml for python-openstackclient and openstacksdk: `concord` (the admin) and
// `concord-demo` (a member of project demo), password auth against concord's identity.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeSecretFile } from './credentials.js';

export interface CloudAccount {
  username: string;
  password: string;
  project: string;
}

export function cloudsYaml(authUrl: string, accounts: { admin: CloudAccount; demo: CloudAccount }): string {
  const cloud = (a: CloudAccount) => ({
    auth_type: 'password',
    auth: {
      auth_url: authUrl,
      username: a.username,
      password: a.password,
      project_name: a.project,
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    region_name: 'RegionOne',
    interface: 'public',
    identity_api_version: 3,
  });
  return stringify({ clouds: { concord: cloud(accounts.admin), 'concord-demo': cloud(accounts.demo) } });
}

export interface WrittenClouds {
  dataFile: string;
  userFile: string;
  /** False when the user's clouds.yaml already existed and was left alone. */
  userWritten: boolean;
}

/** Writes DATA_DIR/clouds.yaml (always: the port may have changed) and, when the user has none,
 * ~/.config/openstack/clouds.yaml, so that `openstack --os-cloud concord` works from anywhere. A
 * user's own file is never touched: it may hold other clouds. */
export function writeCloudsYaml(dataDir: string, home: string, content: string): WrittenClouds {
  const dataFile = join(dataDir, 'clouds.yaml');
  writeSecretFile(dataFile, content);
  const userDir = join(home, '.config', 'openstack');
  const userFile = join(userDir, 'clouds.yaml');
  if (existsSync(userFile)) return { dataFile, userFile, userWritten: false };
  mkdirSync(userDir, { recursive: true, mode: 0o700 });
  writeSecretFile(userFile, content);
  return { dataFile, userFile, userWritten: true };
}
