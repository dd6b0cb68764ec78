// The key credential blobs are encrypted with at rest (Keystone's credential key repository,
// with AES-256-GCM from node:crypto in place of Fernet): one random 256-bit key in a file of mode
// 0600, created on first use. Each blob records the hash of the key that sealed it, so a blob
// sealed with another key is reported as such rather than decrypted into garbage.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileOnce } from '../../common/files.js';

const KEY_FILE = 'key';

export class CredentialKeys {
  private constructor(
    private readonly key: Buffer,
    readonly keyHash: string,
  ) {}

  /** The key in `dir`, created if there is none (concurrent creators: the first one wins). */
  static load(dir: string): CredentialKeys {
    const file = join(dir, KEY_FILE);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Another identity process sharing the repository may create it first: then its key is used.
      createFileOnce(file, randomBytes(32).toString('base64'), 0o600);
    }
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file}: not a 256-bit credential key`);
    return new CredentialKeys(key, createHash('sha256').update(key).digest('hex'));
  }

  /** base64(iv | tag | ciphertext). */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string, keyHash: string): string {
    if (keyHash !== this.keyHash) throw new Error('credential blob sealed with another key');
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
