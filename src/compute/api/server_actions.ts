// POST /servers/{id}/action: reboot, os-stop, os-start, pause, unpause, suspend, resume, rebuild,
// changePassword, lock and unlock (nova/api/openstack/compute/servers.py, pause_server.py,
// suspend_server.py, admin_password.py, lock_server.py): each answered 202 once the instance's
// host has its job (rebuild with the server's body). Resize, cold migration, confirm and revert
// are in server_resize.ts, createImage in server_images.ts, shelve and unshelve in server_shelve.ts,
// os-migrateLive in server_live_migration.ts, os-getConsoleOutput in server_console.ts, rescue and
// unrescue in server_rescue.ts, evacuate in server_evacuate.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { InvalidName } from '../exceptions.js';
import { authorize, dispatchAction, isAdmin, validate } from '../http.js';
import { getInstance } from '../objects/instance.js';
import { checkImage } from '../objects/instance_create.js';
import { autoDiskConfigFor, diskConfigOf } from '../objects/instance_disk_config.js';
import { POWER_ACTIONS, requestPowerAction, requestRebuild, setLocked } from '../objects/instance_lifecycle.js';
import { isValidName, NAME_RULE } from '../objects/text.js';
import { DESCRIPTION_PATTERN } from '../schemas/parameter_types.js';
import * as schema from '../schemas/servers.js';
import { serverAdminActions } from './server_admin_actions.js';
import { bootImage, callerOf, detailOf, findServer, randomPassword, schemaFor } from './servers.js';
import { resizeActions } from './server_resize.js';
import { imageActions } from './server_images.js';
import { shelveActions } from './server_shelve.js';
import { liveMigrationActions } from './server_live_migration.js';
import { consoleActions } from './server_console.js';
import { rescueActions } from './server_rescue.js';
import { evacuateActions } from './server_evacuate.js';
import { Action } from '../objects/instance_action.js';
import { rejectVtpm } from '../objects/vtpm.js';

