// Keystone v3 as Nova uses it: projects looked up (quotas and flavor access name projects by id,
// and Nova checks that they exist). Token validation is keystonemiddleware's business
// (common/http/keystone.ts), over the same session.
import { Adapter, type AdapterOptions } from './adapter.js';
import type { Call } from './call.js';
import type { Session } from './session.js';

export interface Project {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
  parent_id: string | null;
  is_domain: boolean;
  tags?: string[];
  options?: Record<string, unknown>;
}

const seg = encodeURIComponent;

export class IdentityClient {
  readonly api: Adapter;

  constructor(session: Session, opts: Partial<AdapterOptions> = {}) {
    this.api = new Adapter(session, { serviceType: 'identity', ...opts });
  }

  async showProject(call: Call, id: string): Promise<Project> {
    return (await this.api.json<{ project: Project }>(call, 'GET', `/v3/projects/${seg(id)}`)).project;
  }

  async listProjects(
    call: Call,
    filters: { name?: string; domain_id?: string; enabled?: boolean } = {},
  ): Promise<Project[]> {
    const params = Object.entries(filters)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]);
    const query = params.length ? `?${new URLSearchParams(params)}` : '';
    return (await this.api.json<{ projects: Project[] }>(call, 'GET', `/v3/projects${query}`)).projects;
  }
}
