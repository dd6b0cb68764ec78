// A compute fleet of real processes: `concord up` API processes (their conductors) and
// `concord agent compute` processes on one compute database, driven over HTTP as the openstack
// clients would, and the invariants that must hold between the servers API and Placement however
// the boots raced or crashed. Needs `npm run build`.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, type Cloud } from './cloud.js';
import { until } from './jobs.js';

export interface AgentProcess {
  host: string;
  pid: number;
  log(): string;
  /** Resolves once the process has exited. */
  exited: Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `concord agent compute --host HOST --nodes N` beside `cloud` (its data dir, its identity). */
export function startAgentProcess(
  cloud: Cloud,
  host: string,
  nodes: number,
  env: Record<string, string> = {},
  dbArgs: string[] = [],
): AgentProcess {
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      '--no-deprecation',
      BIN,
      'agent',
      'compute',
      '--host',
      host,
      '--nodes',
      String(nodes),
      '--data-dir',
      cloud.dataDir,
      ...dbArgs,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CONCORD_LOG_LEVEL: 'warn',
        ...env,
        HOME: cloud.home,
        CONCORD_KEYSTONE_AUTHTOKEN__AUTH_URL: `${cloud.base}/identity`,
        CONCORD_KEYSTONE_AUTHTOKEN__USERNAME: 'nova',
        CONCORD_KEYSTONE_AUTHTOKEN__PASSWORD: cloud.credentials.service_password,
      },
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    host,
    pid: proc.pid!,
    log: () => out,
    exited,
    async kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}

export interface Reply {
  status: number;
  body: any;
}

/** A token-holding client of one API process. */
export class Client {
  constructor(
    readonly base: string,
    readonly token: string,
    readonly project: string,
  ) {}

