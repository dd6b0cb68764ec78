// The web-download fetch against server-side request forgery: [import_filtering_opts] is checked
// at every redirect hop, a host name is resolved once and the connection goes to the address that
// was checked, and a name resolving to a refused address is refused before anything is requested.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/common/config.js';
import { filterUri, importFilters } from '../../src/image/import/uri_filter.js';
import { ImportUriRefused, openWebDownload, WebDownloadError } from '../../src/image/import/web_download.js';
import { startImage, type TestImage } from '../helpers/image.js';

const filters = (c: Partial<Config> = {}) => importFilters(loadConfig(undefined, {}, c));

/** A local HTTP server that records the paths it was asked for. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, port, requests, close: () => new Promise((r) => server.close(r)) };
}

describe('[import_filtering_opts]', () => {
  it('refuses loopback, link-local and unspecified addresses by default, however they are written', () => {
    const f = filters({ importAllowedPorts: [] });
    for (const uri of [
      'http://127.0.0.1/x',
      'http://127.1/x',
      'http://0x7f000001/x',
      'http://2130706433/x',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://169.254.169.254/latest/meta-data',
      'http://0.0.0.0/x',
      'http://[fe80::1]/x',
    ]) {
      expect(filterUri(f, uri), uri).toBeNull();
    }
    expect(filterUri(f, 'http://192.0.2.10/x')).not.toBeNull();
    // A name is admitted until it resolves: its addresses are checked by the fetch.
    expect(filterUri(f, 'http://localhost/x')).toMatchObject({ host: 'localhost', port: 80, checkAddresses: true });
  });

  it('checks the port connected to, schemes, credentials, and allowed lists before disallowed ones', () => {
    const f = filters();
    expect(filterUri(f, 'http://192.0.2.10/x')?.port).toBe(80);
    expect(filterUri(f, 'https://192.0.2.10/x')?.port).toBe(443);
    expect(filterUri(f, 'http://192.0.2.10:8080/x')).toBeNull();
    expect(filterUri(f, 'ftp://192.0.2.10/x')).toBeNull();
    expect(filterUri(f, 'http://user:pw@192.0.2.10/x')).toBeNull();
    expect(filterUri(f, 'not a url')).toBeNull();
    const lists = filters({
      importAllowedHosts: ['mirror.example', '10.1.0.0/16'],
      importDisallowedHosts: ['mirror.example'],
    });
    expect(filterUri(lists, 'http://MIRROR.example./x')).toMatchObject({ checkAddresses: false });
    expect(filterUri(lists, 'http://10.1.2.3/x')).not.toBeNull();
    expect(filterUri(lists, 'http://10.2.0.1/x')).toBeNull();
    expect(filterUri(lists, 'http://other.example/x')).toMatchObject({ checkAddresses: true });
    expect(filterUri(filters({ importAllowedHosts: ['mirror.example'] }), 'http://other.example/x')).toBeNull();
    expect(
      filterUri(filters({ importDisallowedSchemes: ['http'], importAllowedSchemes: [] }), 'http://192.0.2.1/'),
    ).toBeNull();
    expect(
      filterUri(filters({ importDisallowedPorts: ['80'], importAllowedPorts: [] }), 'http://192.0.2.1/'),
    ).toBeNull();
    expect(() => filters({ importDisallowedHosts: ['10.0.0.0/33'] })).toThrow(/not an address or network/);
    expect(() => filters({ importAllowedPorts: ['http'] })).toThrow(/not a port/);
  });
});

describe('web-download fetch', () => {
  const secret = 'internal answer';
  let inside: Awaited<ReturnType<typeof serve>>;
  let outside: Awaited<ReturnType<typeof serve>>;
  let redirectTo = '';
  beforeAll(async () => {
    inside = await serve((_req, res) => res.end(secret));
    outside = await serve((req, res) => {
      if (req.url === '/redirect') res.writeHead(302, { location: redirectTo }).end();
      else if (req.url === '/loop') res.writeHead(301, { location: '/loop' }).end();
      else res.end('public data');
    });
  });
  afterAll(async () => {
    await inside.close();
    await outside.close();
  });
  /** Only the outside server is allowed (as an operator would allow one mirror). */
  const onlyOutside = () => filters({ importAllowedHosts: ['127.0.0.1'], importAllowedPorts: [String(outside.port)] });

  it('refuses a redirect to a host or port that does not pass the filters, requesting nothing from it', async () => {
    redirectTo = `http://127.0.0.1:${inside.port}/secret`;
    const before = inside.requests.length;
    await expect(openWebDownload(onlyOutside(), `http://127.0.0.1:${outside.port}/redirect`)).rejects.toThrow(
      ImportUriRefused,
    );
    redirectTo = `http://192.0.2.1:${outside.port}/data`;
    await expect(openWebDownload(onlyOutside(), `http://127.0.0.1:${outside.port}/redirect`)).rejects.toThrow(
      /redirect to http:\/\/192\.0\.2\.1:\d+ does not pass filtering/,
    );
    expect(inside.requests.length).toBe(before);
  });

  it('follows redirects that pass the filters, a bounded number of times', async () => {
    redirectTo = `http://127.0.0.1:${outside.port}/data`;
    expect(await text(await openWebDownload(onlyOutside(), `http://127.0.0.1:${outside.port}/redirect`))).toBe(
      'public data',
    );
    await expect(openWebDownload(onlyOutside(), `http://127.0.0.1:${outside.port}/loop`)).rejects.toThrow(
      /more than 5 redirects/,
    );
  });

  it('refuses a host name that resolves to a disallowed address before connecting', async () => {
    const f = filters({ importAllowedPorts: [String(inside.port)] });
    const before = inside.requests.length;
    await expect(openWebDownload(f, `http://localhost:${inside.port}/secret`)).rejects.toThrow(/localhost resolves to/);
    // One refused address among several is enough.
    const mixed = async () => [
      { address: '192.0.2.1', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    await expect(openWebDownload(f, `http://mirror.test:${inside.port}/secret`, { resolve: mixed })).rejects.toThrow(
      ImportUriRefused,
    );
    expect(inside.requests.length).toBe(before);
  });

  it('resolves a name once and connects to the address it checked', async () => {
    // A resolver that answers an allowed address first and a refused one afterwards (a rebinding
    // name): only the first answer may be used.
    let lookups = 0;
    const rebinding = async () =>
      lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '192.0.2.1', family: 4 }];
    const f = filters({ importAllowedHosts: ['127.0.0.0/8'], importAllowedPorts: [String(inside.port)] });
    const res = await openWebDownload(f, `http://rebinding.test:${inside.port}/x`, { resolve: rebinding });
    expect(await text(res)).toBe(secret);
    expect(lookups).toBe(1);
    expect(inside.requests.at(-1)).toBe('/x');
  });

  it('fails on unresolvable names, error answers and silent sources', async () => {
    const f = filters({ importAllowedHosts: ['127.0.0.1'], importAllowedPorts: [] });
    const none = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await expect(openWebDownload(filters(), 'http://does-not.exist/x', { resolve: none })).rejects.toThrow(/ENOTFOUND/);
    const missing = await serve((_req, res) => res.writeHead(404).end());
    const silent = await serve(() => undefined);
    try {
      await expect(openWebDownload(f, `http://127.0.0.1:${missing.port}/x`)).rejects.toThrow(WebDownloadError);
      await expect(openWebDownload(f, `http://127.0.0.1:${silent.port}/x`, { idleTimeoutMs: 200 })).rejects.toThrow(
        /stopped sending data/,
      );
    } finally {
      silent.server.closeAllConnections();
      await missing.close();
      await silent.close();
    }
  });
});

