// Whether node_modules holds what package-lock.json asks for, decided by content, not by
// file times: npm's own record of what it installed (node_modules/.package-lock.json)
// against the lockfile. A fresh clone or a checkout rewrites package-lock.json with a new
// time and the same content; judged by times, the bootstrap then ran `npm ci`, which
// deletes node_modules first, and where node_modules is a link to another checkout's (a
// second work tree sharing one install), it emptied that checkout's install under every
// process using it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} root the project directory @returns {boolean} */
export function dependenciesCurrent(root) {
  const installed = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(installed)) return false;
  if (!existsSync(lock)) return true;
  let wanted;
  let have;
  try {
    wanted = JSON.parse(readFileSync(lock, 'utf8')).packages;
    have = JSON.parse(readFileSync(installed, 'utf8')).packages;
  } catch {
    // Not lockfiles npm 7+ writes: fall back to which is newer.
    return statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
  }
  if (typeof wanted !== 'object' || wanted === null || typeof have !== 'object' || have === null) {
    return statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
  }
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '') continue;
    const got = have[path];
    // Optional packages for other platforms (esbuild's binaries) are never installed.
    if (got === undefined) {
      if (entry.optional || entry.devOptional) continue;
      return false;
    }
    if (got.version !== entry.version) return false;
  }
  return true;
}
