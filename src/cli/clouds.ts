// clouds.yaml for python-openstackclient and openstacksdk: `concord` (the admin) and
// `concord-demo` (a member of project demo), password auth against concord's identity.
//
// The entries carry `concord_data_dir` (openstacksdk ignores keys it does not know): that is how
// concord knows them for its own and keeps them current at every start, in DATA_DIR/clouds.yaml
// and in ~/.config/openstack/clouds.yaml, when a new data directory means new passwords or a new
// port a new URL. Everything else in the user's file (other clouds, comments) stays as it is, and
// a cloud of the same name without that key is the user's: then the file is left alone.
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parseDocument, stringify } from 'yaml';
import { writeSecretFile } from './credentials.js';

export const CLOUD_NAMES = { admin: 'concord', demo: 'concord-demo' } as const;
/** The key that marks a cloud entry as written (and kept current) by concord. */
export const MARKER = 'concord_data_dir';

export interface CloudAccount {
  username: string;
  password: string;
  project: string;
}

export type Clouds = Record<string, Record<string, unknown>>;

export function concordClouds(
  authUrl: string,
  dataDir: string,
  accounts: { admin: CloudAccount; demo: CloudAccount },
): Clouds {
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
    [MARKER]: dataDir,
  });
  return { [CLOUD_NAMES.admin]: cloud(accounts.admin), [CLOUD_NAMES.demo]: cloud(accounts.demo) };
}

/** `existing` (a clouds.yaml) with concord's clouds set to `clouds`, or why it must be left alone. */
export function mergeClouds(existing: string, clouds: Clouds): { content: string } | { leftAlone: string } {
  const doc = parseDocument(existing);
  if (doc.errors.length) return { leftAlone: 'it is not valid YAML' };
  // An empty file is an empty mapping.
  if (doc.contents === null) doc.set('clouds', doc.createNode({}));
  if (!isMap(doc.contents)) return { leftAlone: 'it is not a mapping of clouds' };
  if (!doc.has('clouds') || doc.get('clouds') === null) doc.set('clouds', doc.createNode({}));
  const section = doc.get('clouds');
  if (!isMap(section)) return { leftAlone: 'its clouds are not a mapping' };
  for (const name of Object.keys(clouds)) {
    const entry = section.get(name);
    if (entry !== undefined && !(isMap(entry) && entry.has(MARKER))) {
      return { leftAlone: `it has a cloud named ${name} that concord did not write` };
    }
  }
  for (const [name, cloud] of Object.entries(clouds)) section.set(name, doc.createNode(cloud));
  return { content: doc.toString() };
}

export interface WrittenClouds {
  dataFile: string;
  userFile: string;
  /** False when the user's clouds.yaml was left alone, for `reason`. */
  userWritten: boolean;
  reason?: string;
}

/** Writes DATA_DIR/clouds.yaml, and concord's clouds into ~/.config/openstack/clouds.yaml (made
 * when missing), so that `openstack --os-cloud concord` works from anywhere. */
export function writeCloudsYaml(dataDir: string, home: string, clouds: Clouds): WrittenClouds {
  const dataFile = join(dataDir, 'clouds.yaml');
  writeSecretFile(dataFile, stringify({ clouds }));
  const userDir = join(home, '.config', 'openstack');
  const userFile = join(userDir, 'clouds.yaml');
  if (!existsSync(userFile)) {
    mkdirSync(userDir, { recursive: true, mode: 0o700 });
    writeSecretFile(userFile, stringify({ clouds }));
    return { dataFile, userFile, userWritten: true };
  }
  const existing = readFileSync(userFile, 'utf8');
  const merged = mergeClouds(existing, clouds);
  if ('leftAlone' in merged) return { dataFile, userFile, userWritten: false, reason: merged.leftAlone };
  // A clouds.yaml linked from elsewhere (a dotfiles repository) stays a link.
  if (merged.content !== existing) writeSecretFile(realpathSync(userFile), merged.content);
  return { dataFile, userFile, userWritten: true };
}
