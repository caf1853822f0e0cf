// Counting each event once: a batch's Redis updates and the events' "seen" marks are
// applied by one Lua script, so they happen together or not at all. A consumer that dies
// after the script but before its acknowledgement gets the batch again, finds the marks
// and changes nothing. Marks are bits of a bitmap keyed by the stream sequence (128 KiB per
// million events, in chunks that expire after the stream's own max age), and the key holds
// the stream's creation time, so a recreated stream never meets old marks.
//
// The script takes key names in ARGV, not KEYS: fine on one Redis (what runs here); on a
// Redis Cluster each consumer's keys would need one hash tag.
import type { Redis } from 'ioredis';

/**
 * One update. `Z`: ZINCRBY a (member b) by c, EXPIREAT d when d > 0, trimmed to e members
 * (lowest first) when e > 0. `P`: pair sku b with every distinct other SKU in list a whose
 * time is ≥ e (entries "at:sku"), adding c to both co-occurrence sets `d<sku>`. `L`: push
 * entry b on list a, keep c entries, expire after d seconds. `H`: HSET a b c, EXPIRE d when
 * d > 0. `A`: SADD a b, EXPIRE c. Event ops are 6-tuples (code and five arguments).
 */
export type Op = [code: 'Z' | 'P' | 'L' | 'H' | 'A', a: string, b: string, c: string | number, d: string | number, e: string | number];

export interface EventOps {
  /** The stream sequence: the event's identity for the seen mark. */
  seq: number;
  ops: Op[];
}

const script = `
local prefix = ARGV[1]
local seenTtl = tonumber(ARGV[2])
local coTtl = tonumber(ARGV[3])
local coMax = tonumber(ARGV[4])
local dirty = ARGV[5]
local function trim(k, max)
  if redis.call('ZCARD', k) > max + math.floor(max / 4) then redis.call('ZREMRANGEBYRANK', k, 0, -(max + 1)) end
end
local i = 6
local applied = 0
while i <= #ARGV do
  local seq = tonumber(ARGV[i])
  local n = tonumber(ARGV[i + 1])
  i = i + 2
  local chunk = prefix .. math.floor(seq / 1048576)
  local bit = seq % 1048576
  if redis.call('GETBIT', chunk, bit) == 0 then
    for j = 0, n - 1 do
      local o = i + j * 6
      local code, a, b, c, d, e = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5]
      if code == 'Z' then
        redis.call('ZINCRBY', a, c, b)
        if tonumber(d) > 0 then redis.call('EXPIREAT', a, d) end
        if tonumber(e) > 0 then trim(a, tonumber(e)) end
      elseif code == 'P' then
        local minAt = tonumber(e)
        local done = {}
        done[b] = true
        for _, entry in ipairs(redis.call('LRANGE', a, 0, -1)) do
          local sep = string.find(entry, ':', 1, true)
          local at = tonumber(string.sub(entry, 1, sep - 1))
          local other = string.sub(entry, sep + 1)
          if at >= minAt and not done[other] then
            done[other] = true
            local k1, k2 = d .. b, d .. other
            redis.call('ZINCRBY', k1, c, other)
            redis.call('ZINCRBY', k2, c, b)
            redis.call('EXPIRE', k1, coTtl)
            redis.call('EXPIRE', k2, coTtl)
            trim(k1, coMax)
            trim(k2, coMax)
            if dirty ~= '' then redis.call('SADD', dirty, other) end
          end
        end
        if dirty ~= '' then redis.call('SADD', dirty, b) end
      elseif code == 'L' then
        redis.call('LPUSH', a, b)
        redis.call('LTRIM', a, 0, tonumber(c) - 1)
        redis.call('EXPIRE', a, d)
      elseif code == 'H' then
        redis.call('HSET', a, b, c)
        if tonumber(d) > 0 then redis.call('EXPIRE', a, d) end
      elseif code == 'A' then
        redis.call('SADD', a, b)
        redis.call('EXPIRE', a, c)
      end
    end
    redis.call('SETBIT', chunk, bit, 1)
    redis.call('EXPIRE', chunk, seenTtl)
    applied = applied + 1
  end
  i = i + n * 6
end
return applied
`;

type WithApply = Redis & { onceOnlyApply(...args: (string | number)[]): Promise<number> };

export interface OnceOnlyOptions {
  /** Seen marks live this long (longer than the stream keeps events). */
  seenTtlSec?: number;
  /** Co-occurrence sets (`P` ops) expire this long after their last update. */
  coTtlSec?: number;
  /** Co-occurrence sets keep at most this many members (about). */
  coMax?: number;
  /** Events per script call: a long script blocks Redis for everyone. */
  maxPerCall?: number;
  /** `P` ops add the SKUs whose co-occurrences changed to this set (for recomputing their related lists). */
  dirtyKey?: string;
  /** Called after each script call (tests use it to die between a batch's steps). */
  onCall?(): void;
}

export class OnceOnlyApplier {
  private readonly redis: WithApply;

  constructor(redis: Redis, private readonly seenPrefix: string, private readonly opts: OnceOnlyOptions = {}) {
    if (!('onceOnlyApply' in redis)) redis.defineCommand('onceOnlyApply', { numberOfKeys: 0, lua: script });
    this.redis = redis as unknown as WithApply;
  }

  /** Applies the events not yet seen; returns how many were new. */
  async apply(events: EventOps[]): Promise<number> {
    const max = this.opts.maxPerCall ?? 200;
    let applied = 0;
    for (let i = 0; i < events.length; i += max) {
      const args: (string | number)[] = [this.seenPrefix, this.opts.seenTtlSec ?? 8 * 86_400, this.opts.coTtlSec ?? 120 * 86_400, this.opts.coMax ?? 300, this.opts.dirtyKey ?? ''];
      for (const e of events.slice(i, i + max)) {
        args.push(e.seq, e.ops.length);
        for (const op of e.ops) args.push(...op);
      }
      applied += await this.redis.onceOnlyApply(...args);
      this.opts.onCall?.();
    }
    return applied;
  }
}

/** The seen-mark prefix of one consumer of one stream incarnation. */
export const seenPrefix = (cluster: string, consumer: string, streamCreated: string) =>
  `${cluster}:an:seen:${consumer}:${Date.parse(streamCreated) || 0}:`;
