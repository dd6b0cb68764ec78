// Quotas (Nova's DbQuotaDriver): each resource's limit for a project is its own (os-quota-sets),
// else the `default` quota class's, else [quota]'s default; a user's limit within a project is
// its own, else the project's. -1 is unlimited. checkDeltas is the check every API that makes
// something counted runs before (and servers may run again after) making it.
import { sql } from 'kysely';
import type { Config } from '../../common/config.js';
import { withTransaction } from '../../common/db/index.js';
import { QuotaExceeded, QuotaLimitOutOfRange } from '../exceptions.js';
import { now, type Db } from './flavor.js';
import {
  countInstancesCoresRam,
  countKeyPairs,
  countServerGroupMembers,
  countServerGroups,
  usages,
  type Counts,
} from './quota_usage.js';

type Limits = Record<string, number>;

/** Every resource Nova's quota engine knows, in its (sorted) order, with the option giving its
 * default; the nova-network ones have none (-1) and stay for the older microversions' answers. */
export const QUOTA_RESOURCES: readonly { name: string; option?: keyof Config }[] = [
  { name: 'cores', option: 'quotaCores' },
  { name: 'fixed_ips' },
  { name: 'floating_ips' },
  { name: 'injected_file_content_bytes', option: 'quotaInjectedFileContentBytes' },
  { name: 'injected_file_path_bytes', option: 'quotaInjectedFilePathLength' },
  { name: 'injected_files', option: 'quotaInjectedFiles' },
  { name: 'instances', option: 'quotaInstances' },
  { name: 'key_pairs', option: 'quotaKeyPairs' },
  { name: 'metadata_items', option: 'quotaMetadataItems' },
  { name: 'ram', option: 'quotaRam' },
  { name: 'security_group_rules' },
  { name: 'security_groups' },
  { name: 'server_group_members', option: 'quotaServerGroupMembers' },
  { name: 'server_groups', option: 'quotaServerGroups' },
];

export const DEFAULT_QUOTA_CLASS = 'default';
const UNLIMITED = -1;

async function classLimits(db: Db, className: string): Promise<Limits> {
  const rows = await db
    .selectFrom('quota_classes')
    .select(['resource', 'hard_limit'])
    .where('class_name', '=', className)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
}

