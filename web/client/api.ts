/// <reference lib="dom" />
// The browser's client of the public /v1 API: the bearer token from localStorage, a
// device id for anonymous calls, and API errors as one class with the server's code.

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown, readonly requestId?: string) {
    super(message);
  }
}

/** Dispatched on window when the server refuses the user's token. */
export const sessionEndedEvent = 'shop:session-ended';
export const sessionEndedMessage = 'Your session has ended. Please log in again.';

const tokenKey = 'shop.token';
const deviceKey = 'shop.device';

/**
 * The token this page was shown with (or set here since). Every tab reads the one
 * localStorage: after logging in in another tab as someone else, this page's next call went
 * in that account's name (an address typed on the first user's account page was added to
 * the second's).
 */
let pageToken = localStorage.getItem(tokenKey);
/**
 * Whether this page was shown signed in. Once its session has ended (refused here, or
 * logged out in another tab) its calls go without a token, and a 401 to them is that
 * session ended, not the server's "send Authorization: Bearer <token>" said to the shopper.
 */
let signedInHere = pageToken !== null;

export const session = {
  token: (): string | null => localStorage.getItem(tokenKey),
  set(token: string): void {
    localStorage.setItem(tokenKey, token);
    pageToken = token;
    signedInHere = true;
  },
  clear(): void {
    localStorage.removeItem(tokenKey);
  },
  /**
   * Drops `token` if it is still the one stored: a refusal of this tab's token must not drop
   * the one another tab has stored since (logged in again there, as someone else perhaps).
   */
  clearIf(token: string | null): void {
    if (token !== null && localStorage.getItem(tokenKey) === token) localStorage.removeItem(tokenKey);
  },
  /** A page shown signed in whose token another tab has since dropped or replaced. */
  changedElsewhere: (): boolean => pageToken !== null && localStorage.getItem(tokenKey) !== pageToken,
  /** A page shown signed in whose token another tab has since replaced with another. */
  replacedElsewhere(): boolean {
    const now = localStorage.getItem(tokenKey);
    return pageToken !== null && now !== null && now !== pageToken;
  },
};

/** A random id for Idempotency-Key and the device id (crypto.randomUUID needs a secure context). */
export function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function deviceId(): string {
  let id = localStorage.getItem(deviceKey);
  if (!id) {
    id = `web-${randomId().replace(/-/g, '').slice(0, 24)}`;
    localStorage.setItem(deviceKey, id);
  }
  return id;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as Idempotency-Key (POSTs that must not run twice). */
  idempotencyKey?: string;
  /** Another bearer token than the user's (the admin token). */
  token?: string | null;
}

/** How long a call waits for its whole answer (a test may set `window.shopRequestTimeoutMs`). */
function requestTimeoutMs(): number {
  const set = (window as { shopRequestTimeoutMs?: unknown }).shopRequestTimeoutMs;
  return typeof set === 'number' && set > 0 ? set : 45_000;
}

/** Calls the API; resolves to the JSON body (undefined for 204), throws ApiError for 4xx/5xx. */
export async function api<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  // Another tab logged in as someone else since this page was shown: its token must not go
  // from here, or this page would act in that user's name. The call goes as a guest's, so
  // browsing goes on, and one that needs a user is refused (401), which is said below as
  // this page's session ended.
  const asGuest = opts.token === undefined && session.replacedElsewhere();
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = opts.token === undefined ? (asGuest ? null : session.token()) : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  else headers['x-device-id'] = deviceId();
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  let res: Response;
  let text: string;
  // A request that never answers (a connection stuck in a proxy) must not leave a page at
  // "Loading…" for as long as the browser waits. The server answers within its own bounds:
  // 20 s for a payment, about 35 s for a keyed retry that first waits for the attempt
  // before it; this is past them. (An AbortController rather than AbortSignal.timeout,
  // which Safari before 16 and Chrome before 103 lack: every call would fail there.)
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, requestTimeoutMs());
  try {
    res = await fetch(path, { method, headers, body: opts.body === undefined ? null : JSON.stringify(opts.body), signal: abort.signal });
    text = await res.text();
  } catch {
    if (timedOut) {
      throw new ApiError(0, 'client_timeout', method === 'GET'
        ? 'The shop did not answer in time. Try again.'
        : 'The shop did not answer in time, so this may or may not have been done. Check before trying again.');
    }
    throw new ApiError(0, 'network', 'The shop could not be reached. Check your connection and try again.');
  } finally {
    clearTimeout(timer);
  }
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: unknown; requestId?: string } } | undefined)?.error;
    // A token the server no longer knows (logged out elsewhere, expired) is dropped here,
    // and the page told (chrome.ts shows the log-in links again) instead of the shopper
    // reading the server's "send Authorization: Bearer <token>". A wrong current password
    // (changing the password: 401 `invalid_credentials`) is not the token refused: it stays.
    if (res.status === 401 && opts.token === undefined && (token || signedInHere) && err?.code !== 'invalid_credentials') {
      session.clearIf(token);
      window.dispatchEvent(new Event(sessionEndedEvent));
      throw new ApiError(401, 'session_ended', sessionEndedMessage, undefined, err?.requestId ?? res.headers.get('x-request-id') ?? undefined);
    }
    throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `The request failed (${res.status}).`, err?.details, err?.requestId ?? res.headers.get('x-request-id') ?? undefined);
  }
  return data as T;
}

/** Like api(), but a 404 (a route this server does not have yet) is `undefined`. */
export async function optional<T>(method: string, path: string, opts: CallOptions = {}): Promise<T | undefined> {
  try {
    return await api<T>(method, path, opts);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * An Idempotency-Key for one intended action, kept until the server answers it: pressed
 * again after an answer lost on the way (no connection, no answer in time, a 5xx), the POST
 * is the same request and is answered rather than done twice. A new key for another body,
 * and once the server has answered (a 4xx is an answer: nothing was done).
 */
export class ActionKey {
  private held: { body: string; key: string } | undefined;

  for(body: unknown): string {
    const sent = JSON.stringify(body ?? null);
    if (this.held?.body !== sent) this.held = { body: sent, key: randomId() };
    return this.held.key;
  }

  /** After the call, with its error if it failed. */
  settle(err?: unknown): void {
    const answered = err === undefined || (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.code !== 'request_in_progress');
    if (answered) this.held = undefined;
  }
}
