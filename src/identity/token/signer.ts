// Token signing keys: an Ed25519 key pair kept as PEM files (Keystone's JWS key repositories).
// Tokens are JWS (EdDSA), so any holder of the public keys verifies them without a database read.
// Verification picks the key named by the token's `kid`, so public keys left in the public
// repository keep their tokens valid while a new private key takes over.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileOnce } from '../../common/files.js';
import { SignJWT, jwtVerify, decodeProtectedHeader, type JWTPayload } from 'jose';

function keyId(pub: KeyObject): string {
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
    .slice(0, 16);
}

/** Reads every *.pem public key of a repository. */
export function loadPublicKeys(dir: string): KeyObject[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.pem'))
    .sort()
    .map((f) => createPublicKey(readFileSync(join(dir, f))));
}

export class TokenVerifier {
  protected readonly publicKeys: Map<string, KeyObject>;

  constructor(publicKeys: KeyObject[]) {
    this.publicKeys = new Map(publicKeys.map((k) => [keyId(k), k]));
  }

  /** The claims of a token signed by one of the keys and not yet expired; null otherwise. */
  async verify(token: string): Promise<JWTPayload | null> {
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = kid ? this.publicKeys.get(kid) : undefined;
      if (!key) return null;
      const { payload } = await jwtVerify(token, key, { algorithms: ['EdDSA'] });
      return payload;
    } catch {
      return null;
    }
  }
}

export class TokenSigner extends TokenVerifier {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly kid: string,
    publicKeys: KeyObject[],
  ) {
    super(publicKeys);
  }

  /** Loads the key repositories, creating a key pair when the private repository has none. */
  static load(privateDir: string, publicDir: string): TokenSigner {
    const privFile = join(privateDir, 'private.pem');
    if (!existsSync(privFile)) {
      mkdirSync(privateDir, { recursive: true, mode: 0o700 });
      // Public keys are no secret, but what concord keeps is its owner's alone (they copy them on).
      mkdirSync(publicDir, { recursive: true, mode: 0o700 });
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      // Another process sharing the repository may create its key first: then that one is used.
      if (createFileOnce(privFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600)) {
        writeFileSync(join(publicDir, `${keyId(publicKey)}.pem`), publicKey.export({ type: 'spki', format: 'pem' }), {
          mode: 0o600,
        });
      }
    }
    const privateKey = createPrivateKey(readFileSync(privFile));
    const ownPublic = createPublicKey(privateKey);
    return new TokenSigner(privateKey, keyId(ownPublic), [ownPublic, ...loadPublicKeys(publicDir)]);
  }

  /** The public keys tokens are verified with (for services that check signatures locally). */
  get verificationKeys(): KeyObject[] {
    return [...this.publicKeys.values()];
  }

  async sign(claims: JWTPayload, expiresAt: Date, issuedAt: Date): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: this.kid })
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.privateKey);
  }
}