describe('web-download import through the API', () => {
  let t: TestImage;
  let inside: Awaited<ReturnType<typeof serve>>;
  let outside: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    inside = await serve((_req, res) => res.end(randomBytes(4096)));
    outside = await serve((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${inside.port}/secret` }).end(),
    );
    t = await startImage({ config: { importAllowedHosts: ['127.0.0.1'], importAllowedPorts: [String(outside.port)] } });
  });
  afterAll(async () => {
    await t.close();
    await inside.close();
    await outside.close();
  });

  async function settled(id: string) {
    for (let i = 0; i < 200; i++) {
      const img = (await t.call('GET', `/v2/images/${id}`)).body;
      if (img.status !== 'importing') return img;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('import did not finish');
  }

  it('puts the image back to queued, with no data, when the source redirects where it may not go', async () => {
    const img = await t.create({ name: 'redirected', disk_format: 'raw', container_format: 'bare' });
    const r = await t.call('POST', `/v2/images/${img.id}/import`, {
      method: { name: 'web-download', uri: `http://127.0.0.1:${outside.port}/image.raw` },
    });
    expect(r.status).toBe(202);
    expect(await settled(img.id)).toMatchObject({ status: 'queued', size: null, checksum: null });
    expect(inside.requests).toEqual([]);
    expect(t.storedFiles()).toEqual([]);
    expect((await t.call('GET', `/v2/images/${img.id}/file`)).status).toBe(204);
  });

  it('refuses the default loopback source at once', async () => {
    const strict = await startImage({ config: { importAllowedPorts: [String(inside.port)] } });
    try {
      const img = await strict.create({ name: 'loopback', disk_format: 'raw', container_format: 'bare' });
      const r = await strict.call('POST', `/v2/images/${img.id}/import`, {
        method: { name: 'web-download', uri: `http://127.0.0.1:${inside.port}/secret` },
      });
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('URI for web-download does not pass filtering');
    } finally {
      await strict.close();
    }
  });
});
