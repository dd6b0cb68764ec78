// The os-getConsoleOutput action of POST /servers/{id}/action
// (nova/api/openstack/compute/console_output.py): the last `length` lines of the server's console,
// asked of its compute host, which the API waits for (objects/instance_console.ts). 200
// {"output"}; 409 while the server has no host or its host's service is down; 404 for a server
// gone meanwhile; 504 when the host does not answer in time, 502 when it fails to.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { validate } from '../http.js';
import { getConsoleOutput } from '../objects/instance_console.js';
import { anyOf } from '../schemas/parameter_types.js';
import { findServer } from './servers.js';

// Nova's schema: an integer, or a string of digits, of at least -1 (which means every line).
const consoleOutputSchema = Type.Object(
  {
    'os-getConsoleOutput': Type.Object(
      {
        length: Type.Optional(
          anyOf<number | string | null>(['integer', 'string', 'null'], { pattern: '^-?[0-9]+$', minimum: -1 }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** What a console may hold that Nova's API never passes on: control characters but tab and
 * newline. */
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const UNPRINTABLE = /[\x00-\x08\x0b-\x1f]/g;

export function consoleActions(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return {
    'os-getConsoleOutput': async (body: unknown) => {
      const { length } = validate(consoleOutputSchema, body)['os-getConsoleOutput'];
      const instance = await findServer(compute, req, 'os_compute_api:os-console-output');
      const output = await getConsoleOutput(
        compute.db,
        compute.jobs,
        compute.config,
        instance,
        length === undefined || length === null ? null : Number(length),
      );
      return sendJson(reply, 200, { output: output.replace(UNPRINTABLE, '') });
    },
  };
}
