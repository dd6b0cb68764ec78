// One typed registry of every option: its INI section (OpenStack's names), default and help.
// Values come from, in increasing priority: defaults, the INI file, CONCORD_<SECTION>__<NAME> env vars.
import { readFileSync } from 'node:fs';
import { parse as parseIni } from 'ini';

type OptionType = 'string' | 'int' | 'float' | 'bool' | 'list';
interface OptionDef<T> {
  section: string;
  name: string;
  type: OptionType;
  default: T;
  help: string;
}

function opt<T>(section: string, name: string, type: OptionType, def: T, help: string): OptionDef<T> {
  return { section, name, type, default: def, help };
}

/** How a service's clients reach another service (keystoneauth's adapter options), in the section
 * Nova reads them from: [placement], [glance], [keystone]. */
function clientOptions<P extends string>(prefix: P, section: string, service: string) {
  return {
    [`${prefix}RegionName`]: opt<string>(
      section,
      'region_name',
      'string',
      '',
      `Region of the ${service} endpoint the services' clients use (empty: any region).`,
    ),
    [`${prefix}ValidInterfaces`]: opt<string[]>(
      section,
      'valid_interfaces',
      'list',
      ['internal', 'public'],
      `Catalog interfaces of the ${service} endpoint the services' clients use, in order of preference.`,
    ),
    [`${prefix}EndpointOverride`]: opt<string>(
      section,
      'endpoint_override',
      'string',
      '',
      `URL of the ${service} service the services' clients use instead of the catalog's (empty: the catalog's).`,
    ),
    [`${prefix}Timeout`]: opt<number>(
      section,
      'timeout',
      'int',
      30,
      `Seconds a client call to ${service} waits for an answer (or for more of it) before giving up.`,
    ),
    [`${prefix}ConnectRetries`]: opt<number>(
      section,
      'connect_retries',
      'int',
      3,
      `Retries of an idempotent call to ${service} whose connection failed (exponential backoff).`,
    ),
    [`${prefix}StatusCodeRetries`]: opt<number>(
      section,
      'status_code_retries',
      'int',
      3,
      `Retries of an idempotent call to ${service} answered 502, 503 or 504 (exponential backoff).`,
    ),
  } as { [K in `${P}${'RegionName' | 'EndpointOverride'}`]: OptionDef<string> } & {
    [K in `${P}ValidInterfaces`]: OptionDef<string[]>;
  } & { [K in `${P}${'Timeout' | 'ConnectRetries' | 'StatusCodeRetries'}`]: OptionDef<number> };
}

