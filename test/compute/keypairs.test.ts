// Key pairs as Nova Zed answers for them: generated keys that OpenSSH itself reads (its own
// fingerprint of them equal to Nova's), imported keys of each type checked and fingerprinted,
// X.509 certificates, each microversion's shape and status, other users' key pairs for
// administrators, pages, the key_pairs quota, and bad input refused with nothing made.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolUnavailable } from '../helpers/cloud.js';
import { ADMIN, as, computeEngines, LATEST, mv, type TestCompute } from '../helpers/compute.js';

const ALICE = as('alice', 'p1');
const skipTools = toolUnavailable('ssh-keygen', 'openssh-client') ?? toolUnavailable('openssl', 'openssl');
const { engines, stop } = computeEngines();
afterAll(stop);

function sshKeygen(dir: string, type: string): { publicKey: string; md5: string } {
  const file = join(dir, `id_${type}_${Math.random().toString(36).slice(2)}`);
  expect(spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'me@host', '-f', file]).status).toBe(0);
  return { publicKey: readFileSync(`${file}.pub`, 'utf8').trim(), md5: md5Of(`${file}.pub`) };
}

function md5Of(pubFile: string): string {
  const out = spawnSync('ssh-keygen', ['-l', '-E', 'md5', '-f', pubFile], { encoding: 'utf8' }).stdout;
  return /MD5:([0-9a-f:]+)/.exec(out)![1]!;
}

