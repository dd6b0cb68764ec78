// The server actions beyond the power ones (POST /servers/{id}/action): os-resetState
// (admin_actions.py), restore and forceDelete (deferred_delete.py),
// os-getConsoleOutput (console_output.py) — which concord's agents cannot answer: no virt driver
// here keeps a console log, so it is Nova's answer for a driver without one, 501.
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { HttpError } from '../../common/http/errors.js';
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

const consoleOutputSchema = Type.Object(
  {
    'os-getConsoleOutput': Type.Object(
      {
        length: Type.Optional(
          Type.Union([Type.Integer({ minimum: -1 }), Type.String({ pattern: '^-?[0-9]+$' }), Type.Null()]),
        ),
      },
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
    'os-getConsoleOutput': async (body) => {
      validate(consoleOutputSchema, body);
      await findServer(compute, req, 'os_compute_api:os-console-output');
      throw new HttpError(501, 'The requested functionality is not supported.');
    },
  };
}
