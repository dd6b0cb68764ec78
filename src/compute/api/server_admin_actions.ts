// The server actions beyond the power ones (POST /servers/{id}/action): os-resetState
// (admin_actions.py), restore and forceDelete (deferred_delete.py).
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Compute } from '../context.js';
import type { ActionHandler } from '../http.js';
import { validate } from '../http.js';
import { resetState, restoreInstance, RESET_STATES } from '../objects/instance_admin.js';
import { callerOf, deleteServer, findServer } from './servers.js';

const resetStateSchema = Type.Object(
  {
    'os-resetState': Type.Object(
      { state: Type.Unsafe<keyof typeof RESET_STATES>({ type: 'string', enum: Object.keys(RESET_STATES) }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export function serverAdminActions(compute: Compute, req: FastifyRequest): Record<string, ActionHandler> {
  return {
    'os-resetState': async (body) => {
      const { state } = validate(resetStateSchema, body)['os-resetState'];
      const instance = await findServer(compute, req, 'os_compute_api:os-admin-actions:reset_state');
      await resetState(compute.db, instance, callerOf(req), state);
    },
    restore: async () => {
      restoreInstance(await findServer(compute, req, 'os_compute_api:os-deferred-delete:restore'));
    },
    forceDelete: async () => {
      await deleteServer(compute, req, await findServer(compute, req, 'os_compute_api:os-deferred-delete:force'));
    },
  };
}
