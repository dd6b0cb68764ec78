// Identity's tables, named as Keystone names them. Booleans are 0/1 integers (SQLite has no
// boolean and better-sqlite3 refuses to bind one); JSON documents are text; timestamps ISO strings.
import type { Generated } from 'kysely';

export interface DomainTable {
  id: string;
  name: string;
  description: string | null;
  enabled: number;
  tags: string;
  extra: string;
  created_at: string;
}

export interface ProjectTable {
  id: string;
  name: string;
  domain_id: string;
  /** The parent project, or null for a project directly under its domain. */
  parent_id: string | null;
  description: string | null;
  enabled: number;
  tags: string;
  extra: string;
  created_at: string;
}

export interface UserTable {
  id: string;
  name: string;
  domain_id: string;
  enabled: number;
  default_project_id: string | null;
  password_hash: string | null;
  /** When the current password was set, and when it stops working (null: never). */
  password_created_at: string | null;
  password_expires_at: string | null;
  /** 1 when the user set the current password itself (the minimum password age applies). */
  password_self_service: number;
  /** The day of the last successful authentication (YYYY-MM-DD; [security_compliance]
   * disable_user_account_days_inactive). */
  last_active_at: string | null;
  failed_auth_count: number;
  failed_auth_at: string | null;
  /** Attributes Keystone keeps without interpreting (email, description ...). */
  extra: string;
  options: string;
  created_at: string;
}

export interface GroupTable {
  id: string;
  name: string;
  domain_id: string;
  description: string | null;
  extra: string;
}

export interface UserGroupMembershipTable {
  user_id: string;
  group_id: string;
}

export interface RoleTable {
  id: string;
  name: string;
  /** NULL_DOMAIN for global roles, so that (name, domain_id) can be unique on every engine. */
  domain_id: string;
  description: string | null;
  options: string;
  extra: string;
}

export interface ImpliedRoleTable {
  prior_role_id: string;
  implied_role_id: string;
}

export type AssignmentType =
  'UserProject' | 'GroupProject' | 'UserDomain' | 'GroupDomain' | 'UserSystem' | 'GroupSystem';

export interface AssignmentTable {
  type: AssignmentType;
  actor_id: string;
  /** Project or domain id; SYSTEM_TARGET for system assignments. */
  target_id: string;
  role_id: string;
  /** 1: applies to the projects below the target (OS-INHERIT), not to the target itself. */
  inherited: number;
}

export interface RegionTable {
  id: string;
  description: string;
  parent_region_id: string | null;
  extra: string;
}

export interface ServiceTable {
  id: string;
  type: string;
  name: string | null;
  description: string | null;
  enabled: number;
  extra: string;
}

export interface EndpointTable {
  id: string;
  service_id: string;
  interface: string;
  url: string;
  region_id: string | null;
  enabled: number;
  extra: string;
}

export interface ApplicationCredentialTable {
  id: string;
  name: string;
  secret_hash: string;
  description: string | null;
  user_id: string;
  project_id: string;
  expires_at: string | null;
  unrestricted: number;
  created_at: string;
}

export interface ApplicationCredentialRoleTable {
  application_credential_id: string;
  role_id: string;
}

/** An access rule: one request (service type, method, path pattern) a user lets application
 * credentials make; shared by the user's credentials that name the same request. */
export interface AccessRuleTable {
  id: string;
  user_id: string;
  service: string;
  path: string;
  method: string;
}

export interface ApplicationCredentialAccessRuleTable {
  application_credential_id: string;
  access_rule_id: string;
}

/** OS-TRUST: a trustor lets a trustee act with some of its roles on a project (as itself when
 * `impersonation`), a limited number of times or until an expiry; a trust may be redelegated. */
export interface TrustTable {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: number;
  expires_at: string | null;
  /** Tokens the trust may still issue (null: no limit). */
  remaining_uses: number | null;
  /** The trust this one was redelegated from. */
  redelegated_trust_id: string | null;
  /** How many more times it may be redelegated (0: not at all). */
  redelegation_count: number;
  extra: string;
}

export interface TrustRoleTable {
  trust_id: string;
  role_id: string;
}

/** One revocation: tokens issued at or before `issued_before` that match the one set field. */
export interface RevocationEventTable {
  id: Generated<number>;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  domain_id: string | null;
  issued_before: string;
  revoked_at: string;
}

export interface CredentialTable {
  /** uuid hex; for EC2 credentials the SHA-256 of the access key (Keystone's). */
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  /** AES-256-GCM of the blob, base64 (see objects/credential_keys.ts). */
  encrypted_blob: string;
  /** SHA-256 of the key it was encrypted with. */
  key_hash: string;
  extra: string;
}

/** A user's earlier passwords, hashed, for [security_compliance] unique_last_password_count. */
export interface PasswordHistoryTable {
  id: Generated<number>;
  user_id: string;
  password_hash: string;
  created_at: string;
}

/** OS-EP-FILTER: an endpoint group is a filter over endpoints (service_id, region_id,
 * interface); projects associated with groups or single endpoints see only those in their catalog. */
export interface EndpointGroupTable {
  id: string;
  name: string;
  description: string | null;
  /** JSON object: the endpoint attributes an endpoint must have to be in the group. */
  filters: string;
}

export interface ProjectEndpointTable {
  endpoint_id: string;
  project_id: string;
}

export interface ProjectEndpointGroupTable {
  endpoint_group_id: string;
  project_id: string;
}

export interface IdentityDB {
  domain: DomainTable;
  project: ProjectTable;
  user: UserTable;
  group: GroupTable;
  user_group_membership: UserGroupMembershipTable;
  role: RoleTable;
  implied_role: ImpliedRoleTable;
  assignment: AssignmentTable;
  region: RegionTable;
  service: ServiceTable;
  endpoint: EndpointTable;
  application_credential: ApplicationCredentialTable;
  application_credential_role: ApplicationCredentialRoleTable;
  revocation_event: RevocationEventTable;
  credential: CredentialTable;
  endpoint_group: EndpointGroupTable;
  project_endpoint: ProjectEndpointTable;
  project_endpoint_group: ProjectEndpointGroupTable;
  password_history: PasswordHistoryTable;
  access_rule: AccessRuleTable;
  application_credential_access_rule: ApplicationCredentialAccessRuleTable;
  trust: TrustTable;
  trust_role: TrustRoleTable;
}

export const NULL_DOMAIN = '<<null>>';
export const SYSTEM_TARGET = 'system';
