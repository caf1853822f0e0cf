// Admin calls to the homepage builder (its single writer) over NATS, and its counters.
import type { NatsConnection } from 'nats';
import type { Redis } from 'ioredis';
import { callService } from '../catalog/index.ts';
import type { FieldProblem, RegionDocument, RegionDocumentInput } from './document.ts';
import { homepageKeys, homepageSubjects } from './keys.ts';
import type { PutResult } from './writer.ts';

export class HomepageApi {
  private readonly subjects: ReturnType<typeof homepageSubjects>;
  private readonly statsKey: string;

  constructor(private readonly nc: NatsConnection, private readonly redis: Redis, cluster: string) {
    this.subjects = homepageSubjects(cluster);
    this.statsKey = homepageKeys(cluster).stats;
  }

  /** Stores a checked document (the builder checks it against the catalog and the other regions). */
  put(region: string, doc: RegionDocumentInput): Promise<PutResult> {
    return callService(this.nc, this.subjects.put, { region, doc }, 10_000);
  }

  /** The stored document, with what in it the catalog no longer has (see catalogProblems; left out when the catalog cannot say). */
  async get(region: string): Promise<(RegionDocument & { problems?: FieldProblem[] }) | undefined> {
    return (await callService<(RegionDocument & { problems?: FieldProblem[] }) | null>(this.nc, this.subjects.get, { region }, 5000)) ?? undefined;
  }

  /** Rebuilds every page now; resolves with the number of keys written. */
  rebuild(): Promise<{ rebuilt: number }> {
    return callService(this.nc, this.subjects.rebuild, {}, 30_000);
  }

  /** Keys rebuilt so far, cluster-wide, by reason (document, miss, events, periodic, asked, start). */
  async rebuilds(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(this.statsKey);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw)) if (k.startsWith('rebuilds:')) out[k.slice(9)] = Number(v);
    return out;
  }
}
