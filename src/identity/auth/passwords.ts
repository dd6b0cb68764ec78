// Password and secret hashing: Argon2id through @node-rs/argon2 (a maintained Rust binding whose
// prebuilt binary ships inside its npm package, so it installs without compiling or downloading).
// Hashing runs on libuv's thread pool, so a burst of logins does not stall the event loop.
import { hash, verify } from '@node-rs/argon2';

export async function hashPassword(password: string): Promise<string> {
  return hash(password);
}

// A well-formed hash to check against when there is no user, so that a login for a name that does
// not exist takes as long as one with a wrong password and does not reveal which it was.
let decoy: Promise<string> | undefined;

export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    decoy ??= hash('decoy-password-that-matches-nothing');
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