  static async login(base: string, user: string, password: string, project: string): Promise<Client> {
    const r = await fetch(`${base}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
          scope: { project: { name: project, domain: { id: 'default' } } },
        },
      }),
    });
    if (r.status !== 201) throw new Error(`login of ${user} failed: ${r.status} ${await r.text()}`);
    const body = (await r.json()) as { token: { project: { id: string } } };
    return new Client(base, r.headers.get('x-subject-token')!, body.token.project.id);
  }

  /** The same user and token through another API process. */
  via(base: string): Client {
    return new Client(base, this.token, this.project);
  }

  async call(method: string, path: string, body?: unknown): Promise<Reply> {
    // Paths of the other services are the cloud's own; the rest are compute's.
    const placement = path.startsWith('/placement/');
    const own = placement || path.startsWith('/image/');
    const r = await fetch(`${this.base}${own ? path : `/compute/v2.1${path}`}`, {
      method,
      headers: {
        'x-auth-token': this.token,
        'content-type': 'application/json',
        'openstack-api-version': placement ? 'placement 1.39' : 'compute 2.93',
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }

  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

/** Runs `tasks` with at most `inFlight` at once; their results in order. */
export async function inParallel<T>(count: number, inFlight: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

/** Boots `count` single servers of `flavor` (networks none), spread over `clients` in turn, at
 * most `inFlight` requests at once; their ids. */
export async function bootMany(
  clients: Client[],
  count: number,
  inFlight: number,
  flavor: string,
  image: string,
): Promise<string[]> {
  return inParallel(count, inFlight, async (i) => {
    const body = await clients[i % clients.length]!.ok('POST', '/servers', {
      server: { name: `storm-${i}`, imageRef: image, flavorRef: flavor, networks: 'none' },
    });
    return body.server.id as string;
  });
}

export interface Server {
  id: string;
  status: string;
  tenant_id: string;
  'OS-EXT-SRV-ATTR:hypervisor_hostname': string | null;
  'OS-EXT-STS:task_state': string | null;
  fault?: { message: string };
}

/** Every live server of every project (admin's detail, all_tenants). */
export async function allServers(admin: Client): Promise<Server[]> {
  const out: Server[] = [];
  let marker = '';
  for (;;) {
    const page = (await admin.ok('GET', `/servers/detail?all_tenants=1&limit=1000${marker}`)).servers as Server[];
    out.push(...page);
    if (page.length < 1000) return out;
    marker = `&marker=${page.at(-1)!.id}`;
  }
}

/** Waits until no server of `ids` is in BUILD; the servers. It asks for the BUILD ones only,
 * once a second: listing every server's details all the time would slow the API processes that
 * also run the conductors under test. */
export async function settle(admin: Client, ids: string[], ms: number): Promise<Server[]> {
  const wanted = new Set(ids);
  const deadline = Date.now() + ms;
  for (;;) {
    const building = (
      (await admin.ok('GET', '/servers?all_tenants=1&status=BUILD&limit=1000')).servers as Server[]
    ).filter((s) => wanted.has(s.id));
    if (!building.length) break;
    if (Date.now() > deadline) {
      const states = (await allServers(admin))
        .filter((s) => s.status === 'BUILD')
        .slice(0, 5)
        .map((s) => `${s.id} ${s['OS-EXT-STS:task_state']} on ${s['OS-EXT-SRV-ATTR:hypervisor_hostname']}`);
      throw new Error(`${building.length} server(s) still in BUILD after ${ms} ms: ${states.join(', ')} ...`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return (await allServers(admin)).filter((s) => wanted.has(s.id));
}

/** Seconds of CPU process `pid` has used (user and system), from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are the 14th and 15th fields, in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface Resources {
  [rc: string]: number;
}

/** What must hold between the servers and Placement once every boot has settled: each ACTIVE
 * server holds exactly its flavor's resources on its hypervisor's provider, nothing else holds
 * any (no ERROR, deleted or unknown consumer), and the usages (per provider, per project) are
 * the sums of those allocations. Returns the usages per provider name. */
export async function checkAllocations(admin: Client, servers: Server[], flavor: Resources): Promise<Resources> {
  const providers = (await admin.ok('GET', '/placement/resource_providers')).resource_providers as {
    uuid: string;
    name: string;
  }[];
  const problems: string[] = [];
  const active = new Map(servers.filter((s) => s.status === 'ACTIVE').map((s) => [s.id, s]));
  const seen = new Set<string>();
  const perProject = new Map<string, Resources>();
  const perProvider: Resources = {};
  for (const rp of providers) {
    const allocations = (await admin.ok('GET', `/placement/resource_providers/${rp.uuid}/allocations`))
      .allocations as Record<string, { resources: Resources }>;
    const sum: Resources = {};
    for (const [consumer, { resources }] of Object.entries(allocations)) {
      seen.add(consumer);
      const s = active.get(consumer);
      if (!s) problems.push(`${consumer} holds ${JSON.stringify(resources)} on ${rp.name} but is not ACTIVE`);
      else if (s['OS-EXT-SRV-ATTR:hypervisor_hostname'] !== rp.name)
        problems.push(`${consumer} holds resources on ${rp.name}, runs on ${s['OS-EXT-SRV-ATTR:hypervisor_hostname']}`);
      else if (JSON.stringify(sortKeys(resources)) !== JSON.stringify(sortKeys(flavor)))
        problems.push(`${consumer} holds ${JSON.stringify(resources)} on ${rp.name}`);
      for (const [rc, n] of Object.entries(resources)) sum[rc] = (sum[rc] ?? 0) + n;
      if (s) {
        const p = perProject.get(s.tenant_id) ?? {};
        for (const [rc, n] of Object.entries(resources)) p[rc] = (p[rc] ?? 0) + n;
        perProject.set(s.tenant_id, p);
      }
    }
    const usages = (await admin.ok('GET', `/placement/resource_providers/${rp.uuid}/usages`)).usages as Resources;
    for (const [rc, n] of Object.entries(usages)) {
      if (n !== (sum[rc] ?? 0)) problems.push(`${rp.name} uses ${n} ${rc}, its allocations sum to ${sum[rc] ?? 0}`);
    }
    perProvider[rp.name] = sum.VCPU ?? 0;
  }
  for (const id of active.keys()) if (!seen.has(id)) problems.push(`ACTIVE ${id} holds no allocation`);
  for (const project of new Set(servers.map((s) => s.tenant_id))) {
    // From 1.38 by consumer type: every consumer here is an instance.
    const { INSTANCE, ...others } = (await admin.ok('GET', `/placement/usages?project_id=${project}`)).usages as Record<
      string,
      Resources
    >;
    const { consumer_count: consumers, ...usages } = INSTANCE ?? {};
    if (Object.keys(others).length)
      problems.push(`project ${project} has consumers of ${Object.keys(others).join(', ')}`);
    const want = perProject.get(project) ?? {};
    const count = servers.filter((s) => s.tenant_id === project && s.status === 'ACTIVE').length;
    if ((consumers ?? 0) !== count)
      problems.push(`project ${project} has ${consumers} consumers, ${count} ACTIVE servers`);
    for (const rc of new Set([...Object.keys(usages), ...Object.keys(want)])) {
      if ((usages[rc] ?? 0) !== (want[rc] ?? 0))
        problems.push(`project ${project} uses ${usages[rc]} ${rc}, its ACTIVE servers ${want[rc] ?? 0}`);
    }
  }
  if (problems.length) throw new Error(`allocations inconsistent:\n${problems.slice(0, 20).join('\n')}`);
  return perProvider;
}

const sortKeys = (r: Resources): Resources =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

/** A cloud whose agents run in processes of their own, made ready to boot on: the admin's client,
 * the `vm-tiny` flavor and the test image's id, once Placement lists the agents' `nodes`
 * hypervisors. */
export async function readyToBoot(cloud: Cloud, nodes: number): Promise<{ admin: Client; image: string }> {
  const admin = await Client.login(cloud.base, 'admin', cloud.credentials.admin_password, 'admin');
  await admin.ok('POST', '/flavors', { flavor: { name: 'vm-tiny', id: 'vm-tiny', ram: 1024, vcpus: 1, disk: 1 } });
  const image = (await admin.ok('GET', '/image/v2/images?name=cirros-0.6.2-x86_64-disk')).images[0].id as string;
  await until(
    `${nodes} hypervisors in Placement`,
    async () =>
      (await admin.ok('GET', '/placement/resource_providers?resources=VCPU:1')).resource_providers.length === nodes,
    30000,
  );
  return { admin, image };
}