async function userLimits(db: Db, projectId: string, userId: string): Promise<Limits> {
  const rows = await db
    .selectFrom('project_user_quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
}

export interface StoredLimits {
  /** The `default` class's rows. */
  defaults: Limits;
  project: Limits;
  /** Empty unless a user was asked for. */
  user: Limits;
}

/** The limits set for the `default` class, the project and (given) the user, in one statement:
 * a server create checks them on its way. */
export async function storedLimits(db: Db, projectId: string, userId?: string): Promise<StoredLimits> {
  let q = db
    .selectFrom('quota_classes')
    .select([sql<string>`'defaults'`.as('scope'), 'resource', 'hard_limit'])
    .where('class_name', '=', DEFAULT_QUOTA_CLASS)
    .unionAll(
      db
        .selectFrom('quotas')
        .select([sql<string>`'project'`.as('scope'), 'resource', 'hard_limit'])
        .where('project_id', '=', projectId),
    );
  if (userId !== undefined) {
    q = q.unionAll(
      db
        .selectFrom('project_user_quotas')
        .select([sql<string>`'user'`.as('scope'), 'resource', 'hard_limit'])
        .where('project_id', '=', projectId)
        .where('user_id', '=', userId),
    );
  }
  const out: StoredLimits = { defaults: {}, project: {}, user: {} };
  for (const r of await q.execute()) out[r.scope as keyof StoredLimits][r.resource] = r.hard_limit;
  return out;
}

/** Each resource's limit from a class's rows, [quota]'s option where it sets none. */
function fromClass(config: Config, set: Limits): Limits {
  return Object.fromEntries(
    QUOTA_RESOURCES.map(({ name, option }) => [name, set[name] ?? (option ? (config[option] as number) : UNLIMITED)]),
  );
}

/** The limits every project starts from: the `default` class over [quota]'s options. */
export async function defaultQuotas(db: Db, config: Config): Promise<Limits> {
  return classQuotas(db, config, DEFAULT_QUOTA_CLASS);
}

/** A quota class's limits, the defaults where it sets none. */
export async function classQuotas(db: Db, config: Config, className: string): Promise<Limits> {
  return fromClass(config, await classLimits(db, className));
}

/** A limit, with what is in use when asked for. */
export interface QuotaValue {
  limit: number;
  in_use?: number;
}

function withDefaults(config: Config, stored: StoredLimits, own: Limits, used?: Limits): Record<string, QuotaValue> {
  // The `default` class's limits stand in for a project's own (Nova's _process_quotas).
  const defaults = fromClass(config, stored.defaults);
  return Object.fromEntries(
    QUOTA_RESOURCES.map(({ name }) => [
      name,
      { limit: own[name] ?? defaults[name]!, ...(used ? { in_use: used[name] ?? 0 } : {}) },
    ]),
  );
}

/** A project's limits from what storedLimits read. */
export function projectLimits(config: Config, stored: StoredLimits): Record<string, QuotaValue> {
  return withDefaults(config, stored, stored.project);
}

/** A project's limits (and usages). */
export async function projectQuotas(
  db: Db,
  config: Config,
  projectId: string,
  opts: { usages?: boolean } = {},
): Promise<Record<string, QuotaValue>> {
  const stored = await storedLimits(db, projectId);
  return withDefaults(config, stored, stored.project, opts.usages ? await usages(db, projectId) : undefined);
}

/** A user's limits within a project (theirs, else the project's), and usages. */
export async function userQuotas(
  db: Db,
  config: Config,
  projectId: string,
  userId: string,
  opts: { usages?: boolean } = {},
): Promise<Record<string, QuotaValue>> {
  const stored = await storedLimits(db, projectId, userId);
  const own = { ...stored.project, ...stored.user };
  return withDefaults(config, stored, own, opts.usages ? await usages(db, projectId, userId) : undefined);
}

const unlimited = (v: number) => v <= UNLIMITED;
const asInfinite = (v: number) => (v === UNLIMITED ? Infinity : v);

/** What each limit may be set to (Nova's get_settable_quotas): for a project, at least what its
 * users' own limits add up to and what is in use; for a user, at least their use and at most
 * what the project has left over its users' limits, this user's own counted back in. */
async function settableQuotas(
  db: Db,
  config: Config,
  projectId: string,
  userId?: string,
): Promise<Record<string, { minimum: number; maximum: number }>> {
  const project = await projectQuotas(db, config, projectId, { usages: true });
  const userRows = await db
    .selectFrom('project_user_quotas')
    .select(['resource', 'hard_limit'])
    .where('project_id', '=', projectId)
    .execute();
  const remains: Limits = Object.fromEntries(Object.entries(project).map(([k, v]) => [k, v.limit]));
  for (const r of userRows) if (r.resource in remains) remains[r.resource]! -= r.hard_limit;
  const out: Record<string, { minimum: number; maximum: number }> = {};
  if (userId !== undefined) {
    const setForUser = await userLimits(db, projectId, userId);
    const user = await userQuotas(db, config, projectId, userId, { usages: true });
    for (const [k, v] of Object.entries(user)) {
      const left = remains[k]!;
      const own = setForUser[k] ?? 0;
      out[k] = { minimum: v.in_use!, maximum: unlimited(left) || unlimited(own) ? UNLIMITED : left + own };
    }
    return out;
  }
  for (const [k, v] of Object.entries(project)) {
    const left = remains[k]!;
    const byUsers = unlimited(v.limit) || unlimited(left) ? UNLIMITED : v.limit - left;
    out[k] = { minimum: Math.max(byUsers, v.in_use!), maximum: UNLIMITED };
  }
  return out;
}

/** Sets a project's (or, with `userId`, a user's) limits. Unless `force`, each must lie between
 * what is used (or given to users) and what the project allows (Nova's _validate_quota_limit). */
export async function updateQuotas(
  db: Db,
  config: Config,
  projectId: string,
  userId: string | undefined,
  values: Limits,
  force: boolean,
): Promise<void> {
  await withTransaction(db, async (trx) => {
    if (!force) {
      const settable = await settableQuotas(trx, config, projectId, userId);
      for (const [resource, limit] of Object.entries(values)) {
        const { minimum, maximum } = settable[resource]!;
        if (asInfinite(limit) < asInfinite(minimum)) {
          throw new QuotaLimitOutOfRange(
            `Quota limit ${limit} for ${resource} must be greater than or equal to ` +
              `already used and reserved ${minimum}.`,
          );
        }
        if (asInfinite(limit) > asInfinite(maximum)) {
          throw new QuotaLimitOutOfRange(
            `Quota limit ${limit} for ${resource} must be less than or equal to ${maximum}.`,
          );
        }
      }
    }
    const ts = now();
    for (const [resource, hard_limit] of Object.entries(values)) {
      if (userId !== undefined) {
        await trx
          .insertInto('project_user_quotas')
          .values({ project_id: projectId, user_id: userId, resource, hard_limit, created_at: ts, updated_at: null })
          .onConflict((oc) =>
            oc.columns(['user_id', 'project_id', 'resource']).doUpdateSet({ hard_limit, updated_at: ts }),
          )
          .execute();
      } else {
        await trx
          .insertInto('quotas')
          .values({ project_id: projectId, resource, hard_limit, created_at: ts, updated_at: null })
          .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ hard_limit, updated_at: ts }))
          .execute();
      }
    }
  });
}

