// Password hashing with node:crypto scrypt and a per-user salt, asynchronously so the
// event loop keeps serving while a hash is computed (tens of milliseconds each).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  hash: Buffer;
  salt: Buffer;
  /** "scrypt:N:r:p", stored so the cost can be raised without breaking old hashes. */
  params: string;
}

const current = { N: 16384, r: 8, p: 1 };
const keyLength = 64;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parse(params: string): { N: number; r: number; p: number } {
  const [kind, N, r, p] = params.split(':');
  if (kind !== 'scrypt') throw new Error(`unknown password hash kind ${kind}`);
  return { N: Number(N), r: Number(r), p: Number(p) };
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { hash: await derive(password, salt, current), salt, params: `scrypt:${current.N}:${current.r}:${current.p}` };
}

export async function verifyPassword(password: string, stored: { hash: Buffer; salt: Buffer; params: string }): Promise<boolean> {
  const key = await derive(password, stored.salt, parse(stored.params));
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}

/** Spends the same time as a real check, so a login for an unknown email is not faster. */
const dummy = { hash: Buffer.alloc(keyLength), salt: Buffer.alloc(16), params: `scrypt:${current.N}:${current.r}:${current.p}` };
export async function burnPasswordCheck(password: string): Promise<false> {
  await verifyPassword(password, dummy);
  return false;
}
