// The `concord` command.
// Each command loads only its own modules: `serve placement` starts without identity's code, which
// matters to the suites that start it hundreds of times.
import { Command } from 'commander';
import type { ServeOptions } from './serve.js';
import type { UpOptions } from './up.js';
import type { AgentOptions } from './agent.js';
import type { ExplainOptions } from './explain.js';
import type { ManageOptions } from './manage.js';

const program = new Command('concord')
  .description(
    'concord: one OpenStack-compatible (Zed) control plane for VMs and bare-metal servers.\n' +
      'Services: identity (Keystone v3), placement (Placement 1.0-1.39), image (Glance v2), compute (Nova v2.1, 2.1-2.93).',
  )
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Configuration: concord.conf (INI, OpenStack section names; see etc/concord.conf.example). Every
option can also be set in the environment as CONCORD_<SECTION>__<NAME>, for example
CONCORD_DEFAULT__ADMIN_PASSWORD or CONCORD_KEYSTONE_AUTHTOKEN__AUTH_URL.
Logs: JSON lines (pino) on stdout; CONCORD_LOG_LEVEL=debug|info|warn sets the level,
one line per answered request under its X-OpenStack-Request-ID ([DEFAULT] log_requests = false: none).
Tokens and passwords never appear in them.

Run "concord help <command>" for the options of a command.`,
  );

program
  .command('up')
  .description(
    'run the whole cloud in one process on one port, at DevStack paths: identity at /identity, ' +
      'placement at /placement, image at /image, compute at /compute (API at /compute/v2.1), a service list at /',
  )
  .option('--port <port>', 'TCP port to listen on', '8080')
  .option('--host <host>', 'address to listen on (0.0.0.0: every IPv4 address)', '127.0.0.1')
  .option(
    '--data-dir <dir>',
    'where the cloud keeps its state: databases, token keys, image data, ' +
      'credentials.json, clouds.yaml (reused by the next start)',
    './data',
  )
  .option('--config <file>', 'concord.conf (INI); default: DATA_DIR/concord.conf when it exists')
  .option(
    '--database-url <url>',
    'one database for every service, each in its own tables: ' +
      "postgresql://user@host/db, or a SQLite file; overrides [database] connection and the services' " +
      '[identity_database], [placement_database], [image_database] and [api_database] (compute) connection. ' +
      'Default: those options, ' +
      'else a SQLite file per service in the data dir',
  )
  .addHelpText(
    'after',
    `
On every start: identity is bootstrapped (idempotently): domain Default, roles admin > member >
reader and service, user admin (admin on project admin and on the system), a service user per
service in project service, the catalog (region RegionOne), and user demo (member of project demo);
image registers a public test image (cirros-0.6.2-x86_64-disk); compute runs [compute] fake_hypervisors
(default 2) simulated hypervisors in-process, hosts compute1, compute2 ... (0: none; see \`concord agent compute\`).
The admin password is [DEFAULT] admin_password when set, otherwise generated on the first start and
kept with the other passwords in DATA_DIR/credentials.json (mode 0600); a generated password is shown
once, on a terminal. clouds.yaml (clouds "concord" = admin, "concord-demo" = demo) is written to
DATA_DIR and into ~/.config/openstack/clouds.yaml, so that this works:
  openstack --os-cloud concord token issue
Both are brought up to date at every start (new passwords after a reset, a new port); in your own
clouds.yaml only the clouds concord wrote (marked concord_data_dir) are changed: other clouds and
comments stay, and a cloud named concord that you wrote leaves the file alone.
Ctrl-C (or SIGTERM) stops the server, then closes the databases.`,
  )
  .action(async (opts: UpOptions) => {
    await (await import('./up.js')).up(opts);
  });

program
  .command('serve')
  .description('serve one service at the root path, in the foreground (scale-out, conformance suites, benchmarks)')
  .argument('<service>', 'the service to serve: identity, placement, image or compute')
  .option('--port <port>', 'TCP port to listen on', '8778')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--data-dir <dir>', 'where the service keeps its state (SQLite databases)', './data')
  .option('--config <file>', 'concord.conf (INI); default: DATA_DIR/concord.conf when it exists')
  .option(
    '--database-url <url>',
    "postgresql://user@host/db, or a SQLite file; default: the service's " +
      '[placement_database], [identity_database], [image_database] or [api_database] (compute) connection, else ' +
      '[database] connection, ' +
      'else SQLite in the data dir',
  )
  .option(
    '--auth-strategy <strategy>',
    'keystone: validate X-Auth-Token with the identity service at ' +
      '[keystone_authtoken] auth_url, as its service user (username, password, project_name); noauth2: ' +
      'trust the token "USER[:PROJECT]" (upstream\'s test mode; loopback addresses only). Default: ' +
      '[api] auth_strategy, else keystone when auth_url is set (without it, serve refuses to start)',
  )
  .option(
    '--insecure-noauth-any-host',
    'let noauth2 serve on a non-loopback --host, where anyone who can ' +
      'connect is whoever their token says, admin included',
  )
  .addHelpText(
    'after',
    `
Scale-out: \`serve identity\` bootstraps admin, demo and the services' users (passwords in
DATA_DIR/credentials.json) and catalogs itself; run the other services with [keystone_authtoken]
auth_url pointing at it (username placement, glance or nova, password service_password from that file),
and catalog them with \`openstack endpoint create\`. --auth-strategy does not apply to identity.

Environment (upstream Placement's functional-test fixtures): PLACEMENT_POLICY_MODE=default|legacy|
secure|open selects [oslo_policy] settings; PLACEMENT_CORS_ALLOWED_ORIGIN, PLACEMENT_CORS_ALLOW_HEADERS
set [cors].`,
  )
  .action(async (service: string, opts: ServeOptions) => {
    const { SERVABLE } = await import('./services.js');
    const { servable, serve } = await import('./serve.js');
    const module = servable(service);
    if (!module)
      return program.error(`unknown service: ${service} (available: ${SERVABLE.map((m) => m.type).join(', ')})`);
    await serve(module, opts);
  });

