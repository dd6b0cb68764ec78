// One line per answered request, as the OpenStack services' WSGI servers write it (placement's
// requestlog, eventlet.wsgi): who asked, what, the status, how much was sent and how long it took,
// under the request's id — so the id a client prints (`openstack --debug`) finds the request in the
// log. [DEFAULT] log_requests turns it off (benchmarks of the request path alone).
import type { FastifyInstance } from 'fastify';

export function logAnsweredRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const length = reply.getHeader('content-length') ?? '-';
    const seconds = (reply.elapsedTime / 1000).toFixed(4);
    req.log.info(
      { remote_addr: req.ip, method: req.method, path: req.url, status: reply.statusCode, len: length, time: seconds },
      `${req.ip} "${req.method} ${req.url}" status: ${reply.statusCode} len: ${String(length)} time: ${seconds}`,
    );
  });
}
