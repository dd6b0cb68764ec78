// Resource classes: standard ones (VCPU, MEMORY_MB ...) and the CUSTOM_* ones bare-metal nodes
// report (CUSTOM_GOLD).
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import { seg } from './query.js';

export class ResourceClasses {
  constructor(private readonly api: Adapter) {}

  async list(call: Call): Promise<string[]> {
    const body = await this.api.json<{ resource_classes: { name: string }[] }>(call, 'GET', '/resource_classes');
    return body.resource_classes.map((rc) => rc.name);
  }

  /** Creates the custom class unless it exists (PUT, 1.7): safe to repeat, unlike POST. */
  async ensure(call: Call, name: string): Promise<void> {
    await this.api.request(call, 'PUT', `/resource_classes/${seg(name)}`);
  }
}
