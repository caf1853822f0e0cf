// The Redis script every projection of stock levels applies them with: newest wins, by the
// inventory version each level event carries. A durable consumer can see a SKU's events out
// of order (a batch redelivered after newer ones, a crashed owner's held events coming back
// after their ack wait), and a level applied as it came could overwrite a newer one until
// the SKU's next event.

/**
 * A script over ARGV (sku, available, version) triples with KEYS[2] the hash of the version
 * last applied per SKU: `apply` (Lua, with `sku` and `available` in scope; the caller's
 * other keys are its own) runs only for a level above the recorded version. A level
 * without a version (-1, from an event before versions) applies only while none is recorded.
 */
export function newestLevelScript(apply: string): string {
  return `
for i = 1, #ARGV, 3 do
  local sku = ARGV[i]
  local version = tonumber(ARGV[i + 2])
  local held = redis.call('HGET', KEYS[2], sku)
  local newer
  if version < 0 then newer = not held else newer = (not held) or version > tonumber(held) end
  if newer then
    if version >= 0 then redis.call('HSET', KEYS[2], sku, version) end
    local available = tonumber(ARGV[i + 1])
    ${apply}
  end
end
return 0`;
}

/** One stock level of a SKU as of its inventory version (-1: unknown, from an older event). */
export interface StockLevel {
  sku: string;
  available: number;
  version: number;
}

/** An inventory event as it is read off the stream: every kind carries `available`. */
export interface LevelEvent { sku?: unknown; available?: unknown; version?: unknown }

/** The level an event carries, or undefined for one without a SKU and a number available. */
export function levelOf(e: LevelEvent): StockLevel | undefined {
  if (typeof e.sku !== 'string' || typeof e.available !== 'number') return undefined;
  return { sku: e.sku, available: e.available, version: typeof e.version === 'number' ? e.version : -1 };
}

/** The script's ARGV: (sku, available, version) triples of `levels`. */
export function levelArgs(levels: StockLevel[]): string[] {
  return levels.flatMap((l) => [l.sku, String(l.available), String(l.version)]);
}
