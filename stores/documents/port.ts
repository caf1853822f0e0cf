// The document store port: JSON documents by (collection, id). MariaDB JSON rows by
// default, MongoDB when MONGO_URL is set; both pass the contract in contract.ts.

/** A JSON object. Keys starting with `_` are reserved for the adapters. */
export type Doc = Record<string, unknown>;

export interface DocumentStore {
  readonly kind: 'mariadb' | 'mongodb';
  /** Inserts or replaces one document. */
  put(collection: string, id: string, doc: Doc): Promise<void>;
  /** Inserts or replaces many documents in as few round trips as the backend allows. */
  putMany(collection: string, items: { id: string; doc: Doc }[]): Promise<void>;
  get<T extends Doc = Doc>(collection: string, id: string): Promise<T | undefined>;
  getMany<T extends Doc = Doc>(collection: string, ids: string[]): Promise<Map<string, T>>;
  /** True when a document was deleted. */
  delete(collection: string, id: string): Promise<boolean>;
  /** Documents in id order after `after` (exclusive): for rebuilds and exports. */
  scan<T extends Doc = Doc>(collection: string, opts: { after?: string; limit: number }): Promise<{ id: string; doc: T }[]>;
  count(collection: string): Promise<number>;
  close(): Promise<void>;
}

const namePattern = /^[a-z][a-z0-9_]{0,63}$/;
const idPattern = /^[A-Za-z0-9_\-:@+=.]{1,128}$/;

/** A collection name, id or document the store refuses; not retryable. */
export class InvalidDocumentError extends Error {
  override name = 'InvalidDocumentError';
  readonly code = 'invalid_document';
  readonly retryable = false;
}

export function checkKey(collection: string, id: string): void {
  if (!namePattern.test(collection)) throw new InvalidDocumentError(`collection "${collection}" must be lowercase letters, digits and _`);
  if (!idPattern.test(id)) throw new InvalidDocumentError(`id "${id}" must be 1-128 letters, digits and _-:@+=.`);
}

export function checkDoc(doc: Doc): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidDocumentError('a document must be a JSON object');
  for (const k of Object.keys(doc)) if (k.startsWith('_')) throw new InvalidDocumentError(`top-level key "${k}" is reserved (starts with _)`);
}
