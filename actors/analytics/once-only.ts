// Counting each event once: a batch's Redis updates and the events' "seen" marks are
// applied by one Lua script, so they happen together or not at all: the script checks
// every op before it writes anything, and writes the marks last. A consumer that dies
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
// When every event of a call is new (a redelivery is the exception), the script's work per
// op is avoidable: the call's count increments are summed here, repeated hash and set
// writes sent once, and the script only checks that the events are all new before it
// applies that one merged set. Should one of them have been seen, it writes nothing and
// the call goes again event by event. The Lua handling of each op had been most of the
// script's time, and a call blocks Redis for everyone while it runs.
//
// The script takes key names in its argument, not KEYS: fine on one Redis (what runs here);
// on a Redis Cluster each consumer's keys would need one hash tag.
import type { Redis } from 'ioredis';

/**
 * One update. `Z`: ZINCRBY a (member b) by c (summed with the call's other increments of a
 * and b), EXPIREAT d when d > 0, trimmed to e members (lowest first) when e > 0. `P`: pair
 * sku b with every distinct other SKU in list a whose time is ≥ e (entries "at:sku"), adding
 * c to both co-occurrence sets `d<sku>`. `L`: push entry b ("at:sku") on list a in place of
 * the list's entry for the same SKU, so that it holds each SKU once, at its latest time;
 * keep c entries, expire after d seconds. `H`: HSET a b c, EXPIRE d when d > 0. `A`: SADD
 * a b, EXPIRE c. Event ops are 6-tuples (code and five arguments).
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
-- '1': the events' ops come merged, valid only if every event is new (else -1, nothing written).
local whole = ARGV[7] == '1'
local function trim(k, max)
  if redis.call('ZCARD', k) > max + math.floor(max / 4) then redis.call('ZREMRANGEBYRANK', k, 0, -(max + 1)) end
end
local function num(v) return tonumber(v) ~= nil end
local function text(v) return type(v) == 'string' or type(v) == 'number' end
local valid = {
  Z = function(op) return num(op[4]) and num(op[5]) and num(op[6]) end,
  P = function(op) return num(op[4]) and type(op[5]) == 'string' and num(op[6]) end,
  L = function(op) return num(op[4]) and num(op[5]) end,
  H = function(op) return text(op[4]) and num(op[5]) end,
  A = function(op) return num(op[4]) end,
}
-- First, without writing anything: which events are new (once each, should a seq come
-- twice), and whether every op of theirs is well formed. A malformed one fails the call
-- before it has changed anything, rather than halfway through.
local fresh, taken = {}, {}
for _, event in ipairs(events) do
  local seq, ops = event[1], event[2]
  if type(seq) ~= 'number' or type(ops) ~= 'table' then return redis.error_reply('once-only: malformed event') end
  local chunk = prefix .. math.floor(seq / 1048576)
  local bit = seq % 1048576
  local id = chunk .. '/' .. bit
  if not taken[id] and redis.call('GETBIT', chunk, bit) == 0 then
    for _, op in ipairs(ops) do
      local check = valid[op[1]]
      if not (check and type(op[2]) == 'string' and text(op[3]) and check(op)) then
        return redis.error_reply('once-only: malformed op in event ' .. seq)
      end
    end
    taken[id] = true
    fresh[#fresh + 1] = { chunk, bit, ops }
  elseif whole then
    return -1
  end
end
-- Count increments summed per key and member, each key's latest expiry and largest cap.
local zkeys, zsum, zexp, zcap = {}, {}, {}, {}
for _, event in ipairs(fresh) do
  for _, op in ipairs(event[3]) do
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
      -- A \`P\` pairs with each SKU of the list once, at its latest time: older entries of the
      -- same SKU only make it longer (a buyer of one SKU fifty times filled all fifty places
      -- with it, and every pairing read them all).
      -- An event older than the SKU's entry (one delivered again, late) leaves it as it is.
      local push = true
      local sep = string.find(b, ':', 1, true)
      if sep then
        local sku, time = string.sub(b, sep), tonumber(string.sub(b, 1, sep - 1)) or 0
        for _, entry in ipairs(redis.call('LRANGE', a, 0, -1)) do
          local at = string.find(entry, ':', 1, true)
          if at and string.sub(entry, at) == sku then
            if (tonumber(string.sub(entry, 1, at - 1)) or 0) > time then push = false
            else redis.call('LREM', a, 0, entry) end
          end
        end
      end
      if push then
        redis.call('LPUSH', a, b)
        redis.call('LTRIM', a, 0, tonumber(c) - 1)
      end
      redis.call('EXPIRE', a, d)
    elseif code == 'H' then
      redis.call('HSET', a, b, c)
      if tonumber(d) > 0 then redis.call('EXPIRE', a, d) end
    elseif code == 'A' then
      redis.call('SADD', a, b)
      redis.call('EXPIRE', a, c)
    end
  end
end
for _, k in ipairs(zkeys) do
  for member, by in pairs(zsum[k]) do
    -- As text with every digit: cjson read the number as a double, and Lua's own
    -- number-to-text keeps only 14 significant digits.
    redis.call('ZINCRBY', k, string.format('%.17g', by), member)
  end
  if zexp[k] > 0 then redis.call('EXPIREAT', k, string.format('%d', zexp[k])) end
  if zcap[k] > 0 then trim(k, zcap[k]) end
end
-- The seen marks last: a Redis error above leaves events unmarked, to be applied again,
-- never marked with their counts missing. Each chunk gets its expiry once.
local chunks = {}
for _, event in ipairs(fresh) do
  redis.call('SETBIT', event[1], event[2], 1)
  chunks[event[1]] = true
end
for chunk in pairs(chunks) do redis.call('EXPIRE', chunk, seenTtl) end
local applied = #fresh
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
      const call = events.slice(i, i + max);
      const ops = call.length > 1 ? mergedOps(call) : undefined;
      // -1: one of the events had been seen, and the merged ops were not applied.
      let n = ops ? await this.call(encode([[call[0]!.seq, ops], ...call.slice(1).map((e) => [e.seq, noOps])]), true) : -1;
      if (n < 0) n = await this.call(encode(call.map((e) => [e.seq, e.ops])), false);
      applied += n;
      this.opts.onCall?.();
    }
    return applied;
  }

  private call(encoded: string, whole: boolean): Promise<number> {
    return this.redis.onceOnlyApply(this.seenPrefix, this.opts.seenTtlSec ?? 8 * 86_400, this.opts.coTtlSec ?? 120 * 86_400,
      this.opts.coMax ?? 300, this.opts.dirtyKey ?? '', encoded, whole ? '1' : '0');
  }
}

const noOps: Op[] = [];

/**
 * The ops of `events` as if they were one event's, for when all of them are new: count
 * increments summed per key and member (the latest expiry and largest cap, as the script
 * takes them), and a hash or set write that comes again later in the call sent only at its
 * last place (writing it earlier too changes nothing). Pairings and lists read what earlier
 * ops wrote, so they stay, in order. Undefined when an op is not plainly well formed: event
 * by event, the script then names the event that holds it.
 */