export const OPTIONS = {
  databaseConnection: opt<string>(
    'database',
    'connection',
    'string',
    '',
    'Database URL (postgresql://... or sqlite:///path) of every service without its own ' +
      '([identity_database], [placement_database], [image_database], [api_database] connection, which take ' +
      'precedence); ' +
      'each service keeps its own tables, so one database can hold them all. `--database-url` overrides ' +
      'these options (`up`: for every service; `serve`: for the one served). Empty: a SQLite file per ' +
      'service in the data directory.',
  ),
  placementDatabaseConnection: opt<string>(
    'placement_database',
    'connection',
    'string',
    '',
    'Placement database URL; defaults to [database] connection.',
  ),
  authStrategy: opt<string>(
    'api',
    'auth_strategy',
    'string',
    '',
    'How `concord serve` authenticates requests: keystone, or noauth2 (test mode: token USER[:PROJECT], ' +
      'no password; served on loopback addresses only unless --insecure-noauth-any-host). Empty: keystone ' +
      'when [keystone_authtoken] auth_url is set; without it `serve` refuses to start. `concord up` always ' +
      'uses its own identity service.',
  ),
  randomizeAllocationCandidates: opt<boolean>(
    'placement',
    'randomize_allocation_candidates',
    'bool',
    false,
    'Shuffle allocation candidates before applying limit, to spread concurrent schedulers.',
  ),
  incompleteConsumerProjectId: opt<string>(
    'placement',
    'incomplete_consumer_project_id',
    'string',
    '00000000-0000-0000-0000-000000000000',
    'Project recorded for consumers created before 1.8.',
  ),
  incompleteConsumerUserId: opt<string>(
    'placement',
    'incomplete_consumer_user_id',
    'string',
    '00000000-0000-0000-0000-000000000000',
    'User recorded for consumers created before 1.8.',
  ),
  allocationConflictRetryCount: opt<number>(
    'placement',
    'allocation_conflict_retry_count',
    'int',
    10,
    'Server-side retries of an allocation write that lost a provider generation race.',
  ),
  maxAllocationCandidates: opt<number>(
    'placement',
    'max_allocation_candidates',
    'int',
    -1,
    'Upper bound on candidates generated per request (-1: no bound).',
  ),
  policyFile: opt<string>(
    'oslo_policy',
    'policy_file',
    'string',
    'policy.yaml',
    'Policy overrides (YAML or JSON), relative to the config directory.',
  ),
  enforceScope: opt<boolean>(
    'oslo_policy',
    'enforce_scope',
    'bool',
    false,
    "Reject tokens whose scope does not match a rule's scope_types.",
  ),
  enforceNewDefaults: opt<boolean>(
    'oslo_policy',
    'enforce_new_defaults',
    'bool',
    false,
    'Use only the new (scoped, reader/member) defaults; drop the deprecated admin fallbacks.',
  ),
  corsAllowedOrigin: opt<string[]>(
    'cors',
    'allowed_origin',
    'list',
    [],
    'Origins allowed to make CORS requests (empty: CORS off).',
  ),
  corsAllowHeaders: opt<string[]>(
    'cors',
    'allow_headers',
    'list',
    [],
    'Extra request headers allowed in CORS requests.',
  ),
  maxRequestBodySize: opt<number>(
    'oslo_middleware',
    'max_request_body_size',
    'int',
    114688,
    'Largest accepted request body in bytes (larger: 413).',
  ),
  clientHeaderTimeout: opt<number>(
    'wsgi',
    'client_header_timeout',
    'int',
    60,
    'Seconds a client has to send a request line and headers, counted from its first byte (or from ' +
      'connecting); then it is answered 408 and the connection closed. 0: no limit.',
  ),
  clientSocketTimeout: opt<number>(
    'wsgi',
    'client_socket_timeout',
    'int',
    60,
    'Seconds a request body may stop arriving (nothing received) before the request is answered 408 and ' +
      'the connection closed; an upload of any length is fine while data keeps coming. 0: no limit.',
  ),
  keepAliveTimeout: opt<number>(
    'wsgi',
    'keep_alive_timeout',
    'int',
    75,
    "Seconds an idle connection is kept open for the client's next request. 0: until the client closes it.",
  ),
  maxConnectionsPerClient: opt<number>(
    'wsgi',
    'max_connections_per_client',
    'int',
    100,
    'Connections one client address may hold open at once; beyond that, new ones are answered 429 and ' +
      'closed (raise it for a load balancer or proxy in front, whose address all requests share). ' +
      '0: no limit.',
  ),
  imageDatabaseConnection: opt<string>(
    'image_database',
    'connection',
    'string',
    '',
    'Image service database URL; defaults to [database] connection.',
  ),
  enabledImportMethods: opt<string[]>(
    'DEFAULT',
    'enabled_import_methods',
    'list',
    ['glance-direct', 'web-download'],
    'Interoperable image import methods offered (glance-direct, web-download).',
  ),
  nodeStagingUri: opt<string>(
    'DEFAULT',
    'node_staging_uri',
    'string',
    '',
    'Where staged image data waits for its import (file:///path). Empty: DATA_DIR/image-staging.',
  ),
  importAllowedSchemes: opt<string[]>(
    'import_filtering_opts',
    'allowed_schemes',
    'list',
    ['http', 'https'],
    'URL schemes web-download may fetch from (when set, disallowed_schemes is ignored).',
  ),
  importDisallowedSchemes: opt<string[]>(
    'import_filtering_opts',
    'disallowed_schemes',
    'list',
    [],
    'URL schemes web-download may not fetch from (only when allowed_schemes is empty).',
  ),
  importAllowedHosts: opt<string[]>(
    'import_filtering_opts',
    'allowed_hosts',
    'list',
    [],
    'Hosts web-download may fetch from: names, addresses or networks (CIDR); an address or network also ' +
      'admits the names that resolve into it. When set, disallowed_hosts is ignored. Empty: any not disallowed.',
  ),
  importDisallowedHosts: opt<string[]>(
    'import_filtering_opts',
    'disallowed_hosts',
    'list',
    ['127.0.0.0/8', '::1', '0.0.0.0/8', '::', '169.254.0.0/16', 'fe80::/10'],
    'Hosts web-download may not fetch from: names, addresses or networks (CIDR); a host name is refused when ' +
      'it resolves to a disallowed address. The default keeps the loopback, link-local (cloud metadata) ' +
      'and unspecified addresses out of reach.',
  ),
  importAllowedPorts: opt<string[]>(
    'import_filtering_opts',
    'allowed_ports',
    'list',
    ['80', '443'],
    "Ports web-download may connect to (the scheme's default port when the URL names none; when set, " +
      'disallowed_ports is ignored). Empty: any not disallowed.',
  ),
  importDisallowedPorts: opt<string[]>(
    'import_filtering_opts',
    'disallowed_ports',
    'list',
    [],
    'Ports web-download may not connect to (only when allowed_ports is empty).',
  ),
  imageStoreId: opt<string>(
    'glance_store',
    'default_backend',
    'string',
    'file',
    "The id of the image service's one store (a filesystem store), as /v2/info/stores, the images' `stores` " +
      'attribute and import requests name it.',
  ),
  filesystemStoreDatadir: opt<string>(
    'glance_store',
    'filesystem_store_datadir',
    'string',
    '',
    'Directory holding image data, one file per image (shared by every image API process). ' +
      'Empty: DATA_DIR/images.',
  ),
  imageSizeCap: opt<number>(
    'DEFAULT',
    'image_size_cap',
    'int',
    1099511627776,
    'Largest image upload in bytes (larger: 413).',
  ),
  userStorageQuota: opt<string>(
    'DEFAULT',
    'user_storage_quota',
    'string',
    '0',
    'Image data a project may store in total, in bytes or with a unit (B, KB, MB, GB, TB); 0: unlimited.',
  ),
  identityDatabaseConnection: opt<string>(
    'identity_database',
    'connection',
    'string',
    '',
    'Identity database URL; defaults to [database] connection.',
  ),
  tokenExpiration: opt<number>('token', 'expiration', 'int', 3600, 'Seconds a token stays valid after it is issued.'),
  credentialKeyRepository: opt<string>(
    'credential',
    'key_repository',
    'string',
    '',
    'Directory holding the key credential blobs are encrypted with (created when missing). Empty: ' +
      'DATA_DIR/credential-keys. Every identity process must share it.',
  ),
  credentialUserLimit: opt<number>('credential', 'user_limit', 'int', 500, 'Most credentials one user may hold.'),
  jwsPrivateKeyRepository: opt<string>(
    'jwt_tokens',
    'jws_private_key_repository',
    'string',
    '',
    'Directory holding private.pem, the Ed25519 key tokens are signed with (created when missing). ' +
      'Empty: DATA_DIR/jws-keys/private. Every identity process must share it.',
  ),
  jwsPublicKeyRepository: opt<string>(
    'jwt_tokens',
    'jws_public_key_repository',
    'string',
    '',
    'Directory of *.pem public keys tokens are verified with (keep old keys here while rotating). ' +
      'Empty: DATA_DIR/jws-keys/public.',
  ),
  lockoutFailureAttempts: opt<number>(
    'security_compliance',
    'lockout_failure_attempts',
    'int',
    0,
    'Failed password authentications after which a user is locked out (0: never).',
  ),
  lockoutDuration: opt<number>(
    'security_compliance',
    'lockout_duration',
    'int',
    1800,
    'Seconds a locked-out user stays locked (0: until an administrator re-enables the user).',
  ),
  disableUserAccountDaysInactive: opt<number>(
    'security_compliance',
    'disable_user_account_days_inactive',
    'int',
    0,
    'Days without a successful authentication after which a user counts as disabled (0: never).',
  ),
  passwordExpiresDays: opt<number>(
    'security_compliance',
    'password_expires_days',
    'int',
    0,
    'Days a password stays valid; an expired one can only be changed with POST /v3/users/{id}/password (0: forever).',
  ),
  uniqueLastPasswordCount: opt<number>(
    'security_compliance',
    'unique_last_password_count',
    'int',
    0,
    'How many passwords, the new one included, must differ when a user changes its own (0: no history).',
  ),
  minimumPasswordAge: opt<number>(
    'security_compliance',
    'minimum_password_age',
    'int',
    0,
    'Days a password set by its user must be kept before the user may change it again (0: none).',
  ),
  passwordRegex: opt<string>(
    'security_compliance',
    'password_regex',
    'string',
    '',
    'Regular expression every new password must match from its start (empty: any password).',
  ),
  passwordRegexDescription: opt<string>(
    'security_compliance',
    'password_regex_description',
    'string',
    '',
    'The password_regex in words, for the error a password that does not match gets.',
  ),
  changePasswordUponFirstUse: opt<boolean>(
    'security_compliance',
    'change_password_upon_first_use',
    'bool',
    false,
    'A password set by an administrator (on creation or reset) must be changed by its user before it can be used.',
  ),
  trustMaxRedelegationCount: opt<number>(
    'trust',
    'max_redelegation_count',
    'int',
    3,
    'How many times a trust may be redelegated down a chain of trusts (a trust may ask for fewer).',
  ),
  keystoneAuthUrl: opt<string>(
    'keystone_authtoken',
    'auth_url',
    'string',
    '',
    'Identity endpoint other services validate tokens against (e.g. http://host/identity).',
  ),
  keystoneWwwAuthenticateUri: opt<string>(
    'keystone_authtoken',
    'www_authenticate_uri',
    'string',
    '',
    'Identity URL sent to unauthenticated clients (WWW-Authenticate: Keystone uri=...). Empty: auth_url.',
  ),
  keystoneUsername: opt<string>(
    'keystone_authtoken',
    'username',
    'string',
    '',
    'Service user that validates tokens on behalf of a service.',
  ),
  keystonePassword: opt<string>('keystone_authtoken', 'password', 'string', '', 'Password of the service user.'),
  keystoneProjectName: opt<string>(
    'keystone_authtoken',
    'project_name',
    'string',
    'service',
    "Project the service user's token is scoped to.",
  ),
  keystoneUserDomainName: opt<string>(
    'keystone_authtoken',
    'user_domain_name',
    'string',
    'Default',
    'Domain of the service user.',
  ),
  keystoneProjectDomainName: opt<string>(
    'keystone_authtoken',
    'project_domain_name',
    'string',
    'Default',
    "Domain of the service user's project.",
  ),
  keystoneTokenCacheTime: opt<number>(
    'keystone_authtoken',
    'token_cache_time',
    'int',
    30,
    'Seconds a validated token is cached by the services (revocations take effect within this; ' +
      'keystonemiddleware defaults to 300, concord validates in-process so it can afford less).',
  ),
  jobLeaseSeconds: opt<number>(
    'jobs',
    'lease_seconds',
    'int',
    30,
    'Seconds a worker holds a claimed job or periodic task between heartbeats (sent every third of it). ' +
      'A worker that dies loses its jobs this long after its last heartbeat, and another worker runs them again.',
  ),
  jobPollInterval: opt<number>(
    'jobs',
    'poll_interval',
    'float',
    1,
    'Longest wait, in seconds, of an idle worker between looks for new jobs. Jobs enqueued in the same ' +
      'process (and, on PostgreSQL, in any process) wake workers at once; this bounds the delay otherwise.',
  ),
  jobConcurrency: opt<number>(
    'jobs',
    'concurrency',
    'int',
    10,
    'Jobs a worker runs at once, unless its service sets its own bound.',
  ),
  jobMaxAttempts: opt<number>(
    'jobs',
    'max_attempts',
    'int',
    5,
    'Times a job is started before it is failed, unless it is enqueued with its own bound.',
  ),
  jobRetryBackoff: opt<number>(
    'jobs',
    'retry_backoff',
    'float',
    2,
    'Seconds before a failed job is retried the first time; doubled at each further attempt.',
  ),
  jobRetryBackoffMax: opt<number>(
    'jobs',
    'retry_backoff_max',
    'float',
    300,
    'Longest wait, in seconds, before a retry.',
  ),
  jobRetention: opt<number>(
    'jobs',
    'retention_seconds',
    'int',
    604800,
    'Seconds finished (succeeded or failed) jobs are kept for inspection before they are deleted (0: kept).',
  ),
  jobGracefulShutdownTimeout: opt<number>(
    'jobs',
    'graceful_shutdown_timeout',
    'int',
    10,
    'Seconds a stopping worker waits for its running jobs to finish; the rest are given back to be run by ' +
      'another worker (or this one, once it is started again).',
  ),
  computeDatabaseConnection: opt<string>(
    'api_database',
    'connection',
    'string',
    '',
    "Compute service database URL (Nova's API database, which in concord also holds what Nova keeps in " +
      'its cell database: instances, compute nodes, services); defaults to [database] connection.',
  ),
  computePolicyFile: opt<string>(
    'oslo_policy',
    'compute_policy_file',
    'string',
    'compute-policy.yaml',
    "The compute service's policy overrides (YAML or JSON, rule names os_compute_api:...), relative to the " +
      "config directory. A file of its own, so that Nova's rules (admin_api, context_is_admin ...) never " +
      "meet Placement's or Glance's of the same name in policy_file.",
  ),
  defaultAvailabilityZone: opt<string>(
    'DEFAULT',
    'default_availability_zone',
    'string',
    'nova',
    'Availability zone of compute hosts in no aggregate with availability_zone metadata.',
  ),
  internalServiceAvailabilityZone: opt<string>(
    'DEFAULT',
    'internal_service_availability_zone',
    'string',
    'internal',
    'Availability zone of services other than nova-compute (hidden from the availability zone list).',
  ),
  serviceDownTime: opt<number>(
    'DEFAULT',
    'service_down_time',
    'int',
    60,
    "Seconds since a compute service's last heartbeat after which it counts as down.",
  ),
  enableInstancePassword: opt<boolean>(
    'api',
    'enable_instance_password',
    'bool',
    true,
    "Whether the compute API answers a server's admin password (adminPass) to a create, a rebuild, a rescue or an evacuate (before 2.14).",
  ),
  computeMaxLimit: opt<number>(
    'api',
    'max_limit',
    'int',
    1000,
    'Most items a compute list call (flavors, keypairs ...) returns in one page.',
  ),
  host: opt<string>(
    'DEFAULT',
    'host',
    'string',
    '',
    'Name of this compute host (`concord agent compute` without --host): its services row and the host of its ' +
      "hypervisors. Empty: this machine's host name.",
  ),
  reportInterval: opt<number>(
    'DEFAULT',
    'report_interval',
    'int',
    10,
    "Seconds between a compute agent's heartbeats (services.report_count, last_seen_up); keep it well under " +
      'service_down_time.',
  ),
  updateResourcesInterval: opt<number>(
    'DEFAULT',
    'update_resources_interval',
    'int',
    0,
    "Seconds between a compute agent's resource reports (update_available_resource: compute_nodes rows and " +
      'Placement inventories and traits). 0: every 60 seconds; below 0: only at start and on change.',
  ),
  cpuAllocationRatio: opt<number>(
    'DEFAULT',
    'cpu_allocation_ratio',
    'float',
    0,
    'VCPU allocation ratio reported to Placement for every hypervisor. 0 (unset): the ratio already in ' +
      'Placement is kept (an operator may set it there), else initial_cpu_allocation_ratio.',
  ),
  ramAllocationRatio: opt<number>(
    'DEFAULT',
    'ram_allocation_ratio',
    'float',
    0,
    "MEMORY_MB allocation ratio; 0 (unset): Placement's, else initial_ram_allocation_ratio.",
  ),
  diskAllocationRatio: opt<number>(
    'DEFAULT',
    'disk_allocation_ratio',
    'float',
    0,
    "DISK_GB allocation ratio; 0 (unset): Placement's, else initial_disk_allocation_ratio.",
  ),
  initialCpuAllocationRatio: opt<number>(
    'DEFAULT',
    'initial_cpu_allocation_ratio',
    'float',
    4.0,
    'VCPU allocation ratio of a new hypervisor when cpu_allocation_ratio is unset.',
  ),
  initialRamAllocationRatio: opt<number>(
    'DEFAULT',
    'initial_ram_allocation_ratio',
    'float',
    1.0,
    'MEMORY_MB allocation ratio of a new hypervisor when ram_allocation_ratio is unset.',
  ),
  initialDiskAllocationRatio: opt<number>(
    'DEFAULT',
    'initial_disk_allocation_ratio',
    'float',
    1.0,
    'DISK_GB allocation ratio of a new hypervisor when disk_allocation_ratio is unset.',
  ),
  reservedHostCpus: opt<number>(
    'DEFAULT',
    'reserved_host_cpus',
    'int',
    0,
    "VCPUs of each hypervisor kept for the host (Placement's reserved VCPU).",
  ),
  reservedHostMemoryMb: opt<number>(
    'DEFAULT',
    'reserved_host_memory_mb',
    'int',
    512,
    "Megabytes of each hypervisor's memory kept for the host (Placement's reserved MEMORY_MB).",
  ),
  reservedHostDiskMb: opt<number>(
    'DEFAULT',
    'reserved_host_disk_mb',
    'int',
    0,
    "Megabytes of each hypervisor's disk kept for the host (reserved DISK_GB, rounded up to whole gigabytes).",
  ),
  fakeHypervisors: opt<number>(
    'compute',
    'fake_hypervisors',
    'int',
    2,
    'Simulated compute hosts `concord up` runs in-process (compute1, compute2 ...), each a nova-compute service ' +
      'with the fake virt driver and one hypervisor. 0: none (run `concord agent compute` instead).',
  ),
  fakeHypervisorProcesses: opt<number>(
    'compute',
    'fake_hypervisor_processes',
    'int',
    0,
    'Processes `concord up` runs [compute] fake_hypervisors in: 0, in its own; N, in N `concord agent compute ' +
      '--fleet` processes of their own, started, restarted and stopped with it, which share the fleet (and the ' +
      "machine's other cores) and work in the compute database as agents on other machines would.",
  ),
  fakeVcpus: opt<number>('fake_driver', 'vcpus', 'int', 1000, 'VCPUs of each fake hypervisor.'),
  fakeMemoryMb: opt<number>('fake_driver', 'memory_mb', 'int', 800000, 'Megabytes of memory of each fake hypervisor.'),
  fakeLocalGb: opt<number>('fake_driver', 'local_gb', 'int', 600000, 'Gigabytes of disk of each fake hypervisor.'),
  fakeSpawnFailHosts: opt<string[]>(
    'fake_driver',
    'spawn_fail_hosts',
    'list',
    [],
    'Hosts whose fake driver fails every spawn (to see builds rescheduled to other hosts, or fail).',
  ),
  fakeSpawnDelay: opt<number>(
    'fake_driver',
    'spawn_delay',
    'float',
    0,
    'Seconds each fake spawn takes (0: at once), so that builds can be seen, or interrupted, while they spawn.',
  ),
  fakeSnapshotDelay: opt<number>(
    'fake_driver',
    'snapshot_delay',
    'float',
    0,
    "Seconds each fake snapshot takes before its upload (0: at once), so that a server's snapshot can be seen, " +
      'or acted on, while it is under way.',
  ),
  fakeLiveMigrationDelay: opt<number>(
    'fake_driver',
    'live_migration_delay',
    'float',
    0,
    'Seconds each fake live migration runs (0: at once), so that a migration can be seen running, aborted or ' +
      'forced to complete.',
  ),
  quotaInstances: opt<number>(
    'quota',
    'instances',
    'int',
    10,
    'Default instances a project may have (-1: unlimited); os-quota-sets and quota classes override it.',
  ),
  quotaCores: opt<number>(
    'quota',
    'cores',
    'int',
    20,
    'Default instance cores (vCPUs) a project may use (-1: unlimited).',
  ),
  quotaRam: opt<number>(
    'quota',
    'ram',
    'int',
    51200,
    'Default megabytes of instance RAM a project may use (-1: unlimited).',
  ),
  quotaMetadataItems: opt<number>(
    'quota',
    'metadata_items',
    'int',
    128,
    'Default metadata items an instance may have (-1: unlimited).',
  ),
  quotaInjectedFiles: opt<number>(
    'quota',
    'injected_files',
    'int',
    5,
    'Default files a server create may inject (-1: unlimited).',
  ),
  quotaInjectedFileContentBytes: opt<number>(
    'quota',
    'injected_file_content_bytes',
    'int',
    10240,
    'Default bytes an injected file may hold (-1: unlimited).',
  ),
  quotaInjectedFilePathLength: opt<number>(
    'quota',
    'injected_file_path_length',
    'int',
    255,
    "Default length of an injected file's path (-1: unlimited).",
  ),
  quotaKeyPairs: opt<number>('quota', 'key_pairs', 'int', 100, 'Default key pairs a user may have (-1: unlimited).'),
  quotaServerGroups: opt<number>(
    'quota',
    'server_groups',
    'int',
    10,
    'Default server groups a project may have (-1: unlimited).',
  ),
  quotaServerGroupMembers: opt<number>(
    'quota',
    'server_group_members',
    'int',
    10,
    'Default servers a server group may hold (-1: unlimited).',
  ),
  schedulerMaxPlacementResults: opt<number>(
    'scheduler',
    'max_placement_results',
    'int',
    1000,
    'Most allocation candidates the scheduler asks Placement for per server.',
  ),
  schedulerCandidatesReuseSeconds: opt<number>(
    'scheduler',
    'candidates_reuse_seconds',
    'float',
    1.0,
    "How long one Placement answer (allocation candidates, with the hosts' states) serves this " +
      "process's schedulings that ask the same; each takes its claim off the chosen host's free " +
      'resources, and one that finds no host asks Placement again. 0: every scheduling asks Placement.',
  ),
  schedulerMaxAttempts: opt<number>(
    'scheduler',
    'max_attempts',
    'int',
    3,
    "Hosts a server's build is tried on (the first and its alternates) before it goes to ERROR.",
  ),
  schedulerEnabledFilters: opt<string[]>(
    'filter_scheduler',
    'enabled_filters',
    'list',
    [
      'ComputeFilter',
      'AvailabilityZoneFilter',
      'ImagePropertiesFilter',
      'ServerGroupAntiAffinityFilter',
      'ServerGroupAffinityFilter',
    ],
    'Filters a host must pass, in order (of ComputeFilter, AvailabilityZoneFilter, ImagePropertiesFilter, ' +
      'ServerGroupAntiAffinityFilter, ServerGroupAffinityFilter, AggregateInstanceExtraSpecsFilter, ' +
      'SameHostFilter, DifferentHostFilter).',
  ),
  schedulerRamWeightMultiplier: opt<number>(
    'filter_scheduler',
    'ram_weight_multiplier',
    'float',
    1.0,
    'Weight of free RAM: positive spreads servers over hosts, negative packs them.',
  ),
  schedulerCpuWeightMultiplier: opt<number>(
    'filter_scheduler',
    'cpu_weight_multiplier',
    'float',
    1.0,
    'Weight of free vCPUs: positive spreads servers over hosts, negative packs them.',
  ),
  schedulerDiskWeightMultiplier: opt<number>(
    'filter_scheduler',
    'disk_weight_multiplier',
    'float',
    1.0,
    'Weight of free disk: positive spreads servers over hosts, negative packs them.',
  ),
  schedulerSoftAffinityWeightMultiplier: opt<number>(
    'filter_scheduler',
    'soft_affinity_weight_multiplier',
    'float',
    1.0,
    'Weight of the servers of a soft-affinity group already on a host (ServerGroupSoftAffinityWeigher).',
  ),
  schedulerSoftAntiAffinityWeightMultiplier: opt<number>(
    'filter_scheduler',
    'soft_anti_affinity_weight_multiplier',
    'float',
    1.0,
    'Weight against the servers of a soft-anti-affinity group already on a host ' +
      '(ServerGroupSoftAntiAffinityWeigher).',
  ),
  allowResizeToSameHost: opt<boolean>(
    'DEFAULT',
    'allow_resize_to_same_host',
    'bool',
    false,
    "Whether a resize may choose the server's own host (else the scheduler ignores it).",
  ),
  rpcResponseTimeout: opt<number>(
    'DEFAULT',
    'rpc_response_timeout',
    'int',
    60,
    "Seconds the compute API waits where Nova's API waits on an RPC call: for the conductor's answer to a live " +
      "migration's pre-checks before microversion 2.34 (beyond it the request is answered 202 and goes on), and " +
      "for a compute host's answer to a call: a console's output, a server's diagnostics, its uptime (beyond it, " +
      '504; a hypervisor shown from 2.88 without its uptime).',
  ),
  resizeConfirmWindow: opt<number>(
    'DEFAULT',
    'resize_confirm_window',
    'int',
    0,
    'Seconds after which a resize left in VERIFY_RESIZE is confirmed by its destination host; 0: never.',
  ),
  shelvedOffloadTime: opt<number>(
    'DEFAULT',
    'shelved_offload_time',
    'int',
    0,
    'Seconds a shelved server stays on its host before it is offloaded (its guest destroyed, its allocations ' +
      'freed): 0 offloads it as soon as it is shelved; -1 never (only shelveOffload does).',
  ),
  shelvedPollInterval: opt<number>(
    'DEFAULT',
    'shelved_poll_interval',
    'int',
    3600,
    "Seconds between the compute agents' looks for servers shelved longer than shelved_offload_time (when it is " +
      'above 0). 0: every 60 seconds; below 0: never.',
  ),
  nonInheritableImageProperties: opt<string[]>(
    'DEFAULT',
    'non_inheritable_image_properties',
    'list',
    ['cache_in_nova', 'bittorrent'],
    "Image properties a server's snapshot does not inherit (besides the signature and encryption ones, " +
      'which it never does).',
  ),
  debug: opt<boolean>('DEFAULT', 'debug', 'bool', false, 'Log at debug level.'),
  logRequests: opt<boolean>(
    'DEFAULT',
    'log_requests',
    'bool',
    true,
    'Log one line per answered request at INFO (client address, method, path, status, length, seconds, request id), ' +
      "as the OpenStack services' WSGI servers do.",
  ),
  adminPassword: opt<string>(
    'DEFAULT',
    'admin_password',
    'string',
    '',
    'Password `concord up` gives the admin user (set again at every start). Empty: generated on the ' +
      'first start and kept in DATA_DIR/credentials.json (mode 0600).',
  ),
  publicEndpoint: opt<string>(
    'DEFAULT',
    'public_endpoint',
    'string',
    '',
    'Base URL `concord up` advertises in the catalog and clouds.yaml (e.g. https://cloud.example.com). ' +
      'Empty: http://HOST:PORT (the host name of this machine when listening on all addresses).',
  ),
  ...clientOptions('placementClient', 'placement', 'placement'),
  ...clientOptions('imageClient', 'glance', 'image'),
  ...clientOptions('identityClient', 'keystone', 'identity'),
} as const;

