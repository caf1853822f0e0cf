// Reading a caller's deadline on this node's clock. A request carries its deadline `d` as
// an instant on the caller's wall clock, and `t`, the milliseconds the caller had left when
// it sent it. Taken as it is, `d` made a node whose clock runs ahead of its callers' by more
// than an ask's budget (NTP down, a clock set wrong) fail every ask as expired on arrival
// ("deadline passed before the entity took the message"), and one behind them start work
// long after its callers gave up.
//
// For each caller (the inbox its replies go to: one per client) the node keeps the smallest
// difference between "arrived now with `t` left" and `d`: that is the clocks' offset plus
// the quickest a request travelled, so `d` plus it is the caller's deadline on this clock.
// A request that waited (in a socket, behind a pause, in a backlog) still expires when its
// caller gives up, which reading `t` alone on arrival would forget. The minimum is kept
// over two windows of `windowMs`, so a clock that is stepped is followed within two.
//
// One-way times cannot tell a skew from a wait that every request of the windows paid (a
// node overloaded for seconds on end), and forgiving that wait would keep the node working
// for callers who left, just when it is shedding load. So only the part of the difference
// beyond `toleranceMs` (1 s; NTP keeps clocks within milliseconds) is taken for a skew: a
// node whose clocks agree with its callers' sheds exactly as before, unless even its
// quickest request waited longer than that.

interface Offset {
  /** Smallest difference seen in the current window, and in the one before. */
  current: number;
  previous: number;
  window: number;
}

export class CallerClocks {
  private readonly offsets = new Map<string, Offset>();
  private window = 0;

  constructor(private readonly windowMs = 5000, private readonly toleranceMs = 1000, private readonly maxCallers = 10_000) {}

  /**
   * The deadline of a request on this node's clock: `d` itself for a request without `t`
   * (an older caller) or without a reply inbox to know its caller by.
   */
  localDeadline(reply: string | undefined, d: number, t: number | undefined, now = Date.now(), mono = performance.now()): number {
    if (t === undefined || !reply) return d;
    const caller = callerOf(reply);
    const window = Math.floor(mono / this.windowMs);
    if (window !== this.window) this.rotate(window);
    const gap = now + t - d;
    let offset = this.offsets.get(caller);
    if (!offset) {
      if (this.offsets.size >= this.maxCallers) this.offsets.delete(this.offsets.keys().next().value as string);
      offset = { current: gap, previous: Infinity, window };
      this.offsets.set(caller, offset);
    } else {
      if (offset.window !== window) {
        offset.previous = offset.window === window - 1 ? offset.current : Infinity;
        offset.current = gap;
        offset.window = window;
      } else if (gap < offset.current) offset.current = gap;
    }
    const seen = Math.min(offset.current, offset.previous);
    return d + Math.sign(seen) * Math.max(0, Math.abs(seen) - this.toleranceMs);
  }

  /** Forgets callers not heard from for two windows (clients that went away). */
  private rotate(window: number): void {
    this.window = window;
    for (const [caller, offset] of this.offsets) if (offset.window < window - 1) this.offsets.delete(caller);
  }
}

/** The caller of a reply subject: the inbox prefix before its last token (Requester's `<inbox>.<token>`). */
function callerOf(reply: string): string {
  const dot = reply.lastIndexOf('.');
  return dot < 0 ? reply : reply.slice(0, dot);
}