export function mergedOps(events: readonly EventOps[]): Op[] | undefined {
  const sums = new Map<string, Op>();
  const others: Op[] = [];
  for (const { ops } of events) {
    for (const op of ops) {
      if (!plain(op)) return undefined;
      if (op[0] !== 'Z') {
        others.push(op);
        continue;
      }
      const id = `${op[1]}\u0000${op[2]}`;
      const sum = sums.get(id);
      if (sum === undefined) {
        sums.set(id, [...op]);
        continue;
      }
      sum[3] = (sum[3] as number) + (op[3] as number);
      if (op[4] > sum[4]) sum[4] = op[4];
      if (op[5] > sum[5]) sum[5] = op[5];
    }
  }
  for (const sum of sums.values()) if (!Number.isFinite(sum[3])) return undefined;
  const kept: Op[] = [];
  const later = new Set<string>();
  for (let i = others.length - 1; i >= 0; i--) {
    const op = others[i]!;
    if (op[0] === 'H' || op[0] === 'A') {
      const id = `${op[0]}\u0000${op[1]}\u0000${op[2]}\u0000${op[3]}\u0000${op[4]}`;
      if (later.has(id)) continue;
      later.add(id);
    }
    kept.push(op);
  }
  kept.reverse();
  for (const sum of sums.values()) kept.push(sum);
  return kept;
}

const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const textual = (v: unknown): boolean => typeof v === 'string' || finite(v);

/** What the script's check accepts, and with numbers as numbers (so that sums are sums). */
function plain(op: Op): boolean {
  if (typeof op[1] !== 'string' || !textual(op[2])) return false;
  switch (op[0]) {
    case 'Z': return finite(op[3]) && finite(op[4]) && finite(op[5]);
    case 'P': return finite(op[3]) && typeof op[4] === 'string' && finite(op[5]);
    case 'L': return finite(op[3]) && finite(op[4]);
    case 'H': return textual(op[3]) && finite(op[4]);
    case 'A': return finite(op[3]);
    default: return false;
  }
}

/**
 * JSON.stringify writes a lone surrogate (half an emoji, cut by a length limit on a search
 * query) as a `\udXXX` escape, which Redis' cjson refuses: one such string would fail its
 * batch on every redelivery. Such strings go as U+FFFD instead, as ioredis sent them when
 * each op was its own argument.
 */
function encode(value: unknown): string {
  const encoded = JSON.stringify(value);
  if (!loneSurrogate.test(encoded)) return encoded;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'utf8').toString('utf8') : v));
}

const loneSurrogate = /\\ud[89a-f]/;

/** The seen-mark prefix of one consumer of one stream incarnation. */
export const seenPrefix = (cluster: string, consumer: string, streamCreated: string) =>
  `${cluster}:an:seen:${consumer}:${Date.parse(streamCreated) || 0}:`;
