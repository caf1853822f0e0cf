// Secrets every process of a cluster shares, kept in MariaDB (migration 211), never in
// Redis: whoever reads a cache must not find what it would need to use the cache's contents.
import { randomBytes } from 'node:crypto';
import type { Pool } from './pool.ts';

export class ClusterSecrets {
  private readonly held = new Map<string, Promise<Buffer>>();

  constructor(private readonly pool: Pool) {}

  /**
   * The secret named `name`, made at its first use by whichever process comes first (the
   * others' random bytes are ignored, and every process reads the one stored). Read once
   * per process; a failed read is not kept, so the next call tries again.
   */
  get(name: string): Promise<Buffer> {
    let secret = this.held.get(name);
    if (!secret) {
      secret = this.load(name);
      this.held.set(name, secret);
      secret.catch(() => this.held.delete(name));
    }
    return secret;
  }

  private async load(name: string): Promise<Buffer> {
    await this.pool.query('INSERT IGNORE INTO cluster_secrets (name, secret) VALUES (?, ?)', [name, randomBytes(32)]);
    const [rows] = await this.pool.query('SELECT secret FROM cluster_secrets WHERE name = ?', [name]);
    const row = (rows as { secret: Buffer }[])[0];
    if (!row) throw new Error(`cluster secret ${name} could not be read back`);
    return row.secret;
  }
}
