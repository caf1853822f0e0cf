// An entity whose every message waits until its gate is opened: to fill a mailbox, hold
// an ask in flight or outlast a deadline on purpose.
import type { ClusterClient, EntityDefinition } from '../../cluster/index.ts';

export interface Gate {
  /** Closes the gate: messages from now on wait until `open()`. */
  close(): void;
  open(): void;
  /** An ask to `slow:<id>` with the gate closed: what it failed with, and after how long. */
  askPastDeadline(client: ClusterClient, id: string, deadlineMs: number): Promise<{ err: unknown; took: number }>;
  readonly entity: EntityDefinition<null, { op: string }, string>;
}

/** A gate and its `slow` entity (answers "done" once the gate is open). */
export function gatedEntity(): Gate {
  let promise: Promise<void> | undefined;
  let release: (() => void) | undefined;
  return {
    close() {
      promise = new Promise((r) => (release = r));
    },
    open() {
      release?.();
    },
    async askPastDeadline(client, id, deadlineMs) {
      this.close();
      const started = Date.now();
      const err = await client.ask('slow', id, { op: 'x' }, { deadlineMs }).then(() => undefined, (e: unknown) => e);
      const took = Date.now() - started;
      this.open();
      return { err, took };
    },
    entity: {
      type: 'slow',
      decode: (raw) => raw as { op: string },
      activate: () => null,
      async receive(state, _msg, reply) {
        await promise;
        reply.ok('done');
        return state;
      },
    },
  };
}
