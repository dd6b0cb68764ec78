// POST /servers/{id}/action: reboot, os-stop, os-start, pause, unpause, suspend, resume, lock and
// unlock (nova/api/openstack/compute/servers.py, pause_server.py, suspend_server.py,
// lock_server.py): each answered 202 once the instance's host has its job.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { sendEmpty } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { authorize, dispatchAction, isAdmin, validate } from '../http.js';
import { POWER_ACTIONS, requestPowerAction, setLocked } from '../objects/instance_lifecycle.js';
import { DESCRIPTION_PATTERN } from '../schemas/parameter_types.js';
import { callerOf, findServer } from './servers.js';

const rebootSchema = Type.Object({
  reboot: Type.Object({
    type: Type.Unsafe<string>({ type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] }),
  }, { additionalProperties: false }),
}, { additionalProperties: false });

const lockSchema = Type.Object({
  lock: Type.Union([Type.Null(), Type.Object({
    locked_reason: Type.Optional(Type.String({ minLength: 0, maxLength: 255, pattern: DESCRIPTION_PATTERN })),
  }, { additionalProperties: false })]),
}, { additionalProperties: false });

type PowerName = keyof typeof POWER_ACTIONS;

async function power(compute: Compute, req: FastifyRequest, rule: string, api: string, name: PowerName,
  extra: { type?: 'SOFT' | 'HARD' } = {}) {
  const instance = await findServer(compute, req, rule);
  await requestPowerAction(compute.db, compute.jobs, instance, callerOf(req), api, POWER_ACTIONS[name], extra);
}

async function action(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  await dispatchAction(req, {
    reboot: async (body) => {
      const type = validate(rebootSchema, body).reboot.type.toUpperCase() as 'SOFT' | 'HARD';
      await power(compute, req, 'os_compute_api:servers:reboot', 'reboot', type === 'HARD' ? 'hardReboot' : 'softReboot', { type });
    },
    'os-stop': () => power(compute, req, 'os_compute_api:servers:stop', 'stop', 'stop'),
    'os-start': () => power(compute, req, 'os_compute_api:servers:start', 'start', 'start'),
    pause: () => power(compute, req, 'os_compute_api:os-pause-server:pause', 'pause', 'pause'),
    unpause: () => power(compute, req, 'os_compute_api:os-pause-server:unpause', 'unpause', 'unpause'),
    suspend: () => power(compute, req, 'os_compute_api:os-suspend-server:suspend', 'suspend', 'suspend'),
    resume: () => power(compute, req, 'os_compute_api:os-suspend-server:resume', 'resume', 'resume'),
    lock: async (body) => {
      const reason = req.version.gte('2.73') ? validate(lockSchema, body).lock?.locked_reason ?? null : null;
      const instance = await findServer(compute, req, 'os_compute_api:os-lock-server:lock');
      await setLocked(compute.db, instance, callerOf(req), true, reason);
    },
    unlock: async () => {
      const instance = await findServer(compute, req, 'os_compute_api:os-lock-server:unlock');
      // An administrator's lock is undone by whom the override rule allows.
      if (instance.locked_by === 'admin' && !isAdmin(req)) {
        authorize(compute, req, 'os_compute_api:os-lock-server:unlock:unlock_override', { project_id: instance.project_id });
      }
      await setLocked(compute.db, instance, callerOf(req), false, null);
    },
  });
  return sendEmpty(reply, 202);
}

export function serverActionRoutes(compute: Compute): RouteTable {
  return { '/servers/:server_id/action': { POST: (req, reply) => action(compute, req, reply) } };
}