type Opts = typeof OPTIONS;
export type Config = { [K in keyof Opts]: Opts[K]['default'] };

function coerce(def: OptionDef<unknown>, raw: unknown): unknown {
  if (raw === undefined || raw === null) return def.default;
  // The environment gives strings; the INI parser also booleans, and arrays or objects for `name[]`
  // keys and dotted section names, which no option takes.
  if (typeof raw !== 'string' && typeof raw !== 'boolean')
    throw new Error(`[${def.section}] ${def.name}: not a single value`);
  const s = String(raw).trim();
  switch (def.type) {
    case 'int': {
      const n = Number.parseInt(s, 10);
      if (!Number.isFinite(n)) throw new Error(`[${def.section}] ${def.name}: not an integer: ${s}`);
      return n;
    }
    case 'float': {
      const n = Number.parseFloat(s);
      if (!Number.isFinite(n)) throw new Error(`[${def.section}] ${def.name}: not a number: ${s}`);
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      return /^(1|true|yes|on)$/i.test(s);
    case 'list':
      return s === ''
        ? []
        : s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
    default:
      return s;
  }
}

/** Loads the configuration: defaults, then the INI file (if any), then environment overrides. */
export function loadConfig(
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Config> = {},
): Config {
  const ini: Record<string, Record<string, unknown>> = file ? parseIni(readFileSync(file, 'utf8')) : {};
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(OPTIONS) as [string, OptionDef<unknown>][]) {
    const envName = `CONCORD_${def.section.toUpperCase()}__${def.name.toUpperCase()}`;
    const raw = env[envName] ?? ini[def.section]?.[def.name];
    out[key] = coerce(def, raw);
  }
  return { ...(out as Config), ...overrides };
}

/** The registry rendered as a commented concord.conf (for etc/ and `concord config sample`). */
export function sampleConfig(): string {
  const bySection = new Map<string, OptionDef<unknown>[]>();
  for (const def of Object.values(OPTIONS) as OptionDef<unknown>[]) {
    bySection.set(def.section, [...(bySection.get(def.section) ?? []), def]);
  }
  const lines: string[] = [];
  for (const [section, defs] of bySection) {
    lines.push(`[${section}]`);
    for (const d of defs) {
      const v = Array.isArray(d.default) ? d.default.join(',') : String(d.default);
      lines.push(`# ${d.help} (${d.type})`, `#${d.name} = ${v}`, '');
    }
  }
  return lines.join('\n');
}
