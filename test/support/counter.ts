// A trivial entity for cluster tests and bench:ask: a counter whose behaviour awaits
// between reading and writing its state, so interleaving would show as lost updates.
// Its "store" is a Map shared by the process, standing in for a system of record.
import { InvalidError, type EntityDefinition } from '../../cluster/index.ts';

export interface CounterMsg {
  op: 'add' | 'get';
  by?: number;
  caller?: string;
  seq?: number;
}

export interface CounterState {
  value: number;
  /** Last sequence number seen per caller, to prove per-caller order. */
  lastSeq: Record<string, number>;
  outOfOrder: number;
}

export function decodeCounter(raw: unknown): CounterMsg {
  const m = raw as Partial<CounterMsg> | null;
  if (!m || (m.op !== 'add' && m.op !== 'get')) throw new InvalidError('op must be "add" or "get"');
  if (m.op === 'add' && (typeof m.by !== 'number' || !Number.isFinite(m.by))) throw new InvalidError('by must be a number');
  return m as CounterMsg;
}

export function counterEntity(opts: { store?: Map<string, CounterState>; asyncGap?: boolean; idleTimeoutMs?: number } = {}): EntityDefinition<CounterState, CounterMsg, CounterState> {
  const store = opts.store ?? new Map<string, CounterState>();
  return {
    type: 'counter',
    ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    decode: decodeCounter,
    activate: (id) => structuredClone(store.get(id) ?? { value: 0, lastSeq: {}, outOfOrder: 0 }),
    async receive(state, msg, reply, ctx) {
      if (msg.op === 'get') {
        reply.ok(state);
        return state;
      }
      const before = state.value;
      if (opts.asyncGap) await new Promise((r) => setImmediate(r));
      const next: CounterState = { ...state, value: before + (msg.by ?? 0) };
      if (msg.caller !== undefined && msg.seq !== undefined) {
        const last = state.lastSeq[msg.caller] ?? -1;
        if (msg.seq <= last) next.outOfOrder++;
        next.lastSeq = { ...state.lastSeq, [msg.caller]: msg.seq };
      }
      store.set(ctx.id, structuredClone(next));
      reply.ok(next);
      return next;
    },
  };
}
