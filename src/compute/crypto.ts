// Key pairs' keys, as nova/crypto.py makes and reads them: an OpenSSH public key is checked by
// loading it (RSA, ECDSA and Ed25519 through node:crypto; DSA for its structure) and fingerprinted
// as the MD5 of its key blob; generated keys are 2048-bit RSA, the private half in PKCS#1 PEM,
// the public in OpenSSH's format; X.509 certificates are fingerprinted with SHA-1 and generated,
// as Nova does, by the openssl command.
import { createHash, createPublicKey, generateKeyPair, X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidKeypair } from './exceptions.js';

const generateRsa = promisify(generateKeyPair);
const run = promisify(execFile);

/** The fields of an SSH wire-format blob: length-prefixed strings. */
function readStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) throw new Error('truncated');
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) throw new Error('truncated');
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

const b64url = (b: Buffer) => b.toString('base64url');
/** An mpint's magnitude, without the sign byte. */
const unsigned = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

const EC_CURVES: Record<string, { crv: string; size: number }> = {
  nistp256: { crv: 'P-256', size: 32 },
  nistp384: { crv: 'P-384', size: 48 },
  nistp521: { crv: 'P-521', size: 66 },
};

/** Throws unless `fields` (after the key type) are a valid public key of `type`. */
function checkKey(type: string, fields: Buffer[]): void {
  if (type === 'ssh-rsa') {
    const [e, n] = fields;
    if (fields.length !== 2 || !e || !n) throw new Error('bad RSA key');
    createPublicKey({ key: { kty: 'RSA', n: b64url(unsigned(n)), e: b64url(unsigned(e)) }, format: 'jwk' });
  } else if (type === 'ssh-ed25519') {
    const [x] = fields;
    if (fields.length !== 1 || x?.length !== 32) throw new Error('bad Ed25519 key');
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(x) }, format: 'jwk' });
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curve = EC_CURVES[type.slice('ecdsa-sha2-'.length)];
    const [name, point] = fields;
    if (!curve || fields.length !== 2 || name?.toString() !== type.slice('ecdsa-sha2-'.length))
      throw new Error('bad curve');
    if (point?.length !== 1 + 2 * curve.size || point[0] !== 4) throw new Error('bad point');
    createPublicKey({
      key: {
        kty: 'EC',
        crv: curve.crv,
        x: b64url(point.subarray(1, 1 + curve.size)),
        y: b64url(point.subarray(1 + curve.size)),
      },
      format: 'jwk',
    });
  } else if (type === 'ssh-dss') {
    if (fields.length !== 4 || fields.some((f) => f.length === 0)) throw new Error('bad DSA key');
  } else {
    throw new Error('unsupported key type');
  }
}

/** The MD5 fingerprint of an OpenSSH public key ("ssh-rsa AAAA... comment"), colon-separated;
 * InvalidKeypair unless it loads. */
export function sshFingerprint(publicKey: string): string {
  try {
    const [type, body] = publicKey.split(' ', 3);
    const text = body?.trimEnd();
    if (!type || !text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error('not an OpenSSH public key');
    const blob = Buffer.from(text, 'base64');
    const [inner, ...fields] = readStrings(blob);
    if (inner?.toString() !== type) throw new Error('key type mismatch');
    checkKey(type, fields);
    return colons(createHash('md5').update(blob).digest('hex'));
  } catch {
    throw new InvalidKeypair('failed to generate fingerprint');
  }
}

const colons = (hex: string) => hex.match(/../g)!.join(':');

/** The SHA-1 fingerprint of a PEM certificate, lower-case and colon-separated. */
export function x509Fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.toLowerCase();
  } catch (e) {
    throw new InvalidKeypair(`failed to generate X509 fingerprint. Error message: ${(e as Error).message}`);
  }
}

/** SSH-wire strings. */
function wire(...parts: Buffer[]): Buffer {
  return Buffer.concat(
    parts.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(p.length);
      return [len, p];
    }),
  );
}
/** A non-negative integer as an SSH mpint: a zero byte ahead of a set high bit. */
const mpint = (b: Buffer) => (b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);

export interface GeneratedKey {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

/** A new 2048-bit RSA key pair (Nova's generate_key_pair). */
export async function generateSshKeyPair(): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = wire(
    Buffer.from('ssh-rsa'),
    mpint(Buffer.from(jwk.e!, 'base64url')),
    mpint(Buffer.from(jwk.n!, 'base64url')),
  );
  const openssh = `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`;
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    publicKey: openssh,
    fingerprint: sshFingerprint(openssh),
  };
}

/** A self-signed client certificate for WinRM (Nova's generate_winrm_x509_cert): the private key
 * and certificate as a base64 PKCS#12 bundle without a password, the certificate in PEM. */
export async function generateX509KeyPair(userId: string): Promise<GeneratedKey> {
  // The id goes into openssl's configuration and subject, where some characters mean something.
  if (!/^[\w.@-]+$/.test(userId)) throw new InvalidKeypair("the user id cannot name a certificate's subject");
  const dir = await mkdtemp(join(tmpdir(), 'concord-x509-'));
  try {
    const keyfile = join(dir, 'temp.key');
    const conffile = join(dir, 'temp.conf');
    await writeFile(
      conffile,
      'distinguished_name  = req_distinguished_name\n[req_distinguished_name]\n' +
        `[v3_req_client]\nextendedKeyUsage = clientAuth\nsubjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:${userId}@localhost\n`,
      { mode: 0o600 },
    );
    const { stdout: certificate } = await run('openssl', [
      'req',
      '-x509',
      '-nodes',
      '-days',
      '3650',
      '-config',
      conffile,
      '-newkey',
      'rsa:2048',
      '-outform',
      'PEM',
      '-keyout',
      keyfile,
      '-subj',
      `/CN=${userId}`,
      '-extensions',
      'v3_req_client',
    ]);
    const certfile = join(dir, 'temp.crt');
    await writeFile(certfile, certificate, { mode: 0o600 });
    const bundle = join(dir, 'temp.p12');
    await run('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      keyfile,
      '-in',
      certfile,
      '-password',
      'pass:',
      '-out',
      bundle,
    ]);
    return {
      privateKey: (await readFile(bundle)).toString('base64'),
      publicKey: certificate,
      fingerprint: x509Fingerprint(certificate),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