const rebootSchema = Type.Object(
  {
    reboot: Type.Object(
      {
        type: Type.Unsafe<string>({ type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const lockSchema = Type.Object(
  {
    lock: Type.Union([
      Type.Null(),
      Type.Object(
        {
          locked_reason: Type.Optional(Type.String({ minLength: 0, maxLength: 255, pattern: DESCRIPTION_PATTERN })),
        },
        { additionalProperties: false },
      ),
    ]),
  },
  { additionalProperties: false },
);

// Nova's admin_password parameter: any string.
const changePasswordSchema = Type.Object(
  {
    changePassword: Type.Object({ adminPass: Type.String() }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

type PowerName = keyof typeof POWER_ACTIONS;

async function power(
  compute: Compute,
  req: FastifyRequest,
  rule: string,
  api: string,
  name: PowerName,
  extra: { type?: 'SOFT' | 'HARD' } = {},
) {
  const instance = await findServer(compute, req, rule);
  await requestPowerAction(compute.db, compute.jobs, instance, callerOf(req), api, POWER_ACTIONS[name], extra);
}

async function rebuild(compute: Compute, req: FastifyRequest, reply: FastifyReply, body: unknown) {
  const { rebuild: r } = validate(schemaFor(req, schema.REBUILD), body) as { rebuild: schema.RebuildServer };
  const instance = await findServer(compute, req, 'os_compute_api:servers:rebuild');
  if (r.name !== undefined && !isValidName(r.name)) throw new InvalidName(NAME_RULE);
  await rejectVtpm(compute.db, instance, Action.REBUILD);
  const image = await bootImage(compute, req, r.imageRef, 'Cannot find image for rebuild');
  const autoDiskConfig = autoDiskConfigFor(diskConfigOf(r['OS-DCF:diskConfig']), image);
  checkImage({ memory_mb: instance.memory_mb ?? 0, root_gb: instance.root_gb ?? 0 }, image);
  let keyData: string | null | undefined;
  if (r.key_name) {
    const kp = await compute.db
      .selectFrom('key_pairs')
      .select('public_key')
      .where('user_id', '=', instance.user_id)
      .where('name', '=', r.key_name)
      .executeTakeFirst();
    if (!kp) throw badRequest('Invalid key_name provided.');
    keyData = kp.public_key;
  } else if (r.key_name === null) keyData = null;
  await requestRebuild(compute.db, compute.jobs, instance, callerOf(req), {
    image,
    values: {
      ...(r.name !== undefined ? { display_name: r.name } : {}),
      ...(r.description !== undefined ? { display_description: r.description } : {}),
      ...(r.accessIPv4 !== undefined ? { access_ip_v4: r.accessIPv4 } : {}),
      ...(r.accessIPv6 !== undefined ? { access_ip_v6: r.accessIPv6 } : {}),
      ...(keyData !== undefined ? { key_name: r.key_name ?? null, key_data: keyData } : {}),
      ...(r.user_data !== undefined ? { user_data: r.user_data } : {}),
      ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
      // Not asked: the new image's default, as Nova's rebuild inherits it.
      auto_disk_config: autoDiskConfig ? 1 : 0,
    },
    ...(r.metadata ? { metadata: r.metadata } : {}),
  });
  const rebuilt = await getInstance(compute.db, instance.uuid, { projectId: null });
  const view = await detailOf(compute, req, rebuilt, 'rebuild');
  const adminPass = compute.config.enableInstancePassword ? { adminPass: r.adminPass ?? randomPassword() } : {};
  return sendJson(reply, 202, { server: { ...view, ...adminPass } });
}

async function action(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  let answered: FastifyReply | undefined;
  const result = await dispatchAction(req, {
    ...resizeActions(compute, req, reply),
    ...imageActions(compute, req, reply),
    ...shelveActions(compute, req),
    ...liveMigrationActions(compute, req),
    ...consoleActions(compute, req, reply),
    ...rescueActions(compute, req, reply),
    ...evacuateActions(compute, req, reply),
    ...serverAdminActions(compute, req),
    rebuild: async (body) => {
      answered = await rebuild(compute, req, reply, body);
    },
    reboot: async (body) => {
      const type = validate(rebootSchema, body).reboot.type.toUpperCase() as 'SOFT' | 'HARD';
      await power(
        compute,
        req,
        'os_compute_api:servers:reboot',
        'reboot',
        type === 'HARD' ? 'hardReboot' : 'softReboot',
        { type },
      );
    },
    'os-stop': () => power(compute, req, 'os_compute_api:servers:stop', 'stop', 'stop'),
    'os-start': () => power(compute, req, 'os_compute_api:servers:start', 'start', 'start'),
    pause: () => power(compute, req, 'os_compute_api:os-pause-server:pause', 'pause', 'pause'),
    unpause: () => power(compute, req, 'os_compute_api:os-pause-server:unpause', 'unpause', 'unpause'),
    suspend: () => power(compute, req, 'os_compute_api:os-suspend-server:suspend', 'suspend', 'suspend'),
    resume: () => power(compute, req, 'os_compute_api:os-suspend-server:resume', 'resume', 'resume'),
    changePassword: async (body) => {
      const { adminPass } = validate(changePasswordSchema, body).changePassword;
      const instance = await findServer(compute, req, 'os_compute_api:os-admin-password');
      await requestPowerAction(
        compute.db,
        compute.jobs,
        instance,
        callerOf(req),
        'changePassword',
        POWER_ACTIONS.changePassword,
        {},
        { admin_password: adminPass },
      );
    },
    lock: async (body) => {
      const reason = req.version.gte('2.73') ? (validate(lockSchema, body).lock?.locked_reason ?? null) : null;
      const instance = await findServer(compute, req, 'os_compute_api:os-lock-server:lock');
      await setLocked(compute.db, instance, callerOf(req), true, reason);
    },
    unlock: async () => {
      const instance = await findServer(compute, req, 'os_compute_api:os-lock-server:unlock');
      // An administrator's lock is undone by whom the override rule allows.
      if (instance.locked_by === 'admin' && !isAdmin(req)) {
        authorize(compute, req, 'os_compute_api:os-lock-server:unlock:unlock_override', {
          project_id: instance.project_id,
        });
      }
      await setLocked(compute.db, instance, callerOf(req), false, null);
    },
  });
  return answered ?? (result as FastifyReply | undefined) ?? sendEmpty(reply, 202);
}

export function serverActionRoutes(compute: Compute): RouteTable {
  return { '/servers/:server_id/action': { POST: (req, reply) => action(compute, req, reply) } };
}
