// A compute agent (nova-compute): one or more hosts, each with its virt driver, served by one job
// worker. `concord agent compute` runs one host; `concord up` runs its [compute] fake_hypervisors
// in-process as one agent, so that a thousand simulated hosts cost one worker, one claim loop and
// two periodic tasks (a heartbeat of every host in one statement, one resource report over all)
// rather than a thousand of each.
//
// On start it registers each host's services row (nova-compute, topic compute), cleans up after
// the servers evacuated from its hosts while it was down, reports its resources once, then claims
// the jobs aimed at its hosts: the compute manager's (spawn, delete, reboot ...;
// src/compute/manager) and set_host_enabled (the API enabled or disabled a service).
import type { Logger } from 'pino';
import type { Config } from '../../common/config.js';
import type { Database } from '../../common/db/index.js';
import { PermanentJobError, Worker, type Job, type JobHandler, type JobQueue } from '../../common/jobs/index.js';
import type { ImageClient, PlacementClient } from '../../common/clients/index.js';
import type { ComputeDB } from '../db/schema.js';
import { offloadShelvedInstances } from '../objects/instance_shelve.js';
import { registerServices, reportState, SET_HOST_ENABLED } from '../objects/service.js';
import { ResourceTracker, type TrackedHost } from './resource_tracker.js';
import { destroyEvacuatedInstances, managerHandlers, type ManagerEnv } from '../manager/index.js';

/** What the compute manager's handlers are given for one host. */
export type HostEnv = ManagerEnv;

export interface AgentOptions {
  database: Database<ComputeDB>;
  jobs: JobQueue;
  config: Config;
  log: Logger;
  clients: { placement: PlacementClient; image: ImageClient };
  hosts: TrackedHost[];
}

/** Seconds between the runs of a periodic task of Nova's whose spacing is `v`: its default 60
 * when 0; none when negative. */
const spacing = (v: number): number | null => (v < 0 ? null : v === 0 ? 60 : v);

export class ComputeAgent {
  readonly tracker: ResourceTracker;
  private readonly worker: Worker;
  private readonly hosts: string[];
  private readonly envs: Map<string, HostEnv>;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: AgentOptions) {
    if (!opts.hosts.length) throw new Error('a compute agent needs at least one host');
    this.hosts = opts.hosts.map((h) => h.host);
    const { config, log } = opts;
    this.tracker = new ResourceTracker({
      db: opts.database.db,
      placement: opts.clients.placement,
      config,
      log,
      hosts: opts.hosts,
    });
    this.envs = new Map(opts.hosts.map((h) => [h.host, this.hostEnv(h)]));
    const byHost = new Map([...this.envs].map(([host, env]) => [host, managerHandlers(env)]));
    const kinds = new Set([...byHost.values()].flatMap((handlers) => Object.keys(handlers)));
    // One worker for every host: each job goes to the handler of the host it is aimed at.
    const handlers: Record<string, JobHandler> = {
      [SET_HOST_ENABLED]: (job) => this.tracker.update([this.targetOf(job)]),
    };
    for (const kind of kinds) {
      handlers[kind] = (job) => {
        const handler = byHost.get(this.targetOf(job))?.[kind];
        if (!handler) throw new PermanentJobError(`no ${kind} handler for host ${job.target}`);
        return handler(job);
      };
    }
    // Periodic tasks are named after the hosts they cover: every agent runs its own.
    const name = this.hosts.length === 1 ? this.hosts[0]! : `${this.hosts[0]}+${this.hosts.length - 1}`;
    this.worker = new Worker(opts.jobs, { handlers, targets: this.hosts, log }).periodic(
      `report_state:${name}`,
      Math.max(1, config.reportInterval),
      () => this.heartbeat(),
    );
    // Resource reports at [DEFAULT] update_resources_interval (none: only at start and on change).
    const interval = spacing(config.updateResourcesInterval);
    if (interval !== null) {
      this.worker.periodic(`update_available_resource:${name}`, interval, () => this.tracker.update());
    }
    // Servers shelved longer than [DEFAULT] shelved_offload_time are offloaded (Nova's
    // _poll_shelved_instances); at 0 the shelve offloads at once, below 0 never.
    const poll = spacing(config.shelvedPollInterval);
    if (config.shelvedOffloadTime > 0 && poll !== null) {
      this.worker.periodic(`poll_shelved_instances:${name}`, poll, async () => {
        await offloadShelvedInstances(opts.database.db, opts.jobs, this.hosts, config.shelvedOffloadTime);
      });
    }
  }

  private targetOf(job: Job): string {
    if (job.target === null || !this.hosts.includes(job.target)) {
      throw new PermanentJobError(`job ${job.kind} ${job.id} is not aimed at a host of this agent`);
    }
    return job.target;
  }

  private hostEnv(h: TrackedHost): HostEnv {
    const { database, jobs, config, clients, log } = this.opts;
    return {
      database,
      jobs,
      config,
      clients,
      host: h.host,
      driver: h.driver,
      log: log.child({ host: h.host }),
      reportResources: () => this.tracker.update([h.host]),
    };
  }

  /** The resources of `host` (default: every host) reported now. */
  reportResources(host?: string): Promise<void> {
    return this.tracker.update(host === undefined ? undefined : [host]);
  }

  private async heartbeat(): Promise<void> {
    const gone = await reportState(this.opts.database.db, this.hosts);
    for (const host of gone) {
      this.opts.log.error(
        { host },
        'the services row of this nova-compute service is gone (deleted through the API): ' +
          'stop the agent if it should be deleted, or restart it to register again',
      );
    }
  }

  /** Registers the services, reports once, then takes jobs; resolves once it does. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await registerServices(this.opts.database.db, this.hosts);
      // Before its hosts show up again: none still runs a guest that runs elsewhere now.
      try {
        await destroyEvacuatedInstances(this.opts.database.db, this.envs);
      } catch (err) {
        // Placement may not answer yet: the evacuations stay as they are, for the next start.
        this.opts.log.error({ err }, 'the cleanup of the servers evacuated from this host failed');
      }
      await this.heartbeat();
      try {
        await this.tracker.update();
      } catch (err) {
        // Placement may not answer yet: the next periodic report tries again.
        this.opts.log.error({ err }, 'the first resource report failed');
      }
      if (!this.stopped) this.worker.start();
      this.opts.log.info({ hosts: this.hosts.length, first: this.hosts[0] }, 'compute agent started');
    })();
    return this.starting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => {
      /* logged where it failed */
    });
    await this.worker.stop();
  }
}