const agent = program
  .command('agent')
  .description('run a worker of a service in its own process (on this machine or another)');

agent
  .command('compute')
  .description(
    "a nova-compute service: registers its host's services row and heartbeats, reports its " +
      'hypervisors to Placement, and runs the compute jobs aimed at its host',
  )
  .option('--host <host>', "the compute host's name (default: [DEFAULT] host, else this machine's name)")
  .option('--driver <driver>', 'virt driver: fake (simulated hypervisors, [fake_driver] options)', 'fake')
  .option('--nodes <n>', 'hypervisors on this host (fake driver: HOST alone, or HOST-node1 ... HOST-nodeN)', '1')
  .option(
    '--fleet <first-last>',
    "instead of one host: concord up's simulated hosts computeFIRST ... computeLAST (fake driver, one " +
      'hypervisor each), as [compute] fake_hypervisor_processes runs them',
  )
  .option(
    '--data-dir <dir>',
    'data directory: concord.conf and, by default, the compute database ' +
      '(compute.sqlite, shared with `concord up` when it is the same directory)',
    './data',
  )
  .option('--config <file>', 'concord.conf (INI); default: DATA_DIR/concord.conf when it exists')
  .option(
    '--database-url <url>',
    'the compute database (postgresql://user@host/db or a SQLite file); default: ' +
      '[api_database] connection, else [database] connection, else DATA_DIR/compute.sqlite',
  )
  .addHelpText(
    'after',
    `
Placement and the image service are found in the catalog of the service user of [keystone_authtoken]
(auth_url, username, password, project_name: nova's, whose password \`concord up\` keeps in
DATA_DIR/credentials.json as service_password); without auth_url, that of the \`concord up\` whose
data directory DATA_DIR is; [placement] and [glance] options choose the endpoints.
[DEFAULT] report_interval sets the heartbeat, update_resources_interval the resource report.
Ctrl-C (or SIGTERM) stops taking jobs, gives back those not finished, and exits.`,
  )
  .action(async (opts: AgentOptions) => {
    await (await import('./agent.js')).computeAgent(opts);
  });

program
  .command('explain')
  .description(
    'explain from the compute database why a server is where it is, or in ERROR: its fault, what ' +
      "Placement offered the scheduler for which query, which hosts each filter removed and why, its actions' events",
  )
  .argument('<kind>', 'what to explain: server')
  .argument('<id>', "the server's id")
  .option('--data-dir <dir>', 'the data directory of the cloud (its SQLite databases)', './data')
  .option('--config <file>', 'concord.conf (INI); default: DATA_DIR/concord.conf when it exists')
  .option(
    '--database-url <url>',
    'the compute database; default: [api_database] connection, else [database] ' +
      'connection, else SQLite in the data dir',
  )
  .action(async (kind: string, id: string, opts: ExplainOptions) => {
    await (await import('./explain.js')).explain(kind, id, opts);
  });

const manage = program
  .command('manage')
  .description("the operator's commands, as nova-manage spells them (concord manage placement audit ...)")
  .option(
    '--data-dir <dir>',
    "the cloud's data directory: concord.conf, the compute database, the service user",
    './data',
  )
  .option('--config <file>', 'concord.conf (INI); default: DATA_DIR/concord.conf when it exists')
  .option(
    '--database-url <url>',
    'the compute database; default: [api_database] connection, else [database] connection, else SQLite in the data dir',
  )
  .addHelpText(
    'after',
    `
The commands call Placement as nova's service user: [keystone_authtoken] auth_url, username and
password when set, else those of the \`concord up\` whose data directory --data-dir is.`,
  );
const managePlacement = manage.command('placement').description('Placement and the compute database, kept in step');

managePlacement
  .command('sync_aggregates')
  .description(
    'put the resource providers of every host in a host aggregate into the Placement aggregate of the same ' +
      'uuid (what the API mirrors as it goes, for when Placement missed a change). Exit: 0 done, 2 Placement ' +
      'error, 3 a provider update failed, 5 a host without compute nodes, 6 a provider missing in Placement',
  )
  .option('--verbose', 'say what was done for each host and provider')
  .action(async (_opts: unknown, cmd: Command) => {
    await (await import('./manage.js')).placementSyncAggregates(cmd.optsWithGlobals<ManageOptions>());
  });

managePlacement
  .command('audit')
  .description(
    "find allocations of compute resources that no instance on the provider's compute node accounts for " +
      '(orphans), and with --delete remove them. Exit: 0 none found, 3 found, 4 all found deleted, ' +
      '127 no such resource provider',
  )
  .option('--verbose', 'say which providers were checked')
  .option('--delete', 'delete the orphaned allocations found')
  .option('--resource_provider <uuid>', 'audit this resource provider only')
  .action(async (_opts: unknown, cmd: Command) => {
    await (await import('./manage.js')).placementAudit(cmd.optsWithGlobals<ManageOptions>());
  });

try {
  await program.parseAsync();
} catch (err) {
  // Configuration mistakes and a busy port are the user's to fix: say what, not where in the code.
  process.stderr.write(`concord: ${(err as Error).message}\n`);
  process.exit(1);
}
