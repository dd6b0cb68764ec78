// Every OpenStack error body format the clients meet, read into code, title and detail.
import { expect, it } from 'vitest';
import { parseErrorBody } from '../../../src/common/clients/index.js';

it("reads each service's error body", () => {
  const cases: [string, string, ReturnType<typeof parseErrorBody>][] = [
    [
      'application/json',
      JSON.stringify({
        errors: [
          {
            status: 409,
            title: 'Conflict',
            detail: 'generation mismatch',
            code: 'placement.concurrent_update',
            request_id: 'req-1',
          },
        ],
      }),
      { code: 'placement.concurrent_update', title: 'Conflict', detail: 'generation mismatch' },
    ],
    [
      'application/json',
      JSON.stringify({ error: { code: 404, title: 'Not Found', message: 'Could not find project: x.' } }),
      { title: 'Not Found', detail: 'Could not find project: x.' },
    ],
    [
      'application/json',
      JSON.stringify({
        message: 'No image found with ID x<br /><br />\n\n\n',
        code: '404 Not Found',
        title: 'Not Found',
      }),
      { title: 'Not Found', detail: 'No image found with ID x' },
    ],
    [
      'text/plain; charset=UTF-8',
      '404 Not Found\n\nNo image found with ID x\n\n\n',
      { title: 'Not Found', detail: 'No image found with ID x' },
    ],
    [
      'text/html; charset=UTF-8',
      '<html>\n <head>\n  <title>403 Forbidden</title>\n </head>\n <body>\n  <h1>403 Forbidden</h1>\n  Not allowed<br /><br />\n\n\n\n </body>\n</html>',
      { title: 'Forbidden', detail: 'Not allowed' },
    ],
    [
      'application/json',
      JSON.stringify({ badRequest: { code: 400, message: 'Invalid flavorRef provided.' } }),
      { code: 'badRequest', detail: 'Invalid flavorRef provided.' },
    ],
    [
      'application/json',
      JSON.stringify({ NeutronError: { type: 'PortNotFound', message: 'Port p could not be found.', detail: '' } }),
      { code: 'PortNotFound', detail: 'Port p could not be found.' },
    ],
    [
      'application/json',
      JSON.stringify({
        error_message: JSON.stringify({ faultcode: 'Client', faultstring: 'Node n is locked', debuginfo: null }),
      }),
      { code: 'Client', detail: 'Node n is locked' },
    ],
    ['application/json', JSON.stringify({ error_message: 'plain words' }), { detail: 'plain words' }],
    ['text/plain', 'Service Unavailable', { detail: 'Service Unavailable' }],
    ['application/json', '{"truncated":', { detail: '{"truncated":' }],
  ];
  for (const [type, body, want] of cases) expect(parseErrorBody(body, type)).toEqual(want);
});
