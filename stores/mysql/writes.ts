// What every version-conditional write reports when another writer got there first, and
// the one way this project sends several statements as one transaction in one round trip.

/** The row's version is not the one the writer loaded: its state is stale; reload. */
export class FencedWriteError extends Error {
  override name = 'FencedWriteError';
  readonly code = 'fenced';
  readonly retryable = true;
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what} was changed by another writer`, options);
  }
}

/**
 * Statements as one transaction in one round trip (a MariaDB anonymous compound
 * statement): any error rolls the whole back and is raised again. A statement may SIGNAL
 * SQLSTATE '45000' with a message the caller maps, for example a failed version check.
 */
export function atomically(statements: string[]): string {
  return `BEGIN NOT ATOMIC
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
    START TRANSACTION;
    ${statements.join('\n')}
    COMMIT;
  END`;
}
