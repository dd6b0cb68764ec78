// The os-migrateLive action of POST /servers/{id}/action (nova/api/openstack/compute/
// migrate_server.py _migrate_live): the body per microversion (disk_over_commit until 2.24,
// block_migration "auto" from 2.25, force from 2.30 until 2.67), then the live migration asked of
// the conductor. Before 2.34 the answer waits for the conductor's pre-checks, whose refusal is a
// 400 with its reason (and the server as it was); from 2.34 it is 202 at once and a refusal shows
// on the migration (error) and the action's event.
import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { validate } from '../http.js';
import { parseBoolean } from '../objects/flavor.js';
import { conductorVerdict, requestLiveMigration } from '../objects/live_migration.js';
import { anyOf, boolean, BOOLEAN_VALUES } from '../schemas/parameter_types.js';
import { callerOf, findServer, schemaFor } from './servers.js';

/** Nova's fqdn, or null. */
const host = anyOf<string | null>(['string', 'null'], { minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' });
const blockMigrationOrAuto = anyOf<boolean | string>(['boolean', 'string'], { enum: [...BOOLEAN_VALUES, 'auto'] });

const body = (fields: Record<string, TSchema>) =>
  Type.Object(
    { 'os-migrateLive': Type.Object(fields, { additionalProperties: false }) },
    { additionalProperties: false },
  );

const v20 = body({ block_migration: boolean, disk_over_commit: boolean, host });
const v225 = body({ block_migration: blockMigrationOrAuto, host });
const v230 = body({ block_migration: blockMigrationOrAuto, host, force: Type.Optional(boolean) });

/** Newest first; 2.68 took force away again. */
const SCHEMAS: [string, TSchema][] = [
  ['2.68', v225],
  ['2.30', v230],
  ['2.25', v225],
  ['2.0', v20],
];

interface MigrateLive {
  block_migration: boolean | string;
  host: string | null;
  force?: boolean | string;
}

export function liveMigrationActions(compute: Compute, req: FastifyRequest) {
  return {
    'os-migrateLive': async (raw: unknown) => {
      const r = (validate(schemaFor(req, SCHEMAS), raw) as { 'os-migrateLive': MigrateLive })['os-migrateLive'];
      const instance = await findServer(compute, req, 'os_compute_api:os-migrate-server:migrate_live');
      // Before 2.30 a named host is taken as it is; from it only when forced.
      let force = r.host !== null;
      if (req.version.gte('2.30')) {
        force = parseBoolean(r.force ?? false) === true;
        if (force && !r.host) throw badRequest("Can't force to a non-provided destination");
      }
      const blockMigration =
        req.version.gte('2.25') && r.block_migration === 'auto' ? null : parseBoolean(r.block_migration);
      const waits = !req.version.gte('2.34');
      await requestLiveMigration(compute.db, compute.jobs, instance, callerOf(req), {
        host: r.host,
        force,
        blockMigration,
        waits,
      });
      if (!waits) return;
      const verdict = await conductorVerdict(
        compute.db,
        instance.uuid,
        req.requestId,
        compute.config.rpcResponseTimeout * 1000,
      );
      if (verdict === 'pending') {
        req.log.warn({ instance: instance.uuid }, 'live migration: no answer from the conductor yet, going on');
      } else if (!verdict.passed) throw badRequest(verdict.reason);
    },
  };
}
