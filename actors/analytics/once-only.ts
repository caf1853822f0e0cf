// Counting each event once: a batch's Redis updates and the events' "seen" marks are
// applied by one Lua script, so they happen together or not at all. A consumer that dies
// after the script but before its acknowledgement gets the batch again, finds the marks
// and changes nothing. Marks are bits of a bitmap keyed by the stream sequence (128 KiB per
// million events, in chunks that expire after the stream's own max age), and the key holds
// the stream's creation time, so a recreated stream never meets old marks.
//
// The events and their ops go as one JSON argument, decoded by the script: as separate
// arguments (six per op, a dozen ops per order) their encoding was a seventh of everything
// a node allocated in a flash sale. Count increments (`Z`) of the events applied in one call
// are summed per key and member and written once each: a sale's hundred orders a call
// touch the same few hourly buckets.
//
// The script takes key names in its argument, not KEYS: fine on one Redis (what runs here);
// on a Redis Cluster each consumer's keys would need one hash tag.
import type { Redis } from 'ioredis';

/**
 * One update. `Z`: ZINCRBY a (member b) by c (summed with the call's other increments of a
 * and b), EXPIREAT d when d > 0, trimmed to e members (lowest first) when e > 0. `P`: pair
 * sku b with every distinct other SKU in list a whose time is ≥ e (entries "at:sku"), adding
 * c to both co-occurrence sets `d<sku>`. `L`: push entry b on list a, keep c entries, expire
 * after d seconds. `H`: HSET a b c, EXPIRE d when d > 0. `A`: SADD a b, EXPIRE c. Event ops
 * are 6-tuples (code and five arguments).
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
local events = cjson.decode(ARGV[6])
local function trim(k, max)
  if redis.call('ZCARD', k) > max + math.floor(max / 4) then redis.call('ZREMRANGEBYRANK', k, 0, -(max + 1)) end
end
-- Count increments summed per key and member, each key's latest expiry and largest cap.
local zkeys, zsum, zexp, zcap = {}, {}, {}, {}
-- Seen-mark chunks written in this call, each given its expiry once at the end.
local chunks = {}
local applied = 0
for _, event in ipairs(events) do
  local seq = event[1]
  local chunk = prefix .. math.floor(seq / 1048576)
  local bit = seq % 1048576
  if redis.call('GETBIT', chunk, bit) == 0 then
    for _, op in ipairs(event[2]) do
      local code, a, b, c, d, e = op[1], op[2], op[3], op[4], op[5], op[6]
      if code == 'Z' then
        local sums = zsum[a]
        if not sums then
          sums = {}
          zsum[a] = sums
          zkeys[#zkeys + 1] = a
          zexp[a] = 0
          zcap[a] = 0
        end
        sums[b] = (sums[b] or 0) + tonumber(c)
        if tonumber(d) > zexp[a] then zexp[a] = tonumber(d) end
        if tonumber(e) > zcap[a] then zcap[a] = tonumber(e) end
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
    chunks[chunk] = true
    applied = applied + 1
  end
end
for chunk in pairs(chunks) do redis.call('EXPIRE', chunk, seenTtl) end
for _, k in ipairs(zkeys) do
  for member, by in pairs(zsum[k]) do
    -- As text with every digit: cjson read the number as a double, and Lua's own
    -- number-to-text keeps only 14 significant digits.
    redis.call('ZINCRBY', k, string.format('%.17g', by), member)
  end
  if zexp[k] > 0 then redis.call('EXPIREAT', k, string.format('%d', zexp[k])) end
  if zcap[k] > 0 then trim(k, zcap[k]) end
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
      const encoded = JSON.stringify(events.slice(i, i + max).map((e) => [e.seq, e.ops]));
      applied += await this.redis.onceOnlyApply(this.seenPrefix, this.opts.seenTtlSec ?? 8 * 86_400, this.opts.coTtlSec ?? 120 * 86_400,
        this.opts.coMax ?? 300, this.opts.dirtyKey ?? '', encoded);
      this.opts.onCall?.();
    }
    return applied;
  }
}

/** The seen-mark prefix of one consumer of one stream incarnation. */
export const seenPrefix = (cluster: string, consumer: string, streamCreated: string) =>
  `${cluster}:an:seen:${consumer}:${Date.parse(streamCreated) || 0}:`;
