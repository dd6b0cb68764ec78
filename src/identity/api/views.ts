// What the identity API shows of each resource (Keystone's views): the stored row as the wire
// format has it, with the links the handler gives.
import type {
  AccessRuleTable,
  DomainTable,
  EndpointGroupTable,
  EndpointTable,
  GroupTable,
  ProjectTable,
  RegionTable,
  RoleTable,
  ServiceTable,
  UserTable,
} from '../db/schema.js';
import { NULL_DOMAIN } from '../db/schema.js';
import { naiveMicro, parseJson } from '../objects/common.js';
import type { Credential } from '../objects/credential.js';
import type { Filters } from '../objects/endpoint_filter.js';
import { projectTags } from '../objects/project.js';
import { isUserEnabled, type UserOptions, type UserRules } from '../objects/user.js';

export function accessRuleView(r: AccessRuleTable) {
  return { id: r.id, service: r.service, path: r.path, method: r.method };
}

export function serviceView(s: ServiceTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(s.extra, {}),
    id: s.id,
    type: s.type,
    ...(s.name !== null ? { name: s.name } : {}),
    ...(s.description !== null ? { description: s.description } : {}),
    enabled: s.enabled === 1,
    links,
  };
}

export function endpointView(e: EndpointTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(e.extra, {}),
    id: e.id,
    interface: e.interface,
    region_id: e.region_id,
    region: e.region_id,
    service_id: e.service_id,
    url: e.url,
    enabled: e.enabled === 1,
    links,
  };
}

export function regionView(r: RegionTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(r.extra, {}),
    id: r.id,
    description: r.description,
    parent_region_id: r.parent_region_id,
    links,
  };
}

export function credentialView(c: Credential, links: { self: string }) {
  return { ...c.extra, id: c.id, user_id: c.user_id, project_id: c.project_id, type: c.type, blob: c.blob, links };
}

/** Keystone's EC2 view of a credential; `base` is its user's OS-EC2 collection URL. */
export function ec2View(c: Credential, base: string) {
  const b = parseJson<Record<string, unknown>>(c.blob, {});
  return {
    user_id: c.user_id,
    tenant_id: c.project_id,
    access: b.access,
    secret: b.secret,
    trust_id: b.trust_id ?? null,
    links: { self: `${base}/${String(b.access)}` },
  };
}

/** The domain as the API shows it. */
export function domainView(d: DomainTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(d.extra, {}),
    id: d.id,
    name: d.name,
    description: d.description ?? '',
    enabled: d.enabled === 1,
    tags: parseJson<string[]>(d.tags, []),
    options: {},
    links,
  };
}

export function endpointGroupView(g: EndpointGroupTable, links: { self: string }) {
  return { id: g.id, name: g.name, description: g.description, filters: parseJson<Filters>(g.filters, {}), links };
}

export function groupView(g: GroupTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(g.extra, {}),
    id: g.id,
    name: g.name,
    domain_id: g.domain_id,
    description: g.description ?? '',
    links,
  };
}

export function projectView(p: ProjectTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(p.extra, {}),
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description ?? '',
    enabled: p.enabled === 1,
    // Keystone reports a top-level project's domain as its parent.
    parent_id: p.parent_id ?? p.domain_id,
    is_domain: false,
    tags: projectTags(p),
    options: {},
    links,
  };
}

/** A domain as the project acting as it: no domain and no parent of its own. */
export function domainProjectView(d: DomainTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(d.extra, {}),
    id: d.id,
    name: d.name,
    domain_id: null,
    description: d.description ?? '',
    enabled: d.enabled === 1,
    parent_id: null,
    is_domain: true,
    tags: parseJson<string[]>(d.tags, []),
    options: {},
    links,
  };
}

export function roleView(r: RoleTable, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(r.extra, {}),
    id: r.id,
    name: r.name,
    domain_id: r.domain_id === NULL_DOMAIN ? null : r.domain_id,
    description: r.description,
    options: parseJson<Record<string, unknown>>(r.options, {}),
    links,
  };
}

export function userView(u: UserTable, rules: UserRules, links: { self: string }) {
  return {
    ...parseJson<Record<string, unknown>>(u.extra, {}),
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: isUserEnabled(u, rules),
    ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
    password_expires_at: u.password_expires_at ? naiveMicro(u.password_expires_at) : null,
    options: parseJson<UserOptions>(u.options, {}),
    links,
  };
}
