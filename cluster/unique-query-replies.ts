// A plugin for nact's `start`: every query's reply address gets its own number.
//
// nact answers `query` through a temporary reference whose id it draws at random
// (`(Math.random() * Number.MAX_SAFE_INTEGER) | 0`, lib/references.js: an odd 32-bit number,
// so one of 2^31) and files under that id in one Map per actor system, without checking
// that the id is free. When two queries in
// flight draw the same id, the second replaces the first in the Map, and the first entity's
// answer resolves the second caller's promise: one caller gets another entity's reply, and
// the first caller hears nothing until its timeout. With a few hundred deliveries in flight
// and millions made, this happened about once in a million orders. A buyer's
// checkout was answered with another buyer's order; the pay of that order was refused as
// `not_found`; and the real owner got its order after the gateway sent its ask again.
//
// nact passes each plugin the concrete system. The query files its reference (by
// `addTempReference`) before the message is built and dispatched, and the reply looks it up
// by the same object's id. So numbering the reference there changes every use of it.
import type { Plugin } from 'nact';

/** What this plugin relies on in nact's (untyped) ActorSystem. */
interface TempReferenceFiling {
  addTempReference(reference: { id: number }, deferral: unknown): void;
}

function hasTempReferences(system: object): system is TempReferenceFiling {
  return typeof (system as Partial<TempReferenceFiling>).addTempReference === 'function';
}

export const uniqueQueryReplies: Plugin = (system) => {
  // Fail loudly if nact changes underneath: silently keeping the random ids is the bug.
  if (!hasTempReferences(system)) throw new Error('nact ActorSystem has no addTempReference: check cluster/unique-query-replies.ts against this nact version');
  const file = system.addTempReference.bind(system);
  let next = 0;
  system.addTempReference = (reference, deferral) => {
    // Safe integers last 2^53 queries; each number is used by one query at a time.
    reference.id = ++next;
    file(reference, deferral);
  };
};