describe.each(engines)('keypairs ($name)', ({ skip, start }) => {
  let t: TestCompute;
  beforeAll(async () => {
    if (!skip) t = await start();
  });
  afterAll(async () => {
    await t?.close();
  });
  const test = it.skipIf(skip ?? skipTools);
  const post = (keypair: unknown, headers: Record<string, string> = { ...ALICE, ...LATEST }) =>
    t.call('POST', '/v2.1/os-keypairs', { keypair }, headers);

  test('generates an RSA key pair that OpenSSH reads, fingerprinted as OpenSSH does', async () => {
    const r = await post({ name: 'gen' }, { ...ALICE, ...mv('2.91') });
    expect(r.status).toBe(201);
    const k = r.body.keypair;
    expect(Object.keys(k).sort()).toEqual(['fingerprint', 'name', 'private_key', 'public_key', 'type', 'user_id']);
    expect(k).toMatchObject({ name: 'gen', type: 'ssh', user_id: 'alice' });
    expect(k.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(k.public_key).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E\S+ Generated-by-Nova$/);
    const priv = join(t.dir, 'gen');
    writeFileSync(priv, k.private_key, { mode: 0o600 });
    const derived = spawnSync('ssh-keygen', ['-y', '-f', priv], { encoding: 'utf8' }).stdout.trim();
    expect(k.public_key.startsWith(derived)).toBe(true);
    writeFileSync(`${priv}.pub`, `${k.public_key}\n`);
    expect(k.fingerprint).toBe(md5Of(`${priv}.pub`));
    // The private key is given once.
    const shown = (await t.call('GET', '/v2.1/os-keypairs/gen', undefined, { ...ALICE, ...LATEST })).body.keypair;
    expect(shown.private_key).toBeUndefined();
    expect(shown).toMatchObject({
      name: 'gen',
      fingerprint: k.fingerprint,
      user_id: 'alice',
      deleted: false,
      deleted_at: null,
      updated_at: null,
      type: 'ssh',
    });
    expect(shown.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  });

  test('imports keys of every type OpenSSH makes, and refuses what is not a key', async () => {
    for (const type of ['rsa', 'ed25519', 'ecdsa']) {
      const { publicKey, md5 } = sshKeygen(t.dir, type);
      const r = await post({ name: `imported-${type}`, public_key: publicKey });
      expect(r.status, r.text).toBe(201);
      expect(r.body.keypair).toEqual({
        name: `imported-${type}`,
        type: 'ssh',
        public_key: publicKey,
        fingerprint: md5,
        user_id: 'alice',
      });
    }
    const rsa = sshKeygen(t.dir, 'rsa').publicKey;
    const [kind, body] = rsa.split(' ');
    for (const bad of ['not a key', `${kind} ${body!.slice(0, 40)}`, `ssh-ed25519 ${body}`, '', `${kind}`]) {
      const r = await post({ name: 'bad', public_key: bad });
      expect(r.body, bad).toEqual({
        badRequest: { code: 400, message: 'Keypair data is invalid: failed to generate fingerprint' },
      });
    }
  });

  test('imports and generates X.509 certificates', async () => {
    const gen = await post({ name: 'cert', type: 'x509' }, { ...ALICE, ...mv('2.91') });
    expect(gen.status).toBe(201);
    expect(gen.body.keypair.public_key).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const pem = join(t.dir, 'cert.pem');
    writeFileSync(pem, gen.body.keypair.public_key);
    const sha1 = spawnSync('openssl', ['x509', '-in', pem, '-noout', '-fingerprint', '-sha1'], {
      encoding: 'utf8',
    }).stdout;
    expect(gen.body.keypair.fingerprint).toBe(sha1.trim().split('=')[1]!.toLowerCase());
    expect(Buffer.from(gen.body.keypair.private_key, 'base64').length).toBeGreaterThan(1000);
    const imported = await post({ name: 'cert2', type: 'x509', public_key: gen.body.keypair.public_key });
    expect(imported.body.keypair.fingerprint).toBe(gen.body.keypair.fingerprint);
    const bad = await post({ name: 'cert3', type: 'x509', public_key: 'nope' });
    expect(bad.body.badRequest.message).toMatch(
      /^Keypair data is invalid: failed to generate X509 fingerprint\. Error message: /,
    );
  });

  test("answers in each microversion's shape and status", async () => {
    const { publicKey } = sshKeygen(t.dir, 'ed25519');
    const v21 = await post({ name: 'v21', public_key: publicKey }, ALICE);
    expect(v21.status).toBe(200);
    expect(Object.keys(v21.body.keypair).sort()).toEqual(['fingerprint', 'name', 'public_key', 'user_id']);
    expect((await post({ name: 'v21b', type: 'ssh', public_key: publicKey }, ALICE)).status).toBe(400);
    const list = (await t.call('GET', '/v2.1/os-keypairs', undefined, ALICE)).body.keypairs;
    expect(Object.keys(list[0].keypair).sort()).toEqual(['fingerprint', 'name', 'public_key']);
    expect((await t.call('DELETE', '/v2.1/os-keypairs/v21', undefined, ALICE)).status).toBe(202);
    await post({ name: 'v22', public_key: publicKey }, { ...ALICE, ...mv('2.2') });
    const del = await t.call('DELETE', '/v2.1/os-keypairs/v22', undefined, { ...ALICE, ...mv('2.2') });
    expect(del.status).toBe(204);
    expect((await t.call('DELETE', '/v2.1/os-keypairs/v22', undefined, ALICE)).body).toEqual({
      itemNotFound: { code: 404, message: 'Keypair v22 not found for user alice' },
    });
    // 2.92: imports only; '@' and '.' allowed in names.
    const gen = await post({ name: 'gen292' });
    expect(gen.body.badRequest.message).toBe(
      "Invalid input for field/attribute keypair. Value: {'name': 'gen292'}. 'public_key' is a required property",
    );
    expect((await post({ name: 'me@host.v292', public_key: publicKey })).status).toBe(201);
    expect(
      (await post({ name: 'me@host', public_key: publicKey }, { ...ALICE, ...mv('2.91') })).body.badRequest.message,
    ).toBe(
      "An invalid 'name' value was provided. The name must be: Only expected characters: [_- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]",
    );
  });

  test("keeps users apart; administrators reach other users' key pairs from 2.10", async () => {
    const { publicKey } = sshKeygen(t.dir, 'ed25519');
    const bob = as('bob', 'p1');
    expect((await t.call('GET', '/v2.1/os-keypairs/gen', undefined, { ...bob, ...LATEST })).status).toBe(404);
    expect((await t.call('GET', '/v2.1/os-keypairs?user_id=alice', undefined, { ...bob, ...LATEST })).body).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-keypairs:index to be performed." },
    });
    expect((await post({ name: 'for-bob', public_key: publicKey, user_id: 'bob' })).status).toBe(403);
    const made = await post({ name: 'for-bob', public_key: publicKey, user_id: 'bob' }, { ...ADMIN, ...LATEST });
    expect(made.body.keypair.user_id).toBe('bob');
    expect((await t.call('GET', '/v2.1/os-keypairs/for-bob', undefined, { ...bob, ...LATEST })).status).toBe(200);
    expect(
      (await t.call('GET', '/v2.1/os-keypairs/gen?user_id=alice', undefined, { ...ADMIN, ...LATEST })).status,
    ).toBe(200);
    // Before 2.10 user_id is no parameter: the admin's own key pairs.
    expect(
      (await t.call('GET', '/v2.1/os-keypairs/gen?user_id=alice', undefined, { ...ADMIN, ...mv('2.9') })).status,
    ).toBe(404);
    expect((await post({ name: 'x', public_key: publicKey, user_id: 'bob' }, { ...ADMIN, ...mv('2.9') })).status).toBe(
      400,
    );
    expect(
      (await t.call('DELETE', '/v2.1/os-keypairs/for-bob?user_id=bob', undefined, { ...ADMIN, ...LATEST })).status,
    ).toBe(204);
  });

  test('pages from 2.35 by name, linking the next page', async () => {
    const { publicKey } = sshKeygen(t.dir, 'ed25519');
    const carol = { ...as('carol', 'p1'), ...LATEST };
    for (const n of ['c', 'a', 'b']) await post({ name: n, public_key: publicKey }, carol);
    const first = await t.call('GET', '/v2.1/os-keypairs?limit=2', undefined, carol);
    expect(first.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual(['a', 'b']);
    expect(first.body.keypairs_links).toEqual([
      { rel: 'next', href: 'http://localhost:80/v2.1/os-keypairs?limit=2&marker=b' },
    ]);
    const rest = await t.call('GET', '/v2.1/os-keypairs?limit=2&marker=b', undefined, carol);
    expect(rest.body).toEqual({ keypairs: [{ keypair: expect.objectContaining({ name: 'c' }) }] });
    expect((await t.call('GET', '/v2.1/os-keypairs?marker=zz', undefined, carol)).body).toEqual({
      badRequest: { code: 400, message: 'Marker zz could not be found.' },
    });
    // Before 2.35 there are no pages.
    expect(
      (await t.call('GET', '/v2.1/os-keypairs?limit=1', undefined, { ...carol, ...mv('2.34') })).body.keypairs,
    ).toHaveLength(3);
    expect((await t.call('GET', '/v2.1/os-keypairs?color=red', undefined, carol)).status).toBe(400);
  });

  test('counts key pairs against the key_pairs quota', async () => {
    const { publicKey } = sshKeygen(t.dir, 'ed25519');
    const dave = { ...as('dave', 'p2'), ...LATEST };
    await t.call('PUT', '/v2.1/os-quota-sets/p2', { quota_set: { key_pairs: 1 } });
    expect((await post({ name: 'one', public_key: publicKey }, dave)).status).toBe(201);
    const over = await post({ name: 'two', public_key: publicKey }, dave);
    expect(over.body).toEqual({ forbidden: { code: 403, message: 'Quota exceeded, too many key pairs.' } });
    const dup = await post({ name: 'one', public_key: publicKey }, { ...as('erin', 'p2'), ...LATEST });
    expect(dup.status).toBe(201);
    expect((await post({ name: 'one', public_key: publicKey }, { ...as('erin', 'p3'), ...LATEST })).body).toEqual({
      conflictingRequest: { code: 409, message: "Key pair 'one' already exists." },
    });
  });

  test('refuses bad names and bodies with 400, making nothing', async () => {
    const before = await t.compute.db.selectFrom('key_pairs').select('id').execute();
    const cases: [unknown, string][] = [
      [{ name: '', public_key: 'x' }, "Invalid input for field/attribute name. Value: . '' is too short"],
      [
        { name: ' lead', public_key: 'x' },
        "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
      ],
      [
        { name: 'a/b', public_key: 'x' },
        "An invalid 'name' value was provided. The name must be: Only expected characters: [@._- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]",
      ],
      [
        { name: 'k', public_key: 'x', type: 'pgp' },
        "Invalid input for field/attribute type. Value: pgp. 'pgp' is not one of ['ssh', 'x509']",
      ],
      [
        { name: 'k', public_key: 'x', color: 1 },
        "Invalid input for field/attribute keypair. Value: {'name': 'k', 'public_key': 'x', 'color': 1}. Additional properties are not allowed ('color' was unexpected)",
      ],
      [
        { name: 'x'.repeat(256), public_key: 'x' },
        `Invalid input for field/attribute name. Value: ${'x'.repeat(256)}. '${'x'.repeat(256)}' is too long`,
      ],
    ];
    for (const [keypair, message] of cases) {
      expect((await post(keypair)).body, JSON.stringify(keypair)).toEqual({ badRequest: { code: 400, message } });
    }
    expect(await t.compute.db.selectFrom('key_pairs').select('id').execute()).toEqual(before);
  });
});
