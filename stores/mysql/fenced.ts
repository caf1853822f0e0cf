// The failure a version-conditional write reports when another writer got there first.

/** The row's version is not the one the writer loaded: its state is stale; reload. */
export class FencedWriteError extends Error {
  override name = 'FencedWriteError';
  readonly code = 'fenced';
  readonly retryable = true;
  constructor(what: string) {
    super(`${what} was changed by another writer`);
  }
}