/** Reverts a project's limits (its users' too) to the defaults; with `userId`, only that user's. */
export async function deleteQuotas(db: Db, projectId: string, userId?: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    let users = trx.deleteFrom('project_user_quotas').where('project_id', '=', projectId);
    if (userId !== undefined) users = users.where('user_id', '=', userId);
    await users.execute();
    if (userId === undefined) await trx.deleteFrom('quotas').where('project_id', '=', projectId).execute();
  });
}

/** Sets limits of a quota class (`default`: the defaults of every project). */
export async function updateClassQuotas(db: Db, className: string, values: Limits): Promise<void> {
  const ts = now();
  await withTransaction(db, async (trx) => {
    for (const [resource, hard_limit] of Object.entries(values)) {
      await trx
        .insertInto('quota_classes')
        .values({ class_name: className, resource, hard_limit, created_at: ts, updated_at: null })
        .onConflict((oc) => oc.columns(['class_name', 'resource']).doUpdateSet({ hard_limit, updated_at: ts }))
        .execute();
    }
  });
}

/** Who a quota check is for: the project's limits and the user's within it. */
export interface QuotaScope {
  projectId: string;
  userId: string;
  /** The server group whose members count (server_group_members). */
  groupUuid?: string;
}

async function countFor(db: Db, resource: string, scope: QuotaScope): Promise<Counts> {
  switch (resource) {
    case 'instances':
    case 'cores':
    case 'ram':
      return countInstancesCoresRam(db, scope.projectId, scope.userId);
    case 'key_pairs':
      return countKeyPairs(db, scope.userId);
    case 'server_groups':
      return countServerGroups(db, scope.projectId, scope.userId);
    case 'server_group_members':
      if (scope.groupUuid === undefined) throw new Error('server_group_members are counted within a server group');
      return countServerGroupMembers(db, scope.groupUuid, scope.userId);
    default:
      throw new Error(`${resource} is not a counted quota resource`);
  }
}

/**
 * Throws QuotaExceeded unless what there is plus `deltas` ({instances: 1, cores: 2, ram: 512})
 * stays within the limits (Nova's Quotas.check_deltas): resources counted per project against the
 * project's and the user's limits, those counted per user only (key pairs, group members)
 * against the stricter of the two. A delta of 0 rechecks after the fact. `read`: the scope's
 * limits, when the caller has read them already (storedLimits with its user).
 */
export async function checkDeltas(
  db: Db,
  config: Config,
  scope: QuotaScope,
  deltas: Limits,
  read?: StoredLimits,
): Promise<void> {
  const stored = read ?? (await storedLimits(db, scope.projectId, scope.userId));
  const project = withDefaults(config, stored, stored.project);
  const user = withDefaults(config, stored, { ...stored.project, ...stored.user });
  // Nothing can go over an unlimited quota: counting a project's instances costs a pass over them.
  if (Object.keys(deltas).every((k) => unlimited(project[k]?.limit ?? 0) && unlimited(user[k]?.limit ?? 0))) return;
  const projectValues: Limits = {};
  const userValues: Limits = {};
  const used: Limits = {};
  for (const resource of Object.keys(deltas)) {
    if (resource in projectValues || resource in userValues) continue;
    const counts = await countFor(db, resource, scope);
    for (const [k, n] of Object.entries(counts.project ?? {})) {
      if (k in deltas) projectValues[k] = n + deltas[k]!;
    }
    for (const [k, n] of Object.entries(counts.user ?? {})) {
      if (k in deltas) {
        userValues[k] = n + deltas[k]!;
        used[k] = n;
      }
    }
    for (const [k, n] of Object.entries(counts.project ?? {})) if (k in deltas && !(k in used)) used[k] = n;
  }
  const within = (limit: number, value: number) => limit < 0 || value <= limit;
  const fail = (overs: string[], quotas: Limits) =>
    new QuotaExceeded(overs.sort(), quotas, used, Object.fromEntries(overs.map((k) => [k, quotas[k]!])));
  const limitsOf = (q: Record<string, QuotaValue>) =>
    Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v.limit]));
  // Counted on one side only: the stricter limit applies.
  const oneSided = Object.keys(deltas).filter((k) => k in projectValues !== k in userValues);
  const merged: Limits = {};
  for (const k of oneSided) {
    const p = project[k]!.limit;
    const u = user[k]!.limit;
    merged[k] = p < 0 ? u : u < 0 ? p : Math.min(p, u);
  }
  const oneSidedOvers = oneSided.filter((k) => !within(merged[k]!, projectValues[k] ?? userValues[k]!));
  if (oneSidedOvers.length) throw fail(oneSidedOvers, { ...limitsOf(project), ...merged });
  const both = Object.keys(deltas).filter((k) => k in projectValues && k in userValues);
  let overUser = false;
  const overs: string[] = [];
  for (const k of both) {
    if (!within(project[k]!.limit, projectValues[k]!)) overs.push(k);
    else if (!within(user[k]!.limit, userValues[k]!)) {
      overs.push(k);
      overUser = true;
    }
  }
  if (overs.length) throw fail(overs, limitsOf(overUser ? user : project));
}
